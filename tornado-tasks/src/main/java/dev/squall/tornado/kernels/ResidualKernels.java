package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Residual adds on a TornadoVM device (SPEC §6.5 for the scaled branch): the same math as
 * {@code dev.squall.kernels.Residual} and {@code dev.squall.reference.ResidualRef}, as KernelContext kernels.
 *
 * <pre>
 * Shapes:
 *   n                        elements (tokens * features; the layout does not matter)
 *   a, b, out, dout, da, db  (n)
 *   scale, dscale            (1)        the branch scale: an array because it may change per step
 *   partials                 (blocks)   dscale per block of ELEMS_PER_BLOCK elements
 * Launch:
 *   forward, accumulate, scaledAdd, scaledAddBackward   global n (any local size; ids >= n do nothing)
 *   dscalePartials                                      global blocks(n)
 *   ColumnSums.addColumns(dscale, partials, 1, blocks)  global 1
 * </pre>
 *
 * Every op is elementwise, so an output may alias an input of the same element (out = a, da = dout).
 * dscale sums over every element, which no single work-item or work-group sees: per-block partials in
 * one task, then a second task adds them in block order (reading other work-groups' partials inside one
 * kernel would race). Both orders are fixed, so results are the same on every run.
 */
public final class ResidualKernels {
    private ResidualKernels() {}

    /** Elements summed by one work-item of {@link #dscalePartials}. */
    public static final int ELEMS_PER_BLOCK = 256;

    public static int blocks(int n) { return (n + ELEMS_PER_BLOCK - 1) / ELEMS_PER_BLOCK; }

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

    /** out = a + scale[0] * b. */
    public static void scaledAdd(KernelContext ctx, FloatArray out, FloatArray a, FloatArray b, FloatArray scale, int n) {
        int i = ctx.globalIdx;
        if (i < n) out.set(i, a.get(i) + scale.get(0) * b.get(i));
    }

    /** da = dout, db = scale[0] * dout (written). da or db may alias dout, not both. */
    public static void scaledAddBackward(KernelContext ctx, FloatArray da, FloatArray db, FloatArray dout,
                                         FloatArray scale, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            float g = dout.get(i);
            da.set(i, g);
            db.set(i, scale.get(0) * g);
        }
    }

    /** partials[k] = sum of dout[i] * b[i] over the elements of block k, in index order. */
    public static void dscalePartials(KernelContext ctx, FloatArray partials, FloatArray dout, FloatArray b, int n) {
        int k = ctx.globalIdx;
        int start = k * ELEMS_PER_BLOCK;
        int end = Math.min(n, start + ELEMS_PER_BLOCK);
        float s = 0f;
        for (int i = start; i < end; i++) s += dout.get(i) * b.get(i);
        if (start < n) partials.set(k, s);
    }
}
