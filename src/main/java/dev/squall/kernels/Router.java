package dev.squall.kernels;

/**
 * MoE router: top-k expert selection and mixing weights from router logits, SPEC §6.6 (top-k then
 * softmax, SqrtGate) and §7.1 (softmax then top-k, OLMoE); the contract is docs/MODEL.md, "MoE sublayer".
 *
 * <pre>
 * Shapes:
 *   N                  rows (tokens)
 *   E                  routed experts
 *   K                  experts selected per token (1 &lt;= K &lt;= E)
 *   logits, dlogits    (N, E)
 *   probs              (N, E)  softmax over all E logits, whatever the kind (the router losses use it)
 *   lse                (N)     logsumexp of each logit row (router z-loss, Z-value)
 *   expertIdx          (N, K)  selected experts, descending logit, ties to the lower index
 *   gates              (N, K)  SOFTMAX_TOPK: p_e; TOPK_SOFTMAX and SQRTGATE: g_e = softmax over the K selected logits
 *   weights, dweights  (N, K)  mixing weights: p_e, g_e or sqrt(g_e + 1e-30)
 * </pre>
 *
 * <p>Selection is a repeated max scan: pick j is the largest logit that comes strictly after pick
 * j-1 in the order (logit descending, index ascending). That needs no scratch marks, is exact (only
 * comparisons), and gives the lower index first on ties. K is small and E at most a few hundred, so
 * the O(K·E) scan per row costs less than the softmax around it.
 *
 * <p>Numerics: every softmax subtracts the row maximum (the first pick), so no exp overflows; exp is
 * {@link LaneMath#exp(float)} so results do not depend on the JIT tier. Selection has no gradient.
 */
public final class Router {
    private Router() {}

    public static final int SOFTMAX_TOPK = 0, TOPK_SOFTMAX = 1, SQRTGATE = 2;

    private static final String[] NAMES = {"softmax-topk", "topk-softmax", "sqrtgate"};
    /** Added under the square root so a gate that underflowed to 0 still has a finite derivative (SPEC §6.6). */
    private static final float SQRT_EPS = 1e-30f;

    /** Parses "softmax-topk" | "topk-softmax" | "sqrtgate" (ConfigException-free: IllegalArgumentException naming the choices). */
    public static int kind(String name) {
        for (int k = 0; k < NAMES.length; k++) if (NAMES[k].equals(name)) return k;
        throw new IllegalArgumentException("unknown router '" + name + "': choose one of "
                + String.join(", ", NAMES));
    }

    public static String kindName(int kind) {
        if (kind < 0 || kind >= NAMES.length) throw new IllegalArgumentException("unknown router kind " + kind);
        return NAMES[kind];
    }

