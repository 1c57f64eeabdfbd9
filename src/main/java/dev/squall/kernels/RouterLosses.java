package dev.squall.kernels;

/**
 * Router losses and load metrics of one MoE block: Switch load balancing (SPEC §6.7, §7.2), router
 * z-loss (SPEC §7.3; with beta = 1 the router Z-value of §6.8), and the expert load imbalance.
 * The contract is docs/MODEL.md, "Router losses".
 *
 * <pre>
 * Shapes:
 *   N                  rows (tokens)
 *   E                  routed experts
 *   K                  experts selected per token
 *   probs, dlogits     (N, E)  probs = softmax over all E logits ({@link Router#forward})
 *   lse                (N)     logsumexp of each logit row
 *   expertIdx          (N, K)
 *   counts             (E)     slots routed to each expert, as floats (sum = N K)
 *   out                (any)   scalar results go to out[slot] (loadImbalance: slot and slot + 1)
 * </pre>
 *
 * <p>The losses are scalars, so their forwards sum over all tokens in double in index order
 * (reproducible, and cheap next to the matmuls that made the logits). The load-balancing loss is
 * evaluated as (gamma E / (N · N K)) Σ_t Σ_e p_te c_e, which is the SPEC's Σ_e P_e c_e without a
 * per-expert buffer. The counts are a constant of the loss (selection has no gradient), and
 * f = c / (N K) in both forward and backward, so the gradient is exact for any counts passed in.
 * Backwards accumulate into dlogits ({@code +=}), so both losses and the router's own gradient add up.
 */
public final class RouterLosses {
    private RouterLosses() {}

    /** counts[e] = number of slots routed to e (as floats), WRITTEN. */
    public static void counts(float[] counts, int[] expertIdx, int N, int K, int E) {
        for (int e = 0; e < E; e++) counts[e] = 0f;
        // Exact: float holds integers up to 2^24 slots per expert.
        for (int s = 0; s < N * K; s++) counts[expertIdx[s]] += 1f;
    }

    /** out[slot] = gamma*E*Σ_e (P_e/N)*(c_e/(N*K)), P_e = Σ_t probs[t,e] (SPEC §6.7; MODEL.md). */
    public static void balanceForward(float[] out, int slot, float[] probs, float[] counts, int N, int E, int K,
                                      float gamma) {
        double s = 0;
        for (int t = 0; t < N; t++) {
            int row = t * E;
            double pc = 0;
            for (int e = 0; e < E; e++) pc += (double) probs[row + e] * counts[e];
            s += pc;
        }
        out[slot] = (float) ((double) gamma * E * s / ((double) N * N * K));
    }

    /** dlogits += scale * dL_aux/dz (c constant): (gamma*E/N)*p_tj*(f_j - Σ_i f_i p_ti), f = c/Σc, times scale. */
    public static void balanceBackward(float[] dlogits, float[] probs, float[] counts, int N, int E, int K,
                                       float gamma, float scale) {
        float invSlots = (float) (1.0 / ((double) N * K));
        float k = (float) ((double) scale * gamma * E / N);
        Parallel.forRange(N, grain(E), (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int row = t * E;
                float fp = 0f;
                for (int i = 0; i < E; i++) fp += counts[i] * invSlots * probs[row + i];
                for (int j = 0; j < E; j++) dlogits[row + j] += k * probs[row + j] * (counts[j] * invSlots - fp);
            }
        });
    }

    /** out[slot] = beta*(1/N)*Σ_t lse_t² (beta = 1 gives the router Z-value metric, SPEC §6.8). */
    public static void zForward(float[] out, int slot, float[] lse, int N, float beta) {
        double s = 0;
        for (int t = 0; t < N; t++) s += (double) lse[t] * lse[t];
        out[slot] = (float) (beta * s / N);
    }

    /** dlogits += scale * (2*beta/N) * lse_t * p_tj (SPEC §7.3). */
    public static void zBackward(float[] dlogits, float[] probs, float[] lse, int N, int E, float beta, float scale) {
        float k = (float) (2.0 * scale * beta / N);
        Parallel.forRange(N, grain(E), (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int row = t * E;
                float kt = k * lse[t];
                for (int j = 0; j < E; j++) dlogits[row + j] += kt * probs[row + j];
            }
        });
    }

    /** out[slot] = max_e c_e / mean_e c_e ; out[slot+1] = coefficient of variation (population std / mean) of c. */
    public static void loadImbalance(float[] out, int slot, float[] counts, int E) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int e = 0; e < E; e++) {
            max = Math.max(max, counts[e]);
            sum += counts[e];
        }
        double mean = sum / E, var = 0;
        for (int e = 0; e < E; e++) var += (counts[e] - mean) * (counts[e] - mean);
        out[slot] = (float) (max / mean);
        out[slot + 1] = (float) (Math.sqrt(var / E) / mean);
    }

    /** Rows per task: about 4k logits, as {@link Router}. */
    private static int grain(int E) {
        return Math.max(1, 4096 / Math.max(1, E));
    }
}
