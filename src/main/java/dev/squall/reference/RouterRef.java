package dev.squall.reference;

import dev.squall.program.Routing;

/**
 * Double-precision MoE router, SPEC §6.6 and §7.1: selection by marking the taken experts, softmaxes
 * and Jacobians written out as in the SPEC, for each {@link Routing} rule.
 */
public final class RouterRef {
    private RouterRef() {}

    public static void forward(int[] expertIdx, double[] gates, double[] weights, double[] probs, double[] lse,
                               double[] logits, int N, int E, int K, Routing kind) {
        for (int n = 0; n < N; n++) {
            boolean[] taken = new boolean[E];
            for (int k = 0; k < K; k++) {
                int best = -1;
                for (int e = 0; e < E; e++) {
                    if (!taken[e] && (best < 0 || logits[n * E + e] > logits[n * E + best])) best = e;
                }
                taken[best] = true;
                expertIdx[n * K + k] = best;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < E; e++) max = Math.max(max, logits[n * E + e]);
            double sum = 0;
            for (int e = 0; e < E; e++) sum += Math.exp(logits[n * E + e] - max);
            lse[n] = max + Math.log(sum);
            for (int e = 0; e < E; e++) probs[n * E + e] = Math.exp(logits[n * E + e] - lse[n]);

            double selSum = 0;
            for (int k = 0; k < K; k++) selSum += Math.exp(logits[n * E + expertIdx[n * K + k]] - max);
            for (int k = 0; k < K; k++) {
                int e = expertIdx[n * K + k];
                double g = kind == Routing.SOFTMAX_TOPK ? probs[n * E + e] : Math.exp(logits[n * E + e] - max) / selSum;
                gates[n * K + k] = g;
                weights[n * K + k] = kind == Routing.SQRTGATE ? Math.sqrt(g + 1e-30) : g;
            }
        }
    }

    /** Writes dlogits. */
    public static void backward(double[] dlogits, double[] dweights, double[] gates, double[] weights, double[] probs,
                                int[] expertIdx, int N, int E, int K, Routing kind) {
        for (int n = 0; n < N; n++) {
            double[] a = new double[K];
            for (int k = 0; k < K; k++) {
                a[k] = kind == Routing.SQRTGATE
                        ? dweights[n * K + k] / (2 * Math.sqrt(gates[n * K + k] + 1e-30))
                        : dweights[n * K + k];
            }
            double s = 0;
            for (int k = 0; k < K; k++) s += gates[n * K + k] * a[k];
            for (int j = 0; j < E; j++) {
                int slot = -1;
                for (int k = 0; k < K; k++) if (expertIdx[n * K + k] == j) slot = k;
                double d;
                if (kind == Routing.SOFTMAX_TOPK) {
                    // SPEC §7.1: dz_j = p_j (a_j 1[j in S] - sum_{e in S} p_e a_e)
                    d = probs[n * E + j] * ((slot >= 0 ? a[slot] : 0) - s);
                } else {
                    // SPEC §6.6: dz_i = g_i (a_i - sum_j g_j a_j) on the selection, 0 elsewhere
                    d = slot >= 0 ? gates[n * K + slot] * (a[slot] - s) : 0;
                }
                dlogits[n * E + j] = d;
            }
        }
    }
}
