package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;

import dev.squall.reference.HeadRmsNormRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HeadRmsNormTest {
    static final float EPS = 1e-5f;

    /** The reference backward against finite differences of the reference forward. */
    @ParameterizedTest(name = "N={0} heads={1} hd={2}")
    @CsvSource({"1,1,1", "3,2,7", "2,3,5", "5,1,3", "1,7,2"})
    void referenceBackwardMatchesFiniteDifferences(int N, int nHeads, int hd) {
        int n = N * nHeads * hd;
        double[] x = toDouble(normal(1, n, 1.5)), w = toDouble(normal(2, hd, 1.0));
        double[] g = GradCheck.randomDouble(3, n);
        double[] dx = new double[n], dw = new double[hd];
        double[] out = new double[n], rstd = new double[N * nHeads];
        HeadRmsNormRef.forward(out, rstd, x, w, N, nHeads, hd, EPS);
        HeadRmsNormRef.backward(dx, dw, g, x, w, rstd, N, nHeads, hd);
        java.util.function.DoubleSupplier loss = () -> {
            double[] o = new double[n], r = new double[N * nHeads];
            HeadRmsNormRef.forward(o, r, x, w, N, nHeads, hd, EPS);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dx", x, dx, loss, 1e-7);
        GradCheck.check("dgain", w, dw, loss, 1e-7);
    }

    /** Heads of very different scale: each must be normalized by its own statistic, not the token's. */
    @org.junit.jupiter.api.Test
    void eachHeadHasItsOwnScale() {
        int N = 2, nHeads = 3, hd = 4;
        double[] x = new double[N * nHeads * hd];
        for (int i = 0; i < x.length; i++) x[i] = (1 + i % 3) * Math.pow(10, (i / hd) % nHeads);
        double[] w = {1, 1, 1, 1}, out = new double[x.length], rstd = new double[N * nHeads];
        HeadRmsNormRef.forward(out, rstd, x, w, N, nHeads, hd, 0);
        for (int row = 0; row < N * nHeads; row++) {
            double ms = 0;
            for (int j = 0; j < hd; j++) ms += out[row * hd + j] * out[row * hd + j];
            Close.elementwise("unit rms of head " + row, new double[] {ms / hd}, new double[] {1}, 1e-12, 0);
        }
    }

    /** The float kernel against the reference; the gain gradient accumulates into a random base. */
    @ParameterizedTest(name = "N={0} heads={1} hd={2}")
    @CsvSource({"1,1,1", "3,3,3", "7,7,7", "13,1,13", "31,2,31", "65,3,65", "127,1,127", "5,4,17",
            "33,16,64", "64,8,128"})
    void kernelMatchesReference(int N, int nHeads, int hd) {
        int n = N * nHeads * hd;
        long seed = 31L * N + 7L * nHeads + hd;
        float[] x = normal(seed, n, 2.0), w = normal(seed + 1, hd, 1.0), g = normal(seed + 2, n, 1.0);
        float[] dwBase = normal(seed + 3, hd, 1.0);

        float[] out = poisoned(n), rstd = poisoned(N * nHeads), dx = poisoned(n), dw = dwBase.clone();
        HeadRmsNorm.forward(out, rstd, x, w, N, nHeads, hd, EPS);
        HeadRmsNorm.backward(dx, dw, g, x, w, rstd, N, nHeads, hd);

        double[] rOut = new double[n], rRstd = new double[N * nHeads], rDx = new double[n], rDw = new double[hd];
        HeadRmsNormRef.forward(rOut, rRstd, toDouble(x), toDouble(w), N, nHeads, hd, EPS);
        HeadRmsNormRef.backward(rDx, rDw, toDouble(g), toDouble(x), toDouble(w), rRstd, N, nHeads, hd);

        // Elementwise after a length-hd reduction: float rounding grows like sqrt(hd) * 6e-8.
        Close.elementwise("out", out, rOut, 1e-5, 1e-6);
        Close.elementwise("rstd", rstd, rRstd, 1e-5, 0);
        Close.elementwise("dx", dx, rDx, 1e-4, 1e-5);
        // dgain sums N * nHeads rows: compare as a whole tensor.
        Close.normRelative("dgain", dw, plus(dwBase, rDw), 1e-5);
    }
}
