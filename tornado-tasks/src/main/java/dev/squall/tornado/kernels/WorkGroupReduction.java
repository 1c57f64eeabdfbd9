package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;

/**
 * Sum and maximum over one work-group, for the kernels that give a row (or a block of elements) to
 * a work-group: each work-item passes its own partial value and every work-item of the group gets
 * the group's result. A tree in local memory, halving the active work-items each step, so the order
 * of the additions is fixed and results are the same on every run.
 *
 * <pre>
 * Use: called by every work-item of the group (it holds barriers), never under a branch that some
 *      work-items skip; groupSize is the launch's local size, a power of two, and a compile-time
 *      constant at the call site (a kernel class's static final), because it sizes a local array.
 * </pre>
 *
 * <p>Each call allocates its own local array instead of taking one from the kernel: TornadoVM
 * addresses an array that reaches a helper as a parameter as if it were a Java heap array (element
 * index scaled to bytes plus the array header) even when it is a local array, so such a helper reads
 * and writes past the local array's end (docs/DESIGN.md, "The TornadoVM backend: what it relies on").
 * An array allocated and indexed inside the helper is addressed correctly once TornadoVM inlines it.
 */
public final class WorkGroupReduction {
    private WorkGroupReduction() {}

    /** Sum of {@code value} over the work-group's groupSize work-items. */
    public static float sum(KernelContext ctx, int groupSize, float value) {
        int lid = ctx.localIdx;
        float[] partial = ctx.allocateFloatLocalArray(groupSize);
        partial[lid] = value;
        for (int stride = groupSize / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) partial[lid] += partial[lid + stride];
        }
        ctx.localBarrier();
        float total = partial[0];
        // Everyone has read the total before any work-item could write the array again (a call in a loop).
        ctx.localBarrier();
        return total;
    }

    /** Maximum of {@code value} over the work-group's groupSize work-items. */
    public static float max(KernelContext ctx, int groupSize, float value) {
        int lid = ctx.localIdx;
        float[] partial = ctx.allocateFloatLocalArray(groupSize);
        partial[lid] = value;
        for (int stride = groupSize / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) partial[lid] = Math.max(partial[lid], partial[lid + stride]);
        }
        ctx.localBarrier();
        float top = partial[0];
        ctx.localBarrier();
        return top;
    }
}
