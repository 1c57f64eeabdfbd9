package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * DyT, y = gamma * tanh(alpha * x) + beta, on a TornadoVM device, SPEC §2.1-2.2: the same math as
 * {@code dev.squall.kernels.DynamicTanh} and {@code dev.squall.reference.DynamicTanhRef}.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), C features per row
 *   inp, out, dout, dinp               (N, C)
 *   weight, bias, dweight, dbias       (C)
 *   alpha, dalpha                      (1)            learnable scalar, in an array (never baked in)
 *   alphaRows                          (N)            dalpha per row
 *   wPartials, bPartials               (blocks, C)    dgamma / dbeta per block of ROWS_PER_BLOCK rows
 * Launch:
 *   forward, forwardNoBias             global N * C
 *   backwardRows                       global N * ROW_GROUP, local ROW_GROUP (one work-group per row)
 *   paramPartials, weightPartials      global blocks * C
 *   ColumnSums.addColumns              global C (dweight; again for dbias)
 *   addScalar                          global 1 (dalpha += alphaRows summed in row order)
 * </pre>
 *
 * Elementwise, so nothing is saved: backward recomputes tanh from inp. dalpha sums over every
 * element of the grid: each work-group reduces its row in local memory, then one work-item adds
 * the N row sums in order (deterministic, no atomics).
 */
public final class DynamicTanhKernels {
    private DynamicTanhKernels() {}

    /** Work-items per row; a power of two (the tree reduction halves it). */
    public static final int ROW_GROUP = 64;
    /** Rows summed by one work-item of {@link #paramPartials}. */
    public static final int ROWS_PER_BLOCK = 32;

    public static int blocks(int N) { return (N + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK; }

    public static void forward(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray alpha, FloatArray weight,
                               FloatArray bias, int C) {
        int i = ctx.globalIdx;
        int j = i % C;
        out.set(i, weight.get(j) * TornadoMath.tanh(alpha.get(0) * inp.get(i)) + bias.get(j));
    }

    public static void forwardNoBias(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray alpha,
                                     FloatArray weight, int C) {
        int i = ctx.globalIdx;
        int j = i % C;
        out.set(i, weight.get(j) * TornadoMath.tanh(alpha.get(0) * inp.get(i)));
    }

    /**
     * With t = tanh(alpha x), s = 1 - t^2: dx = dout * gamma * alpha * s (written);
     * alphaRows[row] = sum_j dout * gamma * x * s (written; added into dalpha by {@link #addScalar}).
     */
    public static void backwardRows(KernelContext ctx, FloatArray dinp, FloatArray alphaRows, FloatArray dout,
                                    FloatArray inp, FloatArray alpha, FloatArray weight, int C) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float a = alpha.get(0);
        float s = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float x = inp.get(base + j);
            float t = TornadoMath.tanh(a * x);
            float gws = dout.get(base + j) * weight.get(j) * (1f - t * t);
            dinp.set(base + j, gws * a);
            s += gws * x;
        }
        float rowDalpha = WorkGroupReduction.sum(ctx, ROW_GROUP, s);
        if (lid == 0) alphaRows.set(row, rowDalpha);
    }

    /** wPartials[b, c] = sum over rows of block b of dout * tanh(alpha x); bPartials[b, c] = sum of dout. */
    public static void paramPartials(KernelContext ctx, FloatArray wPartials, FloatArray bPartials, FloatArray dout,
                                     FloatArray inp, FloatArray alpha, int N, int C) {
        int id = ctx.globalIdx;
        int b = id / C;
        int c = id - b * C;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float a = alpha.get(0);
        float sw = 0f;
        float sb = 0f;
        for (int n = start; n < end; n++) {
            float g = dout.get(n * C + c);
            sw += g * TornadoMath.tanh(a * inp.get(n * C + c));
            sb += g;
        }
        wPartials.set(id, sw);
        bPartials.set(id, sb);
    }

    /** {@link #paramPartials} without beta. */
    public static void weightPartials(KernelContext ctx, FloatArray wPartials, FloatArray dout, FloatArray inp,
                                      FloatArray alpha, int N, int C) {
        int id = ctx.globalIdx;
        int b = id / C;
        int c = id - b * C;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float a = alpha.get(0);
        float sw = 0f;
        for (int n = start; n < end; n++) sw += dout.get(n * C + c) * TornadoMath.tanh(a * inp.get(n * C + c));
        wPartials.set(id, sw);
    }

    /** acc[0] += sum_i partials[i], i = 0 .. n-1 in order; launch with a single work-item. */
    public static void addScalar(KernelContext ctx, FloatArray acc, FloatArray partials, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += partials.get(i);
        acc.set(0, acc.get(0) + s);
    }
}
