package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * RMSNorm, SPEC §1.1 (forward) and §1.2 (backward).
 *
 * <pre>
 * Shapes:
 *   N   rows (tokens: batch * sequence)
 *   C   features per row
 *   inp, out, dout, dinp   (N, C)
 *   weight (gamma), dweight (C)
 *   rstd                   (N)   saved by forward: (mean(x^2) + eps)^(-1/2)
 * </pre>
 *
 * Conventions shared by every kernel: input gradients are written ({@code =}); parameter gradients
 * are accumulated ({@code +=}) so micro-batches add up; sums over all tokens are reduced per chunk
 * of rows in float, then in chunk order (deterministic, see {@link Parallel#reduce}).
 */
public final class RmsNorm {
    private RmsNorm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int GRAIN = 16;

    /** y = gamma * x * rstd, rstd = (mean(x^2) + eps)^(-1/2) per row. */
    public static void forward(float[] out, float[] rstd, float[] inp, float[] weight, int N, int C, float eps) {
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                float r = (float) (1.0 / Math.sqrt(sumSquares(inp, row, C) / C + eps));
                rstd[n] = r;
                int j = 0;
                FloatVector vr = FloatVector.broadcast(S, r);
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector x = FloatVector.fromArray(S, inp, row + j);
                    FloatVector w = FloatVector.fromArray(S, weight, j);
                    x.mul(vr).mul(w).intoArray(out, row + j);
                }
                for (; j < C; j++) out[row + j] = inp[row + j] * r * weight[j];
            }
        });
    }

    /**
     * dx = rstd * (gh - xhat * mean(gh * xhat)), gh = gamma * dout; dgamma += sum_rows dout * xhat.
     */
    public static void backward(float[] dinp, float[] dweight, float[] dout, float[] inp, float[] weight,
                                float[] rstd, int N, int C) {
        Parallel.reduce(N, GRAIN, C, dweight, (lo, hi, partial, off) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                float r = rstd[n];
                // mean(gh * xhat) = r * mean(gamma * dout * x)
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector gh = FloatVector.fromArray(S, dout, row + j).mul(FloatVector.fromArray(S, weight, j));
                    acc = gh.fma(FloatVector.fromArray(S, inp, row + j), acc);
                }
                float dot = LaneMath.sum(acc);
                for (; j < C; j++) dot += weight[j] * dout[row + j] * inp[row + j];
                float c1 = dot * r / C;
                FloatVector vr = FloatVector.broadcast(S, r), vc1 = FloatVector.broadcast(S, c1);
                j = 0;
                for (; j < S.loopBound(C); j += S.length()) {
                    FloatVector xhat = FloatVector.fromArray(S, inp, row + j).mul(vr);
                    FloatVector g = FloatVector.fromArray(S, dout, row + j);
                    g.mul(FloatVector.fromArray(S, weight, j)).sub(xhat.mul(vc1)).mul(vr).intoArray(dinp, row + j);
                    g.fma(xhat, FloatVector.fromArray(S, partial, off + j)).intoArray(partial, off + j);
                }
                for (; j < C; j++) {
                    float xhat = inp[row + j] * r;
                    float g = dout[row + j];
                    dinp[row + j] = r * (weight[j] * g - xhat * c1);
                    partial[off + j] += g * xhat;
                }
            }
        });
    }

    static float sumSquares(float[] a, int from, int len) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j < S.loopBound(len); j += S.length()) {
            FloatVector x = FloatVector.fromArray(S, a, from + j);
            acc = x.fma(x, acc);
        }
        float s = LaneMath.sum(acc);
        for (; j < len; j++) s += a[from + j] * a[from + j];
        return s;
    }
}
