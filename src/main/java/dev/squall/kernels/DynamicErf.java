package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Derf, Dynamic erf, SPEC §3.1 (forward) and §3.2 (backward): y = gamma * erf(alpha * x + s) + beta.
 *
 * <pre>
 * Shapes:
 *   N   rows (tokens: batch * sequence)
 *   C   features per row
 *   inp, out, dout, dinp   (N, C)
 *   alpha, dalpha          (1)   learnable scalar
 *   shift (s), dshift      (1)   learnable scalar
 *   weight (gamma), dweight (C)
 *   bias (beta), dbias     (C)   null for a Derf without beta
 * </pre>
 *
 * Elementwise, so nothing is saved: backward recomputes erf(u) and phi(u) = (2/sqrt(pi)) e^(-u^2)
 * from inp, with one exp per element: erf(u) for |u| &ge; 1 is built on the same e^(-u^2) as phi(u)
 * (see {@link Erf}, within 0.85 ulp). Scalar code for the tail of a row.
 */
public final class DynamicErf {
    private DynamicErf() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int GRAIN = 16;
    private static final float TWO_OVER_SQRT_PI = 1.1283791670955126f;

    public static void forward(float[] out, float[] inp, float[] alpha, float[] shift, float[] weight,
                               float[] bias, int N, int C) {
        float a = alpha[0], s = shift[0];
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            FloatVector va = FloatVector.broadcast(S, a), vs = FloatVector.broadcast(S, s);
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                int j = 0;
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector e = Erf.erf(FloatVector.fromArray(S, inp, row + j).fma(va, vs));
                    FloatVector w = FloatVector.fromArray(S, weight, j);
                    FloatVector y = bias == null ? e.mul(w) : e.fma(w, FloatVector.fromArray(S, bias, j));
                    y.intoArray(out, row + j);
                }
                for (; j < C; j++) {
                    float e = Erf.erf(Math.fma(a, inp[row + j], s));
                    out[row + j] = bias == null ? e * weight[j] : Math.fma(e, weight[j], bias[j]);
                }
            }
        });
    }

    /**
     * With u = alpha x + s: dx = dout * gamma * alpha * phi(u); dalpha += sum dout * gamma * x * phi(u);
     * ds += sum dout * gamma * phi(u); dgamma += sum_rows dout * erf(u); dbeta += sum_rows dout.
     */
    public static void backward(float[] dinp, float[] dalpha, float[] dshift, float[] dweight, float[] dbias,
                                float[] dout, float[] inp, float[] alpha, float[] shift, float[] weight,
                                int N, int C) {
        float a = alpha[0], s = shift[0];
        int beta = NormGrads.beta(C), dAlpha = NormGrads.scalar0(C), dShift = NormGrads.scalar1(C);
        NormGrads.reduce(N, GRAIN, C, (lo, hi, partial, off) -> {
            FloatVector va = FloatVector.broadcast(S, a), vs = FloatVector.broadcast(S, s);
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                FloatVector alphaSum = FloatVector.zero(S), shiftSum = FloatVector.zero(S);
                int j = 0;
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector x = FloatVector.fromArray(S, inp, row + j);
                    FloatVector g = FloatVector.fromArray(S, dout, row + j);
                    FloatVector u = x.fma(va, vs);
                    FloatVector gauss = LaneMath.exp(u.mul(u).neg());
                    FloatVector gwPhi = g.mul(FloatVector.fromArray(S, weight, j)).mul(gauss.mul(TWO_OVER_SQRT_PI));
                    gwPhi.mul(va).intoArray(dinp, row + j);
                    alphaSum = gwPhi.fma(x, alphaSum);
                    shiftSum = shiftSum.add(gwPhi);
                    g.fma(Erf.erf(u, gauss), FloatVector.fromArray(S, partial, off + j)).intoArray(partial, off + j);
                    g.add(FloatVector.fromArray(S, partial, off + beta + j)).intoArray(partial, off + beta + j);
                }
                float alphaTail = 0f, shiftTail = 0f;
                for (; j < C; j++) {
                    float x = inp[row + j], g = dout[row + j];
                    float u = Math.fma(a, x, s);
                    float gwPhi = g * weight[j] * TWO_OVER_SQRT_PI * LaneMath.exp(-u * u);
                    dinp[row + j] = gwPhi * a;
                    alphaTail += gwPhi * x;
                    shiftTail += gwPhi;
                    partial[off + j] += g * Erf.erf(u);
                    partial[off + beta + j] += g;
                }
                partial[off + dAlpha] += LaneMath.sum(alphaSum) + alphaTail;
                partial[off + dShift] += LaneMath.sum(shiftSum) + shiftTail;
            }
        }, dweight, dbias, dalpha, dshift);
    }
}
