package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.squall.program.Hyper;
import dev.squall.reference.SphereRef;
import dev.squall.testing.Close;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SphereTest {

    /** One MuonH step on float arrays, in the order the optimizer stage runs the tasks. */
    static void muonhStep(float[] param, float[] momentum, float[] grad, float[] hyper, float[] norms, MuonTest.Scratch s) {
        s.direction(momentum, grad, hyper);
        sphereStep(param, s.ortho, hyper, norms, s.n);
    }

    static void sphereStep(float[] param, float[] direction, float[] hyper, float[] norms, int n) {
        Sphere.decay(param, hyper, n);
        Sphere.sumSquares(norms, Hyper.SphereNorms.RADIUS_SQ, param, n);
        Sphere.sumSquares(norms, Hyper.SphereNorms.DIRECTION_SQ, direction, n);
        Sphere.step(param, direction, norms, hyper, n);
        Sphere.sumSquares(norms, Hyper.SphereNorms.STEPPED_SQ, param, n);
        Sphere.retract(param, norms, n);
    }

    /** MuonH against the double reference; the norm stays at its start value. */
    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1,1,7", "1,7,3", "1,32,32", "1,96,48", "1,48,96", "3,24,40"})
    void muonhMatchesReferenceAndKeepsTheNorm(int slices, int rows, int cols) {
        int n = slices * rows * cols;
        long seed = 7L * n + cols;
        float[] param = normal(seed, n, 0.2), momentum = new float[n], norms = poisoned(Hyper.SphereNorms.SIZE);
        double[] rParam = toDouble(param), rMomentum = new double[n];
        double radius = SphereRef.norm(rParam);
        float[] hyper = new float[Hyper.SIZE];
        MuonTest.Scratch s = new MuonTest.Scratch(slices, rows, cols);
        for (int t = 1; t <= 8; t++) {
            Hyper.setMuon(hyper, 0.05f, 0.95f, 0f, t, t % 3 == 0 ? 0.5f : 1f);
            float[] grad = normal(seed + t, n, 1.0);
            muonhStep(param, momentum, grad, hyper, norms, s);
            SphereRef.muonStep(rParam, rMomentum, toDouble(grad), toDouble(hyper), slices, rows, cols);
            assertEquals(radius, SphereRef.norm(toDouble(param)), 1e-6 * radius, "norm after step " + t);
        }
        // NS5's float error (1e-4, NewtonSchulzTest) times a relative step of 0.05 over 8 steps.
        Close.normRelative("param", param, rParam, 1e-5);
    }

    /** An expert stack has ONE radius (SPEC §6.1): the total norm is kept, the slices' own norms move. */
    @Test
    void stackSharesOneRadius() {
        int slices = 3, rows = 16, cols = 24, size = rows * cols, n = slices * size;
        float[] param = normal(11, n, 1.0), momentum = new float[n], norms = new float[Hyper.SphereNorms.SIZE];
        for (int i = 0; i < size; i++) param[i] *= 4; // slice 0 four times the others
        double[] before = sliceNorms(param, slices, size);
        double total = SphereRef.norm(toDouble(param));
        float[] hyper = new float[Hyper.SIZE];
        Hyper.setMuon(hyper, 0.2f, 0.95f, 0f, 1, 1f);
        muonhStep(param, momentum, normal(12, n, 1.0), hyper, norms, new MuonTest.Scratch(slices, rows, cols));
        assertEquals(total, SphereRef.norm(toDouble(param)), 1e-6 * total);
        double[] after = sliceNorms(param, slices, size);
        // Per-slice retraction would keep every slice's norm; one radius lets small slices grow.
        for (int e = 0; e < slices; e++) {
            assertTrue(Math.abs(after[e] / before[e] - 1) > 1e-3, "slice " + e + " kept its own norm: " + before[e] + " -> " + after[e]);
        }
    }

    /**
     * SPEC §6.4: with decay first and the retraction to the decayed radius, weight decay leaves the
     * direction exactly as without it and only shrinks the radius by (1 - lr wd) per step.
     */
    @Test
    void weightDecayOnlyShrinksTheRadius() {
        int n = 48 * 32, steps = 20;
        float lr = 0.05f, wd = 0.5f;
        float[] plain = normal(21, n, 0.3), decayed = plain.clone(), norms = new float[Hyper.SphereNorms.SIZE];
        double radius = SphereRef.norm(toDouble(plain));
        float[] hPlain = new float[Hyper.SIZE], hDecayed = new float[Hyper.SIZE];
        Hyper.setMuon(hPlain, lr, 0.95f, 0f, 1, 1f);
        Hyper.setMuon(hDecayed, lr, 0.95f, wd, 1, 1f);
        double worstDirection = 0, worstRadius = 0;
        for (int t = 1; t <= steps; t++) {
            float[] direction = normal(100 + t, n, 1.0);
            sphereStep(plain, direction, hPlain, norms, n);
            sphereStep(decayed, direction, hDecayed, norms, n);
            double rp = SphereRef.norm(toDouble(plain)), rd = SphereRef.norm(toDouble(decayed));
            double[] unitPlain = toDouble(plain);
            float[] unitDecayed = decayed.clone();
            for (int i = 0; i < n; i++) {
                unitPlain[i] /= rp;
                unitDecayed[i] /= (float) rd;
            }
            worstDirection = Math.max(worstDirection, Close.normRelError(unitDecayed, unitPlain));
            double wantRadius = radius * Math.pow(1 - (double) lr * wd, t);
            worstRadius = Math.max(worstRadius, Math.abs(rd / wantRadius - 1));
            assertEquals(radius, rp, 1e-5 * radius, "lambda = 0 keeps the radius, step " + t);
        }
        System.out.printf("weight decay under MuonH: direction differs by %.2e, radius off (1 - lr wd)^t by %.2e%n",
                worstDirection, worstRadius);
        // Float rounding only: a few 1e-7 per step, 20 steps.
        assertTrue(worstDirection < 1e-5, "direction changed by " + worstDirection);
        assertTrue(worstRadius < 1e-5, "radius off by " + worstRadius);
    }

    /** Adam on the sphere (the untied LM head under HyperP) against the double reference. */
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 65, 2048, 100_003})
    void adamOnTheSphereMatchesReference(int n) {
        float[] param = normal(n, n, 0.05), m = new float[n], v = new float[n], direction = poisoned(n);
        float[] norms = poisoned(Hyper.SphereNorms.SIZE);
        double[] rParam = toDouble(param), rm = new double[n], rv = new double[n];
        double radius = SphereRef.norm(rParam);
        float[] hyper = new float[Hyper.SIZE];
        for (int t = 1; t <= 6; t++) {
            Hyper.setAdamW(hyper, 0.01f * (1f - 0.1f * t), 0.9f, 0.95f, 1e-8f, 0f, t, t % 2 == 0 ? 0.4f : 1f);
            float[] grad = normal(n + 10L * t, n, 1.0);
            Sphere.adamDirection(direction, m, v, grad, hyper, n);
            sphereStep(param, direction, hyper, norms, n);
            SphereRef.adamStep(rParam, rm, rv, toDouble(grad), toDouble(hyper));
        }
        Close.elementwise("v", v, rv, 1e-5, 0);
        Close.normRelative("m", m, rm, 1e-5);
        Close.normRelative("param", param, rParam, 1e-5);
        assertEquals(radius, SphereRef.norm(toDouble(param)), 1e-6 * radius);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3, 4095, 4097, 100_003})
    void sumSquaresIsTheSquaredNorm(int n) {
        float[] x = normal(n + 1, n, 2.0), norms = poisoned(Hyper.SphereNorms.SIZE);
        Sphere.sumSquares(norms, Hyper.SphereNorms.STEPPED_SQ, x, n);
        double want = 0;
        for (float f : x) want += (double) f * f;
        // Summed in double: only the final float rounding remains.
        assertEquals(want, norms[Hyper.SphereNorms.STEPPED_SQ], 1e-7 * want);
        assertTrue(Float.isNaN(norms[Hyper.SphereNorms.RADIUS_SQ]), "only the named slot is written");
    }

    static double[] sliceNorms(float[] a, int slices, int size) {
        double[] out = new double[slices];
        for (int e = 0; e < slices; e++) {
            double s = 0;
            for (int i = 0; i < size; i++) s += (double) a[e * size + i] * a[e * size + i];
            out[e] = Math.sqrt(s);
        }
        return out;
    }
}
