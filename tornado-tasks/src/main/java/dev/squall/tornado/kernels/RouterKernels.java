package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The MoE router on a TornadoVM device, SPEC §6.6 (top-k then softmax, SqrtGate) and §7.1 (softmax
 * then top-k): the same math as {@code dev.squall.kernels.Router} and {@code dev.squall.reference.RouterRef}.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), E routed experts, K experts per token (1 &lt;= K &lt;= E)
 *   logits, dlogits    (N, E)
 *   probs              (N, E)  softmax over all E logits, whatever the kind
 *   lse                (N)     logsumexp of each logit row
 *   expertIdx          (N, K)  selected experts, descending logit, ties to the lower index
 *   gates              (N, K)  softmax-topk: p_e; topk-softmax and sqrtgate: softmax over the K selected logits
 *   weights, dweights  (N, K)  p_e, g_e or sqrt(g_e + 1e-30)
 * Launch (one work-item per token row; ids >= N do nothing):
 *   forwardSoftmaxTopk, forwardTopkSoftmax, forwardSqrtGate      global N
 *   backwardSoftmaxTopk, backwardTopkSoftmax, backwardSqrtGate   global N
 * </pre>
 *
 * <p>One entry point per router kind rather than a {@code kind} argument: scalars are constants of the
 * compiled kernel, and a branch on a folded constant can fail to compile (LogicConstantNode).
 *
 * <p>Selection gives the JVM kernel's picks (logit descending, ties to the lower index, NaN never
 * picked, unfilled slots k holding k) by ranking instead of its repeated max scan: expert e goes to
 * slot rank(e) when that is below K, rank(e) counting the experts ordered before it. Each test is a
 * single comparison: the scan's compound "strictly after the previous pick" condition
 * ({@code x < prev || (x == prev && e > prevIdx)}) was emitted with a negation dropped and picked
 * wrong experts from the second pick on. O(E^2) comparisons per row with counted loops and no
 * {@code break}; for the E of this model (tens) that is still less than the softmax's exps. Every
 * softmax subtracts the row maximum (the first pick).
 */
public final class RouterKernels {
    private RouterKernels() {}

    /** Added under the square root so a gate that underflowed to 0 still has a finite derivative (SPEC §6.6). */
    private static final float SQRT_EPS = 1e-30f;

    /** Gates and weights are the full-softmax probabilities of the selected experts (SPEC §7.1). */
    public static void forwardSoftmaxTopk(KernelContext ctx, IntArray expertIdx, FloatArray gates, FloatArray weights,
                                          FloatArray probs, FloatArray lse, FloatArray logits, int N, int E, int K) {
        int n = ctx.globalIdx;
        if (n < N) {
            selectAndSoftmax(n, expertIdx, probs, lse, logits, E, K);
            int row = n * E, sel = n * K;
            for (int k = 0; k < K; k++) {
                float p = probs.get(row + expertIdx.get(sel + k));
                gates.set(sel + k, p);
                weights.set(sel + k, p);
            }
        }
    }

    /** Gates and weights are the softmax over the K selected logits (SPEC §6.6 without the square root). */
    public static void forwardTopkSoftmax(KernelContext ctx, IntArray expertIdx, FloatArray gates, FloatArray weights,
                                          FloatArray probs, FloatArray lse, FloatArray logits, int N, int E, int K) {
        int n = ctx.globalIdx;
        if (n < N) {
            float max = selectAndSoftmax(n, expertIdx, probs, lse, logits, E, K);
            int row = n * E, sel = n * K;
            float selInv = 1f / selectedSum(n, expertIdx, logits, max, E, K);
            for (int k = 0; k < K; k++) {
                float g = TornadoMath.exp(logits.get(row + expertIdx.get(sel + k)) - max) * selInv;
                gates.set(sel + k, g);
                weights.set(sel + k, g);
            }
        }
    }

    /** Gates as {@link #forwardTopkSoftmax}, weights sqrt(g + 1e-30) (SPEC §6.6 SqrtGate). */
    public static void forwardSqrtGate(KernelContext ctx, IntArray expertIdx, FloatArray gates, FloatArray weights,
                                       FloatArray probs, FloatArray lse, FloatArray logits, int N, int E, int K) {
        int n = ctx.globalIdx;
        if (n < N) {
            float max = selectAndSoftmax(n, expertIdx, probs, lse, logits, E, K);
            int row = n * E, sel = n * K;
            float selInv = 1f / selectedSum(n, expertIdx, logits, max, E, K);
            for (int k = 0; k < K; k++) {
                float g = TornadoMath.exp(logits.get(row + expertIdx.get(sel + k)) - max) * selInv;
                gates.set(sel + k, g);
                weights.set(sel + k, TornadoMath.sqrt(g + SQRT_EPS));
            }
        }
    }