    /** From router logits (N,E): expertIdx (N,K), gates (N,K), weights (N,K), probs (N,E) = full softmax, lse (N) = logsumexp of each row. All written. */
    public static void forward(int[] expertIdx, float[] gates, float[] weights, float[] probs, float[] lse,
                               float[] logits, int N, int E, int K, int kind) {
        check(E, K, kind);
        Parallel.forRange(N, grain(E), (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * E, sel = n * K;
                select(expertIdx, sel, logits, row, E, K);
                float max = logits[row + expertIdx[sel]];
                float sum = 0f;
                for (int e = 0; e < E; e++) {
                    float x = LaneMath.exp(logits[row + e] - max);
                    probs[row + e] = x;
                    sum += x;
                }
                lse[n] = max + (float) Math.log(sum);
                float inv = 1f / sum;
                for (int e = 0; e < E; e++) probs[row + e] *= inv;
                if (kind == SOFTMAX_TOPK) {
                    for (int k = 0; k < K; k++) {
                        float p = probs[row + expertIdx[sel + k]];
                        gates[sel + k] = p;
                        weights[sel + k] = p;
                    }
                    continue;
                }
                // Softmax over the selected logits only: exp(z - max) is probs * sum, but recomputing it
                // keeps tiny gates accurate when the full softmax is dominated by unselected experts.
                float selSum = 0f;
                for (int k = 0; k < K; k++) {
                    float x = LaneMath.exp(logits[row + expertIdx[sel + k]] - max);
                    gates[sel + k] = x;
                    selSum += x;
                }
                float selInv = 1f / selSum;
                for (int k = 0; k < K; k++) {
                    float g = gates[sel + k] * selInv;
                    gates[sel + k] = g;
                    weights[sel + k] = kind == SQRTGATE ? (float) Math.sqrt(g + SQRT_EPS) : g;
                }
            }
        });
    }

    /** dlogits (N,E) WRITTEN from dweights (N,K) = dL/dweights, per kind (SPEC §6.6 gradient, §7.1 gradient). */
    public static void backward(float[] dlogits, float[] dweights, float[] gates, float[] weights, float[] probs,
                                int[] expertIdx, int N, int E, int K, int kind) {
        check(E, K, kind);
        Parallel.forRange(N, grain(E), (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * E, sel = n * K;
                if (kind == SOFTMAX_TOPK) {
                    // dz_j = p_j (a_j 1[j in S] - sum_{e in S} p_e a_e): the full softmax Jacobian seen
                    // through the selected slots only.
                    float s = 0f;
                    for (int k = 0; k < K; k++) s += gates[sel + k] * dweights[sel + k];
                    for (int e = 0; e < E; e++) dlogits[row + e] = -probs[row + e] * s;
                    for (int k = 0; k < K; k++) {
                        int e = expertIdx[sel + k];
                        dlogits[row + e] += probs[row + e] * dweights[sel + k];
                    }
                    continue;
                }
                // a_k = dL/dg_k; SqrtGate: d sqrt(g + eps)/dg = 1 / (2 sqrt(g + eps)) = 1 / (2 w).
                // Then the top-k softmax Jacobian: dz_i = g_i (a_i - sum_j g_j a_j) on S, 0 elsewhere.
                float s = 0f;
                for (int k = 0; k < K; k++) s += gates[sel + k] * gateGrad(dweights, weights, sel + k, kind);
                for (int e = 0; e < E; e++) dlogits[row + e] = 0f;
                for (int k = 0; k < K; k++) {
                    float a = gateGrad(dweights, weights, sel + k, kind);
                    dlogits[row + expertIdx[sel + k]] = gates[sel + k] * (a - s);
                }
            }
        });
    }

    private static float gateGrad(float[] dweights, float[] weights, int i, int kind) {
        return kind == SQRTGATE ? dweights[i] / (2f * weights[i]) : dweights[i];
    }

    /** The K largest logits of one row into idx[sel .. sel+K), descending, ties to the lower index. */
    private static void select(int[] idx, int sel, float[] logits, int row, int E, int K) {
        float prevVal = Float.POSITIVE_INFINITY;
        int prevIdx = -1;
        for (int k = 0; k < K; k++) {
            int best = -1;
            float bestVal = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < E; e++) {
                float x = logits[row + e];
                // Eligible: strictly after the previous pick in (logit desc, index asc) order.
                boolean after = x < prevVal || (x == prevVal && e > prevIdx);
                if (after && (best < 0 || x > bestVal)) {
                    best = e;
                    bestVal = x;
                }
            }
            if (best < 0) {
                // Only NaN logits left: keep the index in range so the NaN reaches the loss instead of
                // an exception here.
                best = k;
                bestVal = Float.NaN;
            }
            idx[sel + k] = best;
            prevVal = bestVal;
            prevIdx = best;
        }
    }

    /** Rows per task: about 4k logits, so small E still makes chunks worth scheduling. */
    private static int grain(int E) {
        return Math.max(1, 4096 / Math.max(1, E));
    }

    private static void check(int E, int K, int kind) {
        kindName(kind);
        if (K < 1 || K > E) throw new IllegalArgumentException("need 1 <= K <= E, got K=" + K + " E=" + E);
    }
}
