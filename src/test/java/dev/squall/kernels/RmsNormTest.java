package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;

import dev.squall.reference.RmsNormRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RmsNormTest {
    static final float EPS = 1e-5f;

    /** The reference backward against finite differences of the reference forward. */
    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1,1", "3,7", "2,13", "5,3"})
    void referenceBackwardMatchesFiniteDifferences(int N, int C) {
        double[] x = toDouble(normal(1, N * C, 1.5)), w = toDouble(normal(2, C, 1.0));
        double[] g = GradCheck.randomDouble(3, N * C);
        double[] dx = new double[N * C], dw = new double[C];
        double[] out = new double[N * C], rstd = new double[N];
        RmsNormRef.forward(out, rstd, x, w, N, C, EPS);
        RmsNormRef.backward(dx, dw, g, x, w, rstd, N, C);
        java.util.function.DoubleSupplier loss = () -> {
            double[] o = new double[N * C], r = new double[N];
            RmsNormRef.forward(o, r, x, w, N, C, EPS);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dx", x, dx, loss, 1e-7);
        GradCheck.check("dgamma", w, dw, loss, 1e-7);
    }

    /** The float kernel against the reference; gradients accumulate into a random base. */
    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1,1", "3,3", "7,7", "13,13", "31,31", "65,65", "127,127", "33,1024", "4,1000", "1,17"})
    void kernelMatchesReference(int N, int C) {
        long seed = 31L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), g = normal(seed + 2, N * C, 1.0);
        float[] dwBase = normal(seed + 3, C, 1.0);

        float[] out = poisoned(N * C), rstd = poisoned(N), dx = poisoned(N * C), dw = dwBase.clone();
        RmsNorm.forward(out, rstd, x, w, N, C, EPS);
        RmsNorm.backward(dx, dw, g, x, w, rstd, N, C);

        double[] rOut = new double[N * C], rRstd = new double[N], rDx = new double[N * C], rDw = new double[C];
        RmsNormRef.forward(rOut, rRstd, toDouble(x), toDouble(w), N, C, EPS);
        RmsNormRef.backward(rDx, rDw, toDouble(g), toDouble(x), toDouble(w), rRstd, N, C);

        // Elementwise after a length-C reduction: float rounding grows like sqrt(C) * 6e-8.
        Close.elementwise("out", out, rOut, 1e-5, 1e-6);
        Close.elementwise("rstd", rstd, rRstd, 1e-5, 0);
        Close.elementwise("dx", dx, rDx, 1e-4, 1e-5);
        // dgamma sums N rows: compare as a whole tensor.
        Close.normRelative("dgamma", dw, plus(dwBase, rDw), 1e-5);
    }
}
