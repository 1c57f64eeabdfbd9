package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * DyT, Dynamic Tanh, SPEC §2.1 (forward) and §2.2 (backward): y = gamma * tanh(alpha * x) + beta.
 *
 * <pre>
 * Shapes:
 *   N   rows (tokens: batch * sequence)
 *   C   features per row
 *   inp, out, dout, dinp   (N, C)
 *   alpha, dalpha          (1)   learnable scalar
 *   weight (gamma), dweight (C)
 *   bias (beta), dbias     (C)   null for the LLaMA variant without beta
 * </pre>
 *
 * Elementwise, so nothing is saved: backward recomputes tanh from inp. tanh is the Vector API's
 * lanewise TANH (an intrinsic on x86), with Math.tanh for the tail of a row.
 */
public final class DynamicTanh {
    private DynamicTanh() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int GRAIN = 16;

    public static void forward(float[] out, float[] inp, float[] alpha, float[] weight, float[] bias, int N, int C) {
        float a = alpha[0];
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            FloatVector va = FloatVector.broadcast(S, a);
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                int j = 0;
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector t = LaneMath.tanh(FloatVector.fromArray(S, inp, row + j).mul(va));
                    FloatVector w = FloatVector.fromArray(S, weight, j);
                    FloatVector y = bias == null ? t.mul(w) : t.fma(w, FloatVector.fromArray(S, bias, j));
                    y.intoArray(out, row + j);
                }
                for (; j < C; j++) {
                    float t = LaneMath.tanh(a * inp[row + j]);
                    out[row + j] = bias == null ? t * weight[j] : Math.fma(t, weight[j], bias[j]);
                }
            }
        });
    }

    /**
     * With t = tanh(alpha x), s = 1 - t^2: dx = dout * gamma * alpha * s; dalpha += sum dout * gamma * x * s;
     * dgamma += sum_rows dout * t; dbeta += sum_rows dout.
     */
    public static void backward(float[] dinp, float[] dalpha, float[] dweight, float[] dbias, float[] dout,
                                float[] inp, float[] alpha, float[] weight, int N, int C) {
        float a = alpha[0];
        int beta = NormGrads.beta(C), dAlpha = NormGrads.scalar0(C);
        NormGrads.reduce(N, GRAIN, C, (lo, hi, partial, off) -> {
            FloatVector va = FloatVector.broadcast(S, a), one = FloatVector.broadcast(S, 1f);
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                FloatVector alphaSum = FloatVector.zero(S);
                int j = 0;
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector x = FloatVector.fromArray(S, inp, row + j);
                    FloatVector g = FloatVector.fromArray(S, dout, row + j);
                    FloatVector t = LaneMath.tanh(x.mul(va));
                    FloatVector slope = t.neg().fma(t, one);
                    FloatVector gws = g.mul(FloatVector.fromArray(S, weight, j)).mul(slope);
                    gws.mul(va).intoArray(dinp, row + j);
                    alphaSum = gws.fma(x, alphaSum);
                    g.fma(t, FloatVector.fromArray(S, partial, off + j)).intoArray(partial, off + j);
                    g.add(FloatVector.fromArray(S, partial, off + beta + j)).intoArray(partial, off + beta + j);
                }
                float alphaTail = 0f;
                for (; j < C; j++) {
                    float x = inp[row + j], g = dout[row + j];
                    float t = LaneMath.tanh(a * x);
                    float gws = g * weight[j] * Math.fma(-t, t, 1f);
                    dinp[row + j] = gws * a;
                    alphaTail += gws * x;
                    partial[off + j] += g * t;
                    partial[off + beta + j] += g;
                }
                partial[off + dAlpha] += LaneMath.sum(alphaSum) + alphaTail;
            }
        }, dweight, dbias, dalpha, null);
    }
}
