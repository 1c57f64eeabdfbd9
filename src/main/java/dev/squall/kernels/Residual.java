package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Residual connections: x + f(x), optionally with a learnable or scheduled scale on the branch
 * (e.g. HyperP's 1/sqrt(2L), SPEC §6.5), and the gradient fan-out where one activation feeds two
 * consumers.
 *
 * <pre>
 * Shapes:
 *   n                       elements (tokens * features; the layout does not matter)
 *   a, b, out, dout, da, db (n)
 *   scale, dscale           (1)   the branch scale: an array because it may change per step
 * </pre>
 *
 * Every op is elementwise, so an output may alias an input of the same element (out = a, da = dout).
 */
public final class Residual {
    private Residual() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Elements per chunk: 64 KiB of each operand, large enough that a chunk outweighs its scheduling. */
    private static final int GRAIN = 1 << 14;

    /** out = a + b. */
    public static void forward(float[] out, float[] a, float[] b, int n) {
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            int i = lo;
            for (int end = lo + S.loopBound(hi - lo); i < end; i += S.length()) {
                FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).intoArray(out, i);
            }
            for (; i < hi; i++) out[i] = a[i] + b[i];
        });
    }

    /** dst += src: a gradient reaching one activation along a second path. */
    public static void accumulate(float[] dst, float[] src, int n) {
        forward(dst, dst, src, n);
    }

    /** out = a + scale[0] * b. */
    public static void scaledAdd(float[] out, float[] a, float[] b, float[] scale, int n) {
        float s = scale[0];
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            FloatVector vs = FloatVector.broadcast(S, s);
            int i = lo;
            for (int end = lo + S.loopBound(hi - lo); i < end; i += S.length()) {
                FloatVector.fromArray(S, b, i).fma(vs, FloatVector.fromArray(S, a, i)).intoArray(out, i);
            }
            for (; i < hi; i++) out[i] = a[i] + s * b[i];
        });
    }

    /**
     * da = dout, db = scale[0] * dout (written); dscale += sum(dout * b) (accumulated, reduced in
     * deterministic chunk order). da or db may alias dout, not both.
     */
    public static void scaledAddBackward(float[] da, float[] db, float[] dscale, float[] dout, float[] b,
                                         float[] scale, int n) {
        float s = scale[0];
        Parallel.reduce(n, GRAIN, 1, dscale, (lo, hi, partial, off) -> {
            FloatVector vs = FloatVector.broadcast(S, s);
            FloatVector acc = FloatVector.zero(S);
            int i = lo;
            for (int end = lo + S.loopBound(hi - lo); i < end; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, dout, i);
                acc = g.fma(FloatVector.fromArray(S, b, i), acc);
                g.intoArray(da, i);
                g.mul(vs).intoArray(db, i);
            }
            float sum = LaneMath.sum(acc);
            for (; i < hi; i++) {
                float g = dout[i];
                sum += g * b[i];
                da[i] = g;
                db[i] = s * g;
            }
            partial[off] += sum;
        });
    }
}
