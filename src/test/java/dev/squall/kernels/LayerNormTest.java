package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;

import dev.squall.reference.LayerNormRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LayerNormTest {
    static final float EPS = 1e-5f;

    /** The reference backward against finite differences of the reference forward. */
    @ParameterizedTest(name = "N={0} C={1} bias={2}")
    @CsvSource({"1,1,true", "3,7,true", "2,13,false", "5,3,true", "1,2,false"})
    void referenceBackwardMatchesFiniteDifferences(int N, int C, boolean withBias) {
        double[] x = toDouble(normal(1, N * C, 1.5)), w = toDouble(normal(2, C, 1.0));
        double[] b = withBias ? toDouble(normal(4, C, 1.0)) : null;
        double[] g = GradCheck.randomDouble(3, N * C);
        double[] dx = new double[N * C], dw = new double[C], db = withBias ? new double[C] : null;
        double[] out = new double[N * C], mean = new double[N], rstd = new double[N];
        LayerNormRef.forward(out, mean, rstd, x, w, b, N, C, EPS);
        LayerNormRef.backward(dx, dw, db, g, x, w, mean, rstd, N, C);
        java.util.function.DoubleSupplier loss = () -> {
            double[] o = new double[N * C], m = new double[N], r = new double[N];
            LayerNormRef.forward(o, m, r, x, w, b, N, C, EPS);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dx", x, dx, loss, 1e-7);
        GradCheck.check("dgamma", w, dw, loss, 1e-7);
        if (withBias) GradCheck.check("dbeta", b, db, loss, 1e-7);
    }

    /** The float kernel against the reference; gradients accumulate into a random base. */
    @ParameterizedTest(name = "N={0} C={1} bias={2}")
    @CsvSource({"1,1,true", "3,3,true", "7,7,false", "13,13,true", "31,31,true", "65,65,false", "127,127,true",
            "33,1024,true", "33,1024,false", "4,1000,true", "1,17,true", "2,2,true"})
    void kernelMatchesReference(int N, int C, boolean withBias) {
        long seed = 31L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), g = normal(seed + 2, N * C, 1.0);
        check(N, C, withBias, x, w, g, seed, 1e-4, 2e-5, 1e-5);
    }

    /**
     * Rows with mean 1000 and std 1: E[x^2] - E[x]^2 would lose every float digit of the variance (1e6
     * against 1). The two-pass kernel only pays the float rounding of the mean itself (ulp(1000) / 2 =
     * 3e-5 in x - mean, the same in every xhat of a row), hence atol 2e-4 and 1e-4 on dgamma here; the
     * one-pass formula misses by 0.1 or more.
     */
    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"7,1024", "5,127", "3,4096"})
    void largeMeanDoesNotCancel(int N, int C) {
        long seed = 97L * N + C;
        float[] x = normal(seed, N * C, 1.0);
        for (int i = 0; i < x.length; i++) x[i] += 1000f;
        float[] w = normal(seed + 1, C, 1.0), g = normal(seed + 2, N * C, 1.0);
        check(N, C, true, x, w, g, seed, 2e-4, 2e-4, 1e-4);
    }

    private static void check(int N, int C, boolean withBias, float[] x, float[] w, float[] g, long seed,
                              double dxRtol, double atol, double sumTol) {
        float[] b = withBias ? normal(seed + 4, C, 1.0) : null;
        float[] dwBase = normal(seed + 3, C, 1.0), dbBase = normal(seed + 5, C, 1.0);

        float[] out = poisoned(N * C), mean = poisoned(N), rstd = poisoned(N), dx = poisoned(N * C);
        float[] dw = dwBase.clone(), db = withBias ? dbBase.clone() : null;
        LayerNorm.forward(out, mean, rstd, x, w, b, N, C, EPS);
        LayerNorm.backward(dx, dw, db, g, x, w, mean, rstd, N, C);

        double[] rOut = new double[N * C], rMean = new double[N], rRstd = new double[N];
        double[] rDx = new double[N * C], rDw = new double[C], rDb = withBias ? new double[C] : null;
        LayerNormRef.forward(rOut, rMean, rRstd, toDouble(x), toDouble(w), withBias ? toDouble(b) : null, N, C, EPS);
        LayerNormRef.backward(rDx, rDw, rDb, toDouble(g), toDouble(x), toDouble(w), rMean, rRstd, N, C);

        // Elementwise after length-C reductions: float rounding grows like sqrt(C) * 6e-8, and out = w*xhat + b
        // may cancel, so the absolute floor is a small multiple of the |w|, |b| ~ 1 scale.
        Close.elementwise("out", out, rOut, 1e-5, atol);
        Close.elementwise("mean", mean, rMean, 1e-6, 1e-6);
        Close.elementwise("rstd", rstd, rRstd, 1e-5, 0);
        Close.elementwise("dx", dx, rDx, dxRtol, atol);
        // dgamma, dbeta sum N rows: compare as whole tensors.
        Close.normRelative("dgamma", dw, plus(dwBase, rDw), sumTol);
        if (withBias) Close.normRelative("dbeta", db, plus(dbBase, rDb), 1e-5);
    }
}
