package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * LayerNorm on a TornadoVM device, SPEC §1.1-1.2: the same math as {@code dev.squall.kernels.LayerNorm}
 * and {@code dev.squall.reference.LayerNormRef}, written as KernelContext kernels.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), C features per row
 *   inp, out, dout, dinp               (N, C)
 *   weight, bias, dweight, dbias       (C)
 *   mean, rstd                         (N)            saved by forward
 *   wPartials, bPartials               (blocks, C)    dgamma / dbeta per block of ROWS_PER_BLOCK rows
 * Launch:
 *   forward, forwardNoBias, backwardInput   global N * ROW_GROUP, local ROW_GROUP (one work-group per row)
 *   paramPartials, weightPartials           global blocks * C
 *   ColumnSums.addColumns                   global C (once for dweight, once for dbias)
 * </pre>
 *
 * The variance is two-pass inside the work-group: the mean is reduced first, then the squared
 * deviations from it, so a large common offset does not cancel. dgamma and dbeta sum over every
 * row: per-block partials, then ColumnSums adds the blocks in order (deterministic, no atomics).
 */
public final class LayerNormKernels {
    private LayerNormKernels() {}

    /** Work-items per row; a power of two (the tree reduction halves it). */
    public static final int ROW_GROUP = 64;
    /** Rows summed by one work-item of {@link #paramPartials}. */
    public static final int ROWS_PER_BLOCK = 32;

    public static int blocks(int N) { return (N + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK; }

    /** y = gamma * (x - mean) * rstd + beta; saves mean and rstd = (var + eps)^(-1/2). */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray mean, FloatArray rstd, FloatArray inp,
                               FloatArray weight, FloatArray bias, int C, float eps) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float s = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) s += inp.get(base + j);
        float m = WorkGroupReduction.sum(ctx, ROW_GROUP, s) / C;
        float v = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float d = inp.get(base + j) - m;
            v += d * d;
        }
        float r = 1.0f / TornadoMath.sqrt(WorkGroupReduction.sum(ctx, ROW_GROUP, v) / C + eps);
        if (lid == 0) {
            mean.set(row, m);
            rstd.set(row, r);
        }
        for (int j = lid; j < C; j += ROW_GROUP) {
            out.set(base + j, (inp.get(base + j) - m) * r * weight.get(j) + bias.get(j));
        }
    }

    /** {@link #forward} without beta. */
    public static void forwardNoBias(KernelContext ctx, FloatArray out, FloatArray mean, FloatArray rstd,
                                     FloatArray inp, FloatArray weight, int C, float eps) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float s = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) s += inp.get(base + j);
        float m = WorkGroupReduction.sum(ctx, ROW_GROUP, s) / C;
        float v = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float d = inp.get(base + j) - m;
            v += d * d;
        }
        float r = 1.0f / TornadoMath.sqrt(WorkGroupReduction.sum(ctx, ROW_GROUP, v) / C + eps);
        if (lid == 0) {
            mean.set(row, m);
            rstd.set(row, r);
        }
        for (int j = lid; j < C; j += ROW_GROUP) out.set(base + j, (inp.get(base + j) - m) * r * weight.get(j));
    }

    /** dx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)), gh = gamma * dout; written. */
    public static void backwardInput(KernelContext ctx, FloatArray dinp, FloatArray dout, FloatArray inp,
                                     FloatArray weight, FloatArray mean, FloatArray rstd, int C) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float m = mean.get(row);
        float r = rstd.get(row);
        float a = 0f;
        float b = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float gh = weight.get(j) * dout.get(base + j);
            a += gh;
            b += gh * (inp.get(base + j) - m) * r;
        }
        float c2 = WorkGroupReduction.sum(ctx, ROW_GROUP, a) / C;
        float c1 = WorkGroupReduction.sum(ctx, ROW_GROUP, b) / C;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float xhat = (inp.get(base + j) - m) * r;
            dinp.set(base + j, r * (weight.get(j) * dout.get(base + j) - c2 - xhat * c1));
        }
    }

    /** wPartials[b, c] = sum over rows n of block b of dout * xhat; bPartials[b, c] = sum of dout. */
    public static void paramPartials(KernelContext ctx, FloatArray wPartials, FloatArray bPartials, FloatArray dout,
                                     FloatArray inp, FloatArray mean, FloatArray rstd, int N, int C) {
        int id = ctx.globalIdx;
        int b = id / C;
        int c = id - b * C;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float sw = 0f;
        float sb = 0f;
        for (int n = start; n < end; n++) {
            float g = dout.get(n * C + c);
            sw += g * (inp.get(n * C + c) - mean.get(n)) * rstd.get(n);
            sb += g;
        }
        wPartials.set(id, sw);
        bPartials.set(id, sb);
    }

    /** {@link #paramPartials} without beta: dgamma partials only. */
    public static void weightPartials(KernelContext ctx, FloatArray wPartials, FloatArray dout, FloatArray inp,
                                      FloatArray mean, FloatArray rstd, int N, int C) {
        int id = ctx.globalIdx;
        int b = id / C;
        int c = id - b * C;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float sw = 0f;
        for (int n = start; n < end; n++) sw += dout.get(n * C + c) * (inp.get(n * C + c) - mean.get(n)) * rstd.get(n);
        wPartials.set(id, sw);
    }
}
