package dev.squall.reference;

/** Double-precision router losses and load metrics, SPEC §6.7, §6.8, §7.2, §7.3 (docs/MODEL.md, "Router losses"). */
public final class RouterLossesRef {
    private RouterLossesRef() {}

    public static void counts(double[] counts, int[] expertIdx, int N, int K, int E) {
        for (int e = 0; e < E; e++) counts[e] = 0;
        for (int s = 0; s < N * K; s++) counts[expertIdx[s]] += 1;
    }

    /** out[slot] = gamma E sum_e (P_e / N)(c_e / (N K)), P_e = sum_t probs[t, e]. */
    public static void balanceForward(double[] out, int slot, double[] probs, double[] counts, int N, int E, int K,
                                      double gamma) {
        double L = 0;
        for (int e = 0; e < E; e++) {
            double P = 0;
            for (int t = 0; t < N; t++) P += probs[t * E + e];
            L += (P / N) * (counts[e] / ((double) N * K));
        }
        out[slot] = gamma * E * L;
    }

    /** dlogits += scale (gamma E / N) p_tj (f_j - sum_i f_i p_ti), f = c / (N K). */
    public static void balanceBackward(double[] dlogits, double[] probs, double[] counts, int N, int E, int K,
                                       double gamma, double scale) {
        for (int t = 0; t < N; t++) {
            double s = 0;
            for (int i = 0; i < E; i++) s += counts[i] / ((double) N * K) * probs[t * E + i];
            for (int j = 0; j < E; j++) {
                double f = counts[j] / ((double) N * K);
                dlogits[t * E + j] += scale * (gamma * E / N) * probs[t * E + j] * (f - s);
            }
        }
    }

    public static void zForward(double[] out, int slot, double[] lse, int N, double beta) {
        double s = 0;
        for (int t = 0; t < N; t++) s += lse[t] * lse[t];
        out[slot] = beta * s / N;
    }

    public static void zBackward(double[] dlogits, double[] probs, double[] lse, int N, int E, double beta,
                                 double scale) {
        for (int t = 0; t < N; t++) {
            for (int j = 0; j < E; j++) dlogits[t * E + j] += scale * (2 * beta / N) * lse[t] * probs[t * E + j];
        }
    }

    public static void loadImbalance(double[] out, int slot, double[] counts, int E) {
        double max = Double.NEGATIVE_INFINITY, mean = 0;
        for (int e = 0; e < E; e++) {
            max = Math.max(max, counts[e]);
            mean += counts[e];
        }
        mean /= E;
        double var = 0;
        for (int e = 0; e < E; e++) var += (counts[e] - mean) * (counts[e] - mean);
        var /= E;
        out[slot] = max / mean;
        out[slot + 1] = Math.sqrt(var) / mean;
    }
}
