package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The second half of every grid-wide sum (dgamma, dbeta, dalpha, dlambda): add the per-block
 * partials, block by block in order, into the accumulated gradient.
 *
 * <pre>
 * Shapes: partials (blocks, C); acc (C)          Launch: global C
 * </pre>
 */
public final class ColumnSums {
    private ColumnSums() {}

    /** acc[c] += sum_b partials[b, c], b = 0, 1, ... in order. */
    public static void addColumns(KernelContext ctx, FloatArray acc, FloatArray partials, int C, int blocks) {
        int c = ctx.globalIdx;
        float s = 0f;
        for (int b = 0; b < blocks; b++) s += partials.get(b * C + c);
        acc.set(c, acc.get(c) + s);
    }
}
