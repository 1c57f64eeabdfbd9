package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * RMSNorm on a TornadoVM device, SPEC §1.1-1.2: the same math as {@code dev.squall.kernels.RmsNorm}
 * and {@code dev.squall.reference.RmsNormRef}, written as KernelContext kernels.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), C features per row
 *   inp, out, dout, dinp   (N, C)
 *   weight, dweight        (C)
 *   rstd                   (N)            saved by forward
 *   partials               (blocks, C)    dweight per block of ROWS_PER_BLOCK rows
 * Launch:
 *   rmsnormForward, rmsnormBackwardInput   global N * ROW_GROUP, local ROW_GROUP (one work-group per row)
 *   weightPartials                         global blocks * C
 *   ColumnSums.addColumns                  global C
 * </pre>
 *
 * Row statistics reduce in local memory within a work-group. dweight sums over every row, which no
 * single work-group sees: per-block partial sums in one task, then a second task adds the blocks in
 * order (reading other work-groups' partials inside one kernel would race). Both orders are fixed,
 * so results are the same on every run.
 */
public final class RmsNormKernels {
    private RmsNormKernels() {}

    /** Work-items per row; a power of two (the tree reduction halves it). */
    public static final int ROW_GROUP = 64;
    /** Rows summed by one work-item of {@link #weightPartials}. */
    public static final int ROWS_PER_BLOCK = 32;

    public static int blocks(int N) { return (N + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK; }

    /** y = gamma * x * rstd, rstd = (mean(x^2) + eps)^(-1/2). */
    public static void rmsnormForward(KernelContext ctx, FloatArray out, FloatArray rstd, FloatArray inp,
                                      FloatArray weight, int C, float eps) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float s = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float x = inp.get(base + j);
            s += x * x;
        }
        float sumOfSquares = WorkGroupReduction.sum(ctx, ROW_GROUP, s);
        float r = 1.0f / TornadoMath.sqrt(sumOfSquares / C + eps);
        if (lid == 0) rstd.set(row, r);
        for (int j = lid; j < C; j += ROW_GROUP) out.set(base + j, inp.get(base + j) * r * weight.get(j));
    }

    /** dx = rstd * (gamma*dout - xhat * mean(gamma*dout*xhat)); written. */
    public static void rmsnormBackwardInput(KernelContext ctx, FloatArray dinp, FloatArray dout, FloatArray inp,
                                            FloatArray weight, FloatArray rstd, int C) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float r = rstd.get(row);
        float s = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) s += weight.get(j) * dout.get(base + j) * inp.get(base + j);
        float c1 = WorkGroupReduction.sum(ctx, ROW_GROUP, s) * r / C;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float xhat = inp.get(base + j) * r;
            dinp.set(base + j, r * (weight.get(j) * dout.get(base + j) - xhat * c1));
        }
    }

    /** partials[b, c] = sum over the rows n of block b of dout[n, c] * x[n, c] * rstd[n]. */
    public static void weightPartials(KernelContext ctx, FloatArray partials, FloatArray dout, FloatArray inp,
                                      FloatArray rstd, int N, int C) {
        int id = ctx.globalIdx;
        int b = id / C;
        int c = id - b * C;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float s = 0f;
        for (int n = start; n < end; n++) s += dout.get(n * C + c) * inp.get(n * C + c) * rstd.get(n);
        partials.set(id, s);
    }
}
