package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;

import dev.squall.reference.DynamicTanhRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DynamicTanhTest {

    /** The reference backward against finite differences of the reference forward, alpha included. */
    @ParameterizedTest(name = "N={0} C={1} bias={2}")
    @CsvSource({"1,1,true", "3,7,true", "2,13,false", "5,3,true", "7,1,false"})
    void referenceBackwardMatchesFiniteDifferences(int N, int C, boolean withBias) {
        double[] x = toDouble(normal(1, N * C, 1.5)), w = toDouble(normal(2, C, 1.0));
        double[] b = withBias ? toDouble(normal(4, C, 1.0)) : null, alpha = {0.7};
        double[] g = GradCheck.randomDouble(3, N * C);
        double[] dx = new double[N * C], dalpha = {0}, dw = new double[C], db = withBias ? new double[C] : null;
        DynamicTanhRef.backward(dx, dalpha, dw, db, g, x, alpha, w, N, C);
        java.util.function.DoubleSupplier loss = () -> {
            double[] o = new double[N * C];
            DynamicTanhRef.forward(o, x, alpha, w, b, N, C);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dx", x, dx, loss, 1e-7);
        GradCheck.check("dalpha", alpha, dalpha, loss, 1e-7);
        GradCheck.check("dgamma", w, dw, loss, 1e-7);
        if (withBias) GradCheck.check("dbeta", b, db, loss, 1e-7);
    }

    /** The float kernel against the reference; parameter gradients accumulate into a random base. */
    @ParameterizedTest(name = "N={0} C={1} bias={2}")
    @CsvSource({"1,1,true", "3,3,true", "7,7,false", "13,13,true", "31,31,true", "65,65,false", "127,127,true",
            "33,1024,true", "64,1024,false", "4,1000,true", "1,17,true"})
    void kernelMatchesReference(int N, int C, boolean withBias) {
        long seed = 37L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), g = normal(seed + 2, N * C, 1.0);
        float[] b = withBias ? normal(seed + 4, C, 1.0) : null, alpha = {0.7f};
        float[] dwBase = normal(seed + 3, C, 1.0), dbBase = normal(seed + 5, C, 1.0), dalphaBase = {0.25f};

        float[] out = poisoned(N * C), dx = poisoned(N * C);
        float[] dw = dwBase.clone(), db = withBias ? dbBase.clone() : null, dalpha = dalphaBase.clone();
        DynamicTanh.forward(out, x, alpha, w, b, N, C);
        DynamicTanh.backward(dx, dalpha, dw, db, g, x, alpha, w, N, C);

        double[] rOut = new double[N * C], rDx = new double[N * C], rDalpha = {0}, rDw = new double[C];
        double[] rDb = withBias ? new double[C] : null, dAlpha = toDouble(alpha);
        DynamicTanhRef.forward(rOut, toDouble(x), dAlpha, toDouble(w), withBias ? toDouble(b) : null, N, C);
        DynamicTanhRef.backward(rDx, rDalpha, rDw, rDb, toDouble(g), toDouble(x), dAlpha, toDouble(w), N, C);

        // tanh within a couple of ulps; out = w*t + b may cancel, hence the absolute floor at the |w|,|b| ~ 1 scale.
        Close.elementwise("out", out, rOut, 1e-5, 1e-6);
        // 1 - t^2 from a rounded t is off by ~1e-7 absolute: relative error grows where tanh saturates,
        // absolute stays below |dout * gamma * alpha| * 2e-7.
        Close.elementwise("dx", dx, rDx, 1e-5, 2e-6);
        ScalarGrads.close("dalpha", dalpha[0], dalphaBase[0] + rDalpha[0], dalphaBase[0],
                alphaTermMagnitude(g, x, w, alpha[0], N, C), 1e-5);
        // dgamma, dbeta sum N rows: compare as whole tensors.
        Close.normRelative("dgamma", dw, plus(dwBase, rDw), 1e-5);
        if (withBias) Close.normRelative("dbeta", db, plus(dbBase, rDb), 1e-5);
    }

    private static double alphaTermMagnitude(float[] g, float[] x, float[] w, double a, int N, int C) {
        double m = 0;
        for (int i = 0; i < N * C; i++) {
            double t = Math.tanh(a * x[i]);
            m += Math.abs(g[i] * w[i % C] * x[i] * (1 - t * t));
        }
        return m;
    }
}
