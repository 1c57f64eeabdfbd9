package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane sums, exp and tanh that give the same bits in every JIT tier.
 *
 * <p>{@code reduceLanes(ADD)} may add lanes in a different order once C2 compiles it than in the
 * interpreter, and {@code lanewise(EXP)} / {@code lanewise(TANH)} become SVML calls when compiled
 * but per-lane scalar code before. Either makes a result depend on when the JIT kicked in, which
 * breaks bit-exact resume (a resumed process starts cold where the uninterrupted one was warm).
 * Everything here is built from IEEE add, mul, fma, min/max, blends and bit operations, each exactly
 * rounded the same way in every tier, applied in a fixed order. (Named apart from the incubator's
 * own {@code jdk.incubator.vector.VectorMath}, which a wildcard import would make ambiguous.)
 */
public final class LaneMath {
    private LaneMath() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Shuffles that fold the upper half of the (remaining) lanes onto the lower half: a fixed tree. */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int levels = Integer.numberOfTrailingZeros(S.length());
        VectorShuffle<Float>[] f = new VectorShuffle[levels];
        for (int l = 0; l < levels; l++) {
            int half = S.length() >> (l + 1);
            f[l] = VectorShuffle.fromOp(S, i -> (i + half) % S.length());
        }
        return f;
    }

    /** Sum of all lanes by pairwise folding in a fixed order. */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) v = v.add(v.rearrange(fold));
        return v.lane(0);
    }

    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;

    /**
     * e^x: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2), e^r by its degree-7 Taylor
     * polynomial (truncation 5e-9 relative, below a float ulp), times 2^n built in the exponent field.
     * Within 2e-7 relative of Math.exp; inputs below -87 give 0, above 88 are clamped.
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-87f).min(88f);
        FloatVector t = xc.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, 1f / 5040);
        p = p.fma(r, FloatVector.broadcast(S, 1f / 720));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        // t's bits are 0x4B400000 + n for integer n; move n + 127 into the exponent field.
        IntVector bits = t.reinterpretAsInts().sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
        FloatVector scaled = p.mul(bits.reinterpretAsFloats());
        return scaled.blend(0f, x.lt(-87f));
    }

    /** Scalar e^x with exactly the bits of {@link #exp(FloatVector)}, for loop tails. */
    public static float exp(float x) {
        return exp(FloatVector.broadcast(S, x)).lane(0);
    }

    /**
     * tanh(x). Below |x| = 0.625 the odd polynomial x + x z P(z), z = x^2, with the coefficients of
     * Cephes' tanhf (S. Moshier, single precision, relative error about 1e-7); above it
     * 1 - 2 / (e^{2|x|} + 1), which has no cancellation there; the sign restored last.
     */
    public static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector z = x.mul(x);
        FloatVector p = FloatVector.broadcast(S, -5.70498872745e-3f);
        p = p.fma(z, FloatVector.broadcast(S, 2.06390887954e-2f));
        p = p.fma(z, FloatVector.broadcast(S, -5.37397155531e-2f));
        p = p.fma(z, FloatVector.broadcast(S, 1.33314422036e-1f));
        p = p.fma(z, FloatVector.broadcast(S, -3.33332819422e-1f));
        FloatVector small = x.fma(z.mul(p), x);
        FloatVector e = exp(ax.add(ax));
        FloatVector big = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
        big = big.blend(big.neg(), x.lt(0f));
        return small.blend(big, ax.compare(VectorOperators.GE, 0.625f));
    }

    /** Scalar tanh with exactly the bits of {@link #tanh(FloatVector)}, for loop tails. */
    public static float tanh(float x) {
        return tanh(FloatVector.broadcast(S, x)).lane(0);
    }
}