    /** dz_j = p_j (a_j 1[j in S] - sum_{e in S} p_e a_e), a = dweights (SPEC §7.1). Written. */
    public static void backwardSoftmaxTopk(KernelContext ctx, FloatArray dlogits, FloatArray dweights, FloatArray gates,
                                           FloatArray probs, IntArray expertIdx, int N, int E, int K) {
        int n = ctx.globalIdx;
        if (n < N) {
            int row = n * E, sel = n * K;
            float s = 0f;
            for (int k = 0; k < K; k++) s += gates.get(sel + k) * dweights.get(sel + k);
            for (int e = 0; e < E; e++) dlogits.set(row + e, -probs.get(row + e) * s);
            for (int k = 0; k < K; k++) {
                int at = row + expertIdx.get(sel + k);
                dlogits.set(at, dlogits.get(at) + probs.get(at) * dweights.get(sel + k));
            }
        }
    }

    /** dz_i = g_i (a_i - sum_j g_j a_j) on the selection, 0 elsewhere, a = dweights (SPEC §6.6). Written. */
    public static void backwardTopkSoftmax(KernelContext ctx, FloatArray dlogits, FloatArray dweights, FloatArray gates,
                                           IntArray expertIdx, int N, int E, int K) {
        int n = ctx.globalIdx;
        if (n < N) {
            int row = n * E, sel = n * K;
            float s = 0f;
            for (int k = 0; k < K; k++) s += gates.get(sel + k) * dweights.get(sel + k);
            for (int e = 0; e < E; e++) dlogits.set(row + e, 0f);
            for (int k = 0; k < K; k++) {
                dlogits.set(row + expertIdx.get(sel + k), gates.get(sel + k) * (dweights.get(sel + k) - s));
            }
        }
    }

    /** As {@link #backwardTopkSoftmax} with a = dweights / (2 w), the derivative of w = sqrt(g + eps). Written. */
    public static void backwardSqrtGate(KernelContext ctx, FloatArray dlogits, FloatArray dweights, FloatArray gates,
                                        FloatArray weights, IntArray expertIdx, int N, int E, int K) {
        int n = ctx.globalIdx;
        if (n < N) {
            int row = n * E, sel = n * K;
            float s = 0f;
            for (int k = 0; k < K; k++) s += gates.get(sel + k) * (dweights.get(sel + k) / (2f * weights.get(sel + k)));
            for (int e = 0; e < E; e++) dlogits.set(row + e, 0f);
            for (int k = 0; k < K; k++) {
                float a = dweights.get(sel + k) / (2f * weights.get(sel + k));
                dlogits.set(row + expertIdx.get(sel + k), gates.get(sel + k) * (a - s));
            }
        }
    }

    /**
     * Row n's top-K into expertIdx, its full softmax into probs and its logsumexp into lse; returns the
     * row maximum (the first pick's logit).
     */
    private static float selectAndSoftmax(int n, IntArray expertIdx, FloatArray probs, FloatArray lse,
                                          FloatArray logits, int E, int K) {
        int row = n * E, sel = n * K;
        // Slots the selection does not fill (only NaN logits left) hold their own index, as in the JVM kernel.
        for (int k = 0; k < K; k++) expertIdx.set(sel + k, k);
        for (int e = 0; e < E; e++) {
            float x = logits.get(row + e);
            // rank = experts before e in (logit desc, index asc) order: lower indices tie-or-beat it,
            // higher ones must beat it strictly. NaN compares false both ways, so it never counts and
            // a NaN logit is ranked past K (never selected), as in the JVM kernel's scan.
            int rank = 0;
            for (int j = 0; j < e; j++) {
                if (logits.get(row + j) >= x) rank++;
            }
            for (int j = e + 1; j < E; j++) {
                if (logits.get(row + j) > x) rank++;
            }
            rank += x == x ? 0 : K;
            if (rank < K) expertIdx.set(sel + rank, e);
        }
        float max = logits.get(row + expertIdx.get(sel));
        float sum = 0f;
        for (int e = 0; e < E; e++) {
            float x = TornadoMath.exp(logits.get(row + e) - max);
            probs.set(row + e, x);
            sum += x;
        }
        lse.set(n, max + TornadoMath.log(sum));
        float inv = 1f / sum;
        for (int e = 0; e < E; e++) probs.set(row + e, probs.get(row + e) * inv);
        return max;
    }

    /** Sum of exp(z - max) over row n's selected logits (recomputed, so tiny gates stay accurate). */
    private static float selectedSum(int n, IntArray expertIdx, FloatArray logits, float max, int E, int K) {
        int row = n * E, sel = n * K;
        float s = 0f;
        for (int k = 0; k < K; k++) s += TornadoMath.exp(logits.get(row + expertIdx.get(sel + k)) - max);
        return s;
    }
}
