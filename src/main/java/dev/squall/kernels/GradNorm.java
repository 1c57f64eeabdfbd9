package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sum of squares of one gradient tensor, the building block of global-norm clipping:
 * norm = sqrt(sum over tensors of sumSquares), then AdamW's gradScale = min(1, maxNorm / norm).
 *
 * <pre>
 * Shapes:
 *   grad   (n)
 * </pre>
 *
 * <p>Chunks of {@value #GRAIN} elements are summed in float (16 lanes, so 256 terms per lane) and
 * the chunk partials in double in chunk order: the same bits on every run and thread count.
 */
public final class GradNorm {
    private GradNorm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int GRAIN = 1 << 12;

    /** Per-chunk partials, grown on demand and reused so steady-state steps allocate nothing. */
    private static double[] partials = new double[0];

    /** sum_i grad[i]^2 over [0, n). */
    public static synchronized double sumSquares(float[] grad, int n) {
        int chunks = Parallel.chunks(n, GRAIN);
        if (partials.length < chunks) partials = new double[chunks];
        double[] p = partials;
        Parallel.forRange(chunks, 1, (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                int from = c * GRAIN, to = Math.min(n, from + GRAIN);
                FloatVector acc = FloatVector.zero(S);
                int i = from;
                for (int end = from + S.loopBound(to - from); i < end; i += S.length()) {
                    FloatVector x = FloatVector.fromArray(S, grad, i);
                    acc = x.fma(x, acc);
                }
                float s = LaneMath.sum(acc);
                for (; i < to; i++) s += grad[i] * grad[i];
                p[c] = s;
            }
        });
        double total = 0;
        for (int c = 0; c < chunks; c++) total += p[c];
        return total;
    }
}
