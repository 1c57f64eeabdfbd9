package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Fused softmax cross-entropy on a TornadoVM device: the same math as
 * {@code dev.squall.kernels.CrossEntropy} and {@code dev.squall.reference.CrossEntropyRef} (the LM
 * head's loss, SPEC §8.1's softmax applied to the vocabulary).
 *
 * <pre>
 * Shapes:
 *   N rows (positions), V vocabulary
 *   logits, dlogits   (N, V)    forwardBackwardInPlace writes dlogits over logits
 *   targets           (N)       a negative target marks an ignored position
 *   losses            (N)
 *   scale             (1)       dloss scale (e.g. 1 / valid positions); an array, so it may change per step
 * Launch:
 *   forwardBackward, forwardBackwardInPlace   global N * ROW_GROUP, local ROW_GROUP (one work-group per row)
 *   forward           global N * ROW_GROUP, local ROW_GROUP
 * </pre>
 *
 * <p>losses[n] = logsumexp(logits[n]) - logits[n, target], dlogits = (softmax - onehot) * scale,
 * both written; an ignored row gets loss 0 and a zero gradient. Row max and row sum reduce in local
 * memory within the row's work-group, in a fixed tree order. Every work-item reads all it needs
 * from logits before the last barrier and writes only its own elements after it, so the in-place
 * form is safe (its own entry point: one array cannot be two arguments of a TornadoVM task). The mean
 * loss is a {@link StatsKernels} summary of the losses, like every other scalar a step reports.
 */
public final class CrossEntropyKernels {
    private CrossEntropyKernels() {}

    /** Work-items per row; a power of two (the tree reductions halve it). */
    public static final int ROW_GROUP = 64;

    /** losses and dlogits written. */
    public static void forwardBackward(KernelContext ctx, FloatArray losses, FloatArray dlogits, FloatArray logits,
                                       IntArray targets, FloatArray scale, int V) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * V;
        int t = targets.get(row);
        int tt = Math.max(t, 0);
        float valid = t < 0 ? 0f : 1f;
        float target = logits.get(base + tt);
        float lse = rowLogSumExp(ctx, logits, base, lid, V);
        if (lid == 0) losses.set(row, valid * (lse - target));
        float g = valid * scale.get(0);
        for (int j = lid; j < V; j += ROW_GROUP) {
            float p = TornadoMath.exp(logits.get(base + j) - lse);
            float onehot = j == tt ? 1f : 0f;
            dlogits.set(base + j, (p - onehot) * g);
        }
    }

    /**
     * {@link #forwardBackward} with the gradient written over the logits. TornadoVM cannot take one array
     * as two arguments of a task (the task would depend on itself), so in place has its own entry point.
     */
    public static void forwardBackwardInPlace(KernelContext ctx, FloatArray losses, FloatArray logits,
                                       IntArray targets, FloatArray scale, int V) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * V;
        int t = targets.get(row);
        int tt = Math.max(t, 0);
        float valid = t < 0 ? 0f : 1f;
        float target = logits.get(base + tt);
        float lse = rowLogSumExp(ctx, logits, base, lid, V);
        if (lid == 0) losses.set(row, valid * (lse - target));
        float g = valid * scale.get(0);
        for (int j = lid; j < V; j += ROW_GROUP) {
            float p = TornadoMath.exp(logits.get(base + j) - lse);
            float onehot = j == tt ? 1f : 0f;
            logits.set(base + j, (p - onehot) * g);
        }
    }

    /** losses written; no gradient (evaluation). */
    public static void forward(KernelContext ctx, FloatArray losses, FloatArray logits, IntArray targets, int V) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * V;
        int t = targets.get(row);
        int tt = Math.max(t, 0);
        float valid = t < 0 ? 0f : 1f;
        float lse = rowLogSumExp(ctx, logits, base, lid, V);
        if (lid == 0) losses.set(row, valid * (lse - logits.get(base + tt)));
    }

    /**
     * max + log(sum exp(x - max)) of one row of V logits, reduced over the row's work-group; every
     * work-item of the group gets the result. Inlined into each kernel.
     */
    private static float rowLogSumExp(KernelContext ctx, FloatArray logits, int base, int lid, int V) {
        float m = -Float.MAX_VALUE;
        for (int j = lid; j < V; j += ROW_GROUP) m = Math.max(m, logits.get(base + j));
        float max = WorkGroupReduction.max(ctx, ROW_GROUP, m);
        float s = 0f;
        for (int j = lid; j < V; j += ROW_GROUP) s += TornadoMath.exp(logits.get(base + j) - max);
        return max + TornadoMath.log(WorkGroupReduction.sum(ctx, ROW_GROUP, s));
    }
}
