package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Derf, y = gamma * erf(alpha * x + s) + beta, on a TornadoVM device, SPEC §3.1-3.2: the same math as
 * {@code dev.squall.kernels.DynamicErf} and {@code dev.squall.reference.DynamicErfRef}.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), C features per row
 *   inp, out, dout, dinp               (N, C)
 *   weight, bias, dweight, dbias       (C)
 *   alpha, shift, dalpha, dshift       (1)            learnable scalars, in arrays (never baked in)
 *   alphaRows, shiftRows               (N)            dalpha / dshift per row
 *   wPartials, bPartials               (blocks, C)    dgamma / dbeta per block of ROWS_PER_BLOCK rows
 * Launch:
 *   forward, forwardNoBias             global N * C
 *   backwardRows                       global N * ROW_GROUP, local ROW_GROUP (one work-group per row)
 *   paramPartials, weightPartials      global blocks * C
 *   ColumnSums.addColumns              global C (dweight; again for dbias)
 *   DynamicTanhKernels.addScalar       global 1 (dalpha from alphaRows; dshift from shiftRows)
 * </pre>
 *
 * OpenCL C has erf, but TornadoMath does not expose it, so {@link #erf} is a port of
 * {@code dev.squall.kernels.Erf.erf(float)}: the same polynomials and constants, exp from TornadoMath,
 * multiply-adds instead of Math.fma (see {@link #madd}).
 */
public final class DynamicErfKernels {
    private DynamicErfKernels() {}

    /** Work-items per row; a power of two (the tree reduction halves it). */
    public static final int ROW_GROUP = 64;
    /** Rows summed by one work-item of {@link #paramPartials}. */
    public static final int ROWS_PER_BLOCK = 32;
    public static final float TWO_OVER_SQRT_PI = 1.1283791670955126f;

    public static int blocks(int N) { return (N + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK; }

    // erf(x)/x - 1 on x^2 in [0, 1] (dev.squall.kernels.Erf)
    private static final float P0 = 1.283791661e-01f, P1 = -3.761262596e-01f, P2 = 1.128358543e-01f,
            P3 = -2.685381286e-02f, P4 = 5.188327748e-03f, P5 = -8.010193706e-04f, P6 = 7.853861462e-05f;
    // erfc(x) e^(x^2) on x in [1, 4], in z = x - 2.5 (dev.squall.kernels.Erf)
    private static final float R0 = 2.108063251e-01f, R1 = -7.434950024e-02f, R2 = 2.492940240e-02f,
            R3 = -7.999175228e-03f, R4 = 2.523487434e-03f, R5 = -6.475524860e-04f, R6 = 2.214396081e-04f,
            R7 = -1.398782042e-04f, R8 = -5.969838821e-05f, R9 = -2.834914449e-05f;

    /**
     * a * b + c. Math.fma is not a device intrinsic in TornadoVM (it inlines the JDK's software
     * fallback, which does not compile for the device); TornadoVM's OpenCL backend may contract this
     * into an fma itself.
     */
    private static float madd(float a, float b, float c) {
        return a * b + c;
    }

    /**
     * erf in float, callable inside kernels: |x| &lt; 1: x + x * P(x^2); else 1 - e^(-x^2) R(|x| - 2.5)
     * with |x| clamped to 4 (where the result is exactly 1), sign restored. NaN stays NaN.
     */
    public static float erf(float x) {
        float a = TornadoMath.abs(x);
        float s = x * x;
        float p = P6;
        p = madd(p, s, P5);
        p = madd(p, s, P4);
        p = madd(p, s, P3);
        p = madd(p, s, P2);
        p = madd(p, s, P1);
        p = madd(p, s, P0);
        float result = madd(p, x, x);
        if (!(a < 1f)) {
            float t = a > 4f ? 4f : a;
            float z = t - 2.5f;
            float r = R9;
            r = madd(r, z, R8);
            r = madd(r, z, R7);
            r = madd(r, z, R6);
            r = madd(r, z, R5);
            r = madd(r, z, R4);
            r = madd(r, z, R3);
            r = madd(r, z, R2);
            r = madd(r, z, R1);
            r = madd(r, z, R0);
            float large = madd(-TornadoMath.exp(-t * t), r, 1f);
            result = x < 0f ? -large : large;
        }
        return result;
    }

    public static void forward(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray alpha, FloatArray shift,
                               FloatArray weight, FloatArray bias, int C) {
        int i = ctx.globalIdx;
        int j = i % C;
        out.set(i, weight.get(j) * erf(madd(alpha.get(0), inp.get(i), shift.get(0))) + bias.get(j));
    }

    public static void forwardNoBias(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray alpha,
                                     FloatArray shift, FloatArray weight, int C) {
        int i = ctx.globalIdx;
        int j = i % C;
        out.set(i, weight.get(j) * erf(madd(alpha.get(0), inp.get(i), shift.get(0))));
    }

    /**
     * With u = alpha x + s, phi = (2/sqrt(pi)) e^(-u^2): dx = dout * gamma * alpha * phi (written);
     * alphaRows[row] = sum_j dout * gamma * phi * x, shiftRows[row] = sum_j dout * gamma * phi (written).
     */
    public static void backwardRows(KernelContext ctx, FloatArray dinp, FloatArray alphaRows, FloatArray shiftRows,
                                    FloatArray dout, FloatArray inp, FloatArray alpha, FloatArray shift,
                                    FloatArray weight, int C) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float a = alpha.get(0);
        float sh = shift.get(0);
        float accA = 0f;
        float accS = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float x = inp.get(base + j);
            float u = madd(a, x, sh);
            float gwPhi = dout.get(base + j) * weight.get(j) * TWO_OVER_SQRT_PI * TornadoMath.exp(-u * u);
            dinp.set(base + j, gwPhi * a);
            accA += gwPhi * x;
            accS += gwPhi;
        }
        float rowDalpha = WorkGroupReduction.sum(ctx, ROW_GROUP, accA);
        float rowDshift = WorkGroupReduction.sum(ctx, ROW_GROUP, accS);
        if (lid == 0) {
            alphaRows.set(row, rowDalpha);
            shiftRows.set(row, rowDshift);
        }
    }

    /** wPartials[b, c] = sum over rows of block b of dout * erf(alpha x + s); bPartials[b, c] = sum of dout. */
    public static void paramPartials(KernelContext ctx, FloatArray wPartials, FloatArray bPartials, FloatArray dout,
                                     FloatArray inp, FloatArray alpha, FloatArray shift, int N, int C) {
        int id = ctx.globalIdx;
        int b = id / C;
        int c = id - b * C;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float a = alpha.get(0);
        float sh = shift.get(0);
        float sw = 0f;
        float sb = 0f;
        for (int n = start; n < end; n++) {
            float g = dout.get(n * C + c);
            sw += g * erf(madd(a, inp.get(n * C + c), sh));
            sb += g;
        }
        wPartials.set(id, sw);
        bPartials.set(id, sb);
    }

    /** {@link #paramPartials} without beta. */
    public static void weightPartials(KernelContext ctx, FloatArray wPartials, FloatArray dout, FloatArray inp,
                                      FloatArray alpha, FloatArray shift, int N, int C) {
        int id = ctx.globalIdx;
        int b = id / C;
        int c = id - b * C;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float a = alpha.get(0);
        float sh = shift.get(0);
        float sw = 0f;
        for (int n = start; n < end; n++) sw += dout.get(n * C + c) * erf(madd(a, inp.get(n * C + c), sh));
        wPartials.set(id, sw);
    }
}
