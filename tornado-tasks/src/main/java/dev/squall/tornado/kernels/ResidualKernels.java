package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Residual adds on a TornadoVM device: the same math as {@code dev.squall.kernels.Residual} and
 * {@code dev.squall.reference.ResidualRef}, as KernelContext kernels. A scaled residual branch
 * (SPEC §6.5) is a Mix record ({@link MixKernels}).
 *
 * <pre>
 * Shapes:
 *   n                  elements (tokens * features; the layout does not matter)
 *   a, b, out, dst, src   (n)
 * Launch:
 *   forward, accumulate   global n (any local size; ids >= n do nothing)
 * </pre>
 *
 * Both ops are elementwise, so an output may alias an input of the same element (out = a).
 */
public final class ResidualKernels {
    private ResidualKernels() {}

    /** out = a + b. */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray a, FloatArray b, int n) {
        int i = ctx.globalIdx;
        if (i < n) out.set(i, a.get(i) + b.get(i));
    }

    /** dst += src: a gradient reaching one activation along a second path. */
    public static void accumulate(KernelContext ctx, FloatArray dst, FloatArray src, int n) {
        int i = ctx.globalIdx;
        if (i < n) dst.set(i, dst.get(i) + src.get(i));
    }
}
