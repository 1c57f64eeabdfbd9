package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;

import dev.squall.reference.DynamicErfRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DynamicErfTest {

    /** The reference backward against finite differences of the reference forward, alpha and s included. */
    @ParameterizedTest(name = "N={0} C={1} bias={2}")
    @CsvSource({"1,1,true", "3,7,true", "2,13,false", "5,3,true", "7,1,false"})
    void referenceBackwardMatchesFiniteDifferences(int N, int C, boolean withBias) {
        // x at scale 2.5 with alpha 0.8 puts some u = alpha x + s beyond 3, where ErfRef switches expansion.
        double[] x = toDouble(normal(1, N * C, 2.5)), w = toDouble(normal(2, C, 1.0));
        double[] b = withBias ? toDouble(normal(4, C, 1.0)) : null, alpha = {0.8}, shift = {0.3};
        double[] g = GradCheck.randomDouble(3, N * C);
        double[] dx = new double[N * C], dalpha = {0}, dshift = {0}, dw = new double[C];
        double[] db = withBias ? new double[C] : null;
        DynamicErfRef.backward(dx, dalpha, dshift, dw, db, g, x, alpha, shift, w, N, C);
        java.util.function.DoubleSupplier loss = () -> {
            double[] o = new double[N * C];
            DynamicErfRef.forward(o, x, alpha, shift, w, b, N, C);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dx", x, dx, loss, 1e-7);
        GradCheck.check("dalpha", alpha, dalpha, loss, 1e-7);
        GradCheck.check("dshift", shift, dshift, loss, 1e-7);
        GradCheck.check("dgamma", w, dw, loss, 1e-7);
        if (withBias) GradCheck.check("dbeta", b, db, loss, 1e-7);
    }

    /** The float kernel against the reference; parameter gradients accumulate into a random base. */
    @ParameterizedTest(name = "N={0} C={1} bias={2}")
    @CsvSource({"1,1,true", "3,3,true", "7,7,false", "13,13,true", "31,31,true", "65,65,false", "127,127,true",
            "33,1024,true", "64,1024,false", "4,1000,true", "1,17,true"})
    void kernelMatchesReference(int N, int C, boolean withBias) {
        long seed = 41L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), g = normal(seed + 2, N * C, 1.0);
        float[] b = withBias ? normal(seed + 4, C, 1.0) : null, alpha = {0.6f}, shift = {-0.3f};
        float[] dwBase = normal(seed + 3, C, 1.0), dbBase = normal(seed + 5, C, 1.0);
        float[] dalphaBase = {0.25f}, dshiftBase = {-0.5f};

        float[] out = poisoned(N * C), dx = poisoned(N * C);
        float[] dw = dwBase.clone(), db = withBias ? dbBase.clone() : null;
        float[] dalpha = dalphaBase.clone(), dshift = dshiftBase.clone();
        DynamicErf.forward(out, x, alpha, shift, w, b, N, C);
        DynamicErf.backward(dx, dalpha, dshift, dw, db, g, x, alpha, shift, w, N, C);

        double[] rOut = new double[N * C], rDx = new double[N * C], rDalpha = {0}, rDshift = {0}, rDw = new double[C];
        double[] rDb = withBias ? new double[C] : null, dAlpha = toDouble(alpha), dShift = toDouble(shift);
        DynamicErfRef.forward(rOut, toDouble(x), dAlpha, dShift, toDouble(w), withBias ? toDouble(b) : null, N, C);
        DynamicErfRef.backward(rDx, rDalpha, rDshift, rDw, rDb, toDouble(g), toDouble(x), dAlpha, dShift,
                toDouble(w), N, C);

        // erf within 0.85 ulp; out = w*erf + b may cancel, hence the absolute floor at the |w|,|b| ~ 1 scale.
        Close.elementwise("out", out, rOut, 1e-5, 1e-6);
        // phi(u) = e^(-u^2) carries the rounding of u = alpha x + s amplified by 2u^2 (~1e-6 at u = 3).
        Close.elementwise("dx", dx, rDx, 1e-5, 1e-7);
        double[] mag = termMagnitudes(g, x, w, alpha[0], shift[0], N, C);
        ScalarGrads.close("dalpha", dalpha[0], dalphaBase[0] + rDalpha[0], dalphaBase[0], mag[0], 1e-5);
        ScalarGrads.close("dshift", dshift[0], dshiftBase[0] + rDshift[0], dshiftBase[0], mag[1], 1e-5);
        // dgamma, dbeta sum N rows: compare as whole tensors.
        Close.normRelative("dgamma", dw, plus(dwBase, rDw), 1e-5);
        if (withBias) Close.normRelative("dbeta", db, plus(dbBase, rDb), 1e-5);
    }

    /** Sums of |terms| of dalpha and dshift, the scale their float rounding grows with. */
    private static double[] termMagnitudes(float[] g, float[] x, float[] w, double a, double s, int N, int C) {
        double ma = 0, ms = 0;
        for (int i = 0; i < N * C; i++) {
            double u = a * x[i] + s, t = Math.abs(g[i] * w[i % C] * Math.exp(-u * u) * 1.1283791670955126);
            ma += t * Math.abs(x[i]);
            ms += t;
        }
        return new double[] {ma, ms};
    }
}
