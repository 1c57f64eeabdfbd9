package dev.squall.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.squall.reference.ErfRef;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class ErfTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * Every float multiple of 2^-12 in [-10, 10], 200k magnitudes log-uniform in [1e-6, 10] (every
     * binade the fits cover, not just the grid), plus tiny and subnormal magnitudes of both signs.
     */
    static float[] sweep() {
        int grid = 2 * 10 * 4096 + 1, logs = 200_000, dense = grid + logs;
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        float[] tiny = {Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 1e-30f, 1e-20f, 1e-12f, 1e-8f, 3e-6f, 1e-4f,
                0.01f, 0.5f, Math.nextDown(1f), 1f, Math.nextUp(1f), 3.9f, Math.nextDown(4f), 4f, 100f,
                Float.MAX_VALUE, Float.POSITIVE_INFINITY};
        float[] xs = new float[dense + 2 * tiny.length];
        for (int i = 0; i < grid; i++) xs[i] = -10f + i / 4096f;
        for (int i = grid; i < dense; i++) xs[i] = (float) Math.pow(10, -6 + 7 * random.nextDouble()) * (i % 2 == 0 ? 1 : -1);
        for (int i = 0; i < tiny.length; i++) {
            xs[dense + 2 * i] = tiny[i];
            xs[dense + 2 * i + 1] = -tiny[i];
        }
        return xs;
    }

    /**
     * Scalar erf against the double reference. Tolerance: 1.5e-7 relative (1.3 to 2.5 ulps: the fits are
     * exact to 1e-9, the rest is float rounding in the Horner chains and the 1 - exp subtraction), plus
     * the subnormal spacing 1.4e-45 where the result is subnormal and relative error means nothing.
     */
    @Test
    void scalarMatchesReferenceOverWholeRange() {
        double maxRel = 0, maxAbs = 0, maxUlps = 0;
        for (float x : sweep()) {
            double e = ErfRef.erf(x), a = Erf.erf(x);
            double abs = Math.abs(a - e), rel = e == 0 ? abs : abs / Math.abs(e);
            if (!(abs <= 1.5e-7 * Math.abs(e) + Float.MIN_VALUE)) fail(String.format("erf(%s) = %.9g, reference %.17g (rel %.3g)", x, a, e, rel));
            if (Math.abs(e) >= Float.MIN_NORMAL) maxRel = Math.max(maxRel, rel);
            maxAbs = Math.max(maxAbs, abs);
            maxUlps = Math.max(maxUlps, abs / Math.ulp((float) e));
        }
        System.out.printf("Erf.erf(float): max relative error (normal results) %.3g, max absolute error %.3g, max %.2f ulp%n",
                maxRel, maxAbs, maxUlps);
    }

    /** The vector form against the scalar one: same formulas, so at most 1 ulp apart (from exp). */
    @Test
    void vectorMatchesScalar() {
        float[] xs = sweep();
        int n = S.loopBound(xs.length);
        float[] out = new float[S.length()];
        int maxUlps = 0;
        for (int i = 0; i < n; i += S.length()) {
            Erf.erf(FloatVector.fromArray(S, xs, i)).intoArray(out, 0);
            for (int l = 0; l < S.length(); l++) {
                float x = xs[i + l], scalar = Erf.erf(x);
                int ulps = Math.abs(Float.floatToIntBits(out[l]) - Float.floatToIntBits(scalar));
                if (ulps > 1) fail(String.format("erf(%s): vector %.9g, scalar %.9g", x, out[l], scalar));
                maxUlps = Math.max(maxUlps, ulps);
            }
        }
        System.out.println("Erf.erf(FloatVector) vs scalar: max " + maxUlps + " ulp");
    }

    @Test
    void saturatesAndKeepsSign() {
        assertEquals(1f, Erf.erf(4f));
        assertEquals(1f, Erf.erf(Float.POSITIVE_INFINITY));
        assertEquals(-1f, Erf.erf(-1e30f));
        assertEquals(0f, Erf.erf(0f));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(Erf.erf(-0f)));
        assertEquals(Float.NaN, Erf.erf(Float.NaN));
    }
}
