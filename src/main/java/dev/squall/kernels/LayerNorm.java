package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm, SPEC §1.1 (forward) and §1.2 (backward).
 *
 * <pre>
 * Shapes:
 *   N   rows (tokens: batch * sequence)
 *   C   features per row
 *   inp, out, dout, dinp   (N, C)
 *   weight (gamma), dweight (C)
 *   bias (beta), dbias     (C)   null for a LayerNorm without beta
 *   mean, rstd             (N)   saved by forward: mean(x) and (var(x) + eps)^(-1/2), var biased
 * </pre>
 *
 * The variance is two-pass, mean((x - mean)^2): E[x^2] - E[x]^2 cancels catastrophically once the
 * mean is large against the spread (mean 1000, std 1 loses all float digits). The mean itself is
 * summed relative to the row's first element for the same reason.
 */
public final class LayerNorm {
    private LayerNorm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int GRAIN = 16;

    /** y = gamma * (x - mean) * rstd + beta per row. */
    public static void forward(float[] out, float[] mean, float[] rstd, float[] inp, float[] weight, float[] bias,
                               int N, int C, float eps) {
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                float pivot = inp[row];
                float m = pivot + sumMinus(inp, row, C, pivot) / C;
                float r = (float) (1.0 / Math.sqrt(sumSquaredDeviations(inp, row, C, m) / C + eps));
                mean[n] = m;
                rstd[n] = r;
                FloatVector vm = FloatVector.broadcast(S, m), vr = FloatVector.broadcast(S, r);
                int j = 0;
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector xhat = FloatVector.fromArray(S, inp, row + j).sub(vm).mul(vr);
                    FloatVector w = FloatVector.fromArray(S, weight, j);
                    FloatVector y = bias == null ? xhat.mul(w) : xhat.fma(w, FloatVector.fromArray(S, bias, j));
                    y.intoArray(out, row + j);
                }
                for (; j < C; j++) {
                    float xhat = (inp[row + j] - m) * r;
                    out[row + j] = bias == null ? xhat * weight[j] : Math.fma(xhat, weight[j], bias[j]);
                }
            }
        });
    }

    /**
     * dx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)), gh = gamma * dout;
     * dgamma += sum_rows dout * xhat; dbeta += sum_rows dout.
     */
    public static void backward(float[] dinp, float[] dweight, float[] dbias, float[] dout, float[] inp,
                                float[] weight, float[] mean, float[] rstd, int N, int C) {
        int beta = NormGrads.beta(C);
        NormGrads.reduce(N, GRAIN, C, (lo, hi, partial, off) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                float m = mean[n], r = rstd[n];
                FloatVector vm = FloatVector.broadcast(S, m), vr = FloatVector.broadcast(S, r);
                FloatVector sumGh = FloatVector.zero(S), sumGhXhat = FloatVector.zero(S);
                int j = 0;
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector xhat = FloatVector.fromArray(S, inp, row + j).sub(vm).mul(vr);
                    FloatVector gh = FloatVector.fromArray(S, dout, row + j).mul(FloatVector.fromArray(S, weight, j));
                    sumGh = sumGh.add(gh);
                    sumGhXhat = gh.fma(xhat, sumGhXhat);
                }
                float sGh = LaneMath.sum(sumGh), sGhXhat = LaneMath.sum(sumGhXhat);
                for (; j < C; j++) {
                    float gh = dout[row + j] * weight[j];
                    sGh += gh;
                    sGhXhat += gh * (inp[row + j] - m) * r;
                }
                float c1 = sGhXhat / C, c2 = sGh / C;
                FloatVector vc1 = FloatVector.broadcast(S, c1), vc2 = FloatVector.broadcast(S, c2);
                j = 0;
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector xhat = FloatVector.fromArray(S, inp, row + j).sub(vm).mul(vr);
                    FloatVector g = FloatVector.fromArray(S, dout, row + j);
                    FloatVector gh = g.mul(FloatVector.fromArray(S, weight, j));
                    gh.sub(vc2).sub(xhat.mul(vc1)).mul(vr).intoArray(dinp, row + j);
                    g.fma(xhat, FloatVector.fromArray(S, partial, off + j)).intoArray(partial, off + j);
                    g.add(FloatVector.fromArray(S, partial, off + beta + j)).intoArray(partial, off + beta + j);
                }
                for (; j < C; j++) {
                    float xhat = (inp[row + j] - m) * r;
                    float g = dout[row + j];
                    dinp[row + j] = r * (g * weight[j] - c2 - xhat * c1);
                    partial[off + j] += g * xhat;
                    partial[off + beta + j] += g;
                }
            }
        }, dweight, dbias, null, null);
    }

    /**
     * sum(a - pivot). With the row's first element as pivot the terms are of the size of the spread,
     * not of the mean, so a mean of 1000 is found to its own float rounding instead of losing the
     * rounding of 1000-sized partial sums.
     */
    static float sumMinus(float[] a, int from, int len, float pivot) {
        FloatVector acc = FloatVector.zero(S), vp = FloatVector.broadcast(S, pivot);
        int j = 0;
        for (; j < S.loopBound(len); j += S.length()) acc = acc.add(FloatVector.fromArray(S, a, from + j).sub(vp));
        float s = LaneMath.sum(acc);
        for (; j < len; j++) s += a[from + j] - pivot;
        return s;
    }

    static float sumSquaredDeviations(float[] a, int from, int len, float m) {
        FloatVector acc = FloatVector.zero(S), vm = FloatVector.broadcast(S, m);
        int j = 0;
        for (; j < S.loopBound(len); j += S.length()) {
            FloatVector d = FloatVector.fromArray(S, a, from + j).sub(vm);
            acc = d.fma(d, acc);
        }
        float s = LaneMath.sum(acc);
        for (; j < len; j++) s += (a[from + j] - m) * (a[from + j] - m);
        return s;
    }
}
