package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Dropless MoE token dispatch and combine on a TornadoVM device (SPEC §6.6, §7.1): the same math as
 * {@code dev.squall.kernels.MoeDispatch} and {@code dev.squall.reference.MoeDispatchRef}.
 *
 * <pre>
 * Shapes:
 *   N tokens, K slots per token (slot s = t*K + j), E routed experts, C features per row
 *   expertIdx, weights, dweights   (N, K)
 *   rowSlot, slotRow               (N * K)   sorted row r holds slot rowSlot[r]; slotRow is its inverse
 *   offsets                        (E + 1)   expert e owns sorted rows offsets[e] .. offsets[e+1]-1
 *   x, dx, y, dy                   (N, C)
 *   xs, dxs, ys, dys               (N * K, C)
 * Launch:
 *   plan               global E + 1                          (one work-item per expert, plus the end)
 *   gather             global N * K * C
 *   gatherBackward     global N * C
 *   combine            global N * C
 *   combineBackward    global N * K * SLOT_GROUP, local SLOT_GROUP   (one work-group per slot)
 * </pre>
 *
 * <p>plan is the stable counting sort as one scan per expert: work-item e counts the slots routed to
 * experts below e (its first row, offsets[e]), then walks the N*K slots in order placing its own; the
 * extra work-item E writes offsets[E] = N*K the same way. That is O(E*N*K) integer work with no
 * cross-work-item communication, negligible beside the expert products for the E of this model.
 * Unlike the JVM kernel it cannot reject an expertIdx outside [0, E): such a slot is left unplaced.
 *
 * <p>Nothing else reduces across tokens: each output element is owned by one work-item, a token's K
 * slots add in ascending j as in the JVM kernel, and dweights' dot products reduce in local memory in a
 * fixed tree, so results are the same on every run.
 */
public final class MoeDispatchKernels {
    private MoeDispatchKernels() {}

    /** Work-items per slot of {@link #combineBackward}; a power of two (the tree reduction halves it). */
    public static final int SLOT_GROUP = 64;

    /** rowSlot, slotRow and offsets of the stable sort of the slots by expertIdx. Written. */
    public static void plan(KernelContext ctx, IntArray rowSlot, IntArray slotRow, IntArray offsets,
                            IntArray expertIdx, int N, int K, int E) {
        int e = ctx.globalIdx;
        if (e <= E) {
            int slots = N * K;
            int r = 0;
            for (int s = 0; s < slots; s++) {
                if (expertIdx.get(s) < e) r++;
            }
            offsets.set(e, r);
            for (int s = 0; s < slots; s++) {
                if (expertIdx.get(s) == e) {
                    rowSlot.set(r, s);
                    slotRow.set(s, r);
                    r++;
                }
            }
        }
    }

    /** xs[r] = x[rowSlot[r] / K]. Written. */
    public static void gather(KernelContext ctx, FloatArray xs, FloatArray x, IntArray rowSlot, int N, int K, int C) {
        int i = ctx.globalIdx;
        if (i < N * K * C) {
            int r = i / C;
            int c = i - r * C;
            xs.set(i, x.get((rowSlot.get(r) / K) * C + c));
        }
    }

    /** dx[t] = sum_j dxs[slotRow[t*K + j]], ascending j. Written. */
    public static void gatherBackward(KernelContext ctx, FloatArray dx, FloatArray dxs, IntArray slotRow, int N, int K,
                                      int C) {
        int i = ctx.globalIdx;
        if (i < N * C) {
            int t = i / C;
            int c = i - t * C;
            float s = dxs.get(slotRow.get(t * K) * C + c);
            for (int j = 1; j < K; j++) s += dxs.get(slotRow.get(t * K + j) * C + c);
            dx.set(i, s);
        }
    }

    /** y[t] = sum_j weights[t*K + j] * ys[slotRow[t*K + j]], ascending j. Written. */
    public static void combine(KernelContext ctx, FloatArray y, FloatArray ys, FloatArray weights, IntArray slotRow,
                               int N, int K, int C) {
        int i = ctx.globalIdx;
        if (i < N * C) {
            int t = i / C;
            int c = i - t * C;
            float s = weights.get(t * K) * ys.get(slotRow.get(t * K) * C + c);
            for (int j = 1; j < K; j++) s += weights.get(t * K + j) * ys.get(slotRow.get(t * K + j) * C + c);
            y.set(i, s);
        }
    }

    /**
     * dys[slotRow[s]] = weights[s] * dy[s / K] and dweights[s] = &lt;dy[s / K], ys[slotRow[s]]&gt;, both
     * written; work-group s owns slot s (every sorted row is some slot's, so dys is fully written).
     */
    public static void combineBackward(KernelContext ctx, FloatArray dys, FloatArray dweights, FloatArray dy,
                                       FloatArray ys, FloatArray weights, IntArray slotRow, int N, int K, int C) {
        int s = ctx.groupIdx;
        int lid = ctx.localIdx;
        int g = (s / K) * C;
        int row = slotRow.get(s) * C;
        float w = weights.get(s);
        float d = 0f;
        for (int c = lid; c < C; c += SLOT_GROUP) {
            float grad = dy.get(g + c);
            dys.set(row + c, w * grad);
            d += grad * ys.get(row + c);
        }
        float dweight = WorkGroupReduction.sum(ctx, SLOT_GROUP, d);
        if (lid == 0) dweights.set(s, dweight);
    }
}
