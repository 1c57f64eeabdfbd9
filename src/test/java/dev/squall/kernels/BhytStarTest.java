package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;

import dev.squall.reference.BhytStarRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BhytStarTest {
    static final float EPS = Bhyt.EPS;

    /** The reference backward against finite differences; small κ exercises tanh saturation. */
    @ParameterizedTest(name = "N={0} C={1} kappa={2}")
    @CsvSource({"1,1,10", "3,7,10", "2,13,1", "5,3,0.4", "4,5,2"})
    void referenceBackwardMatchesFiniteDifferences(int N, int C, double kappa) {
        double[] x = toDouble(normal(1, N * C, 1.5)), w = toDouble(normal(2, C, 1.0));
        double[] lambda = {2.5};
        double[] g = GradCheck.randomDouble(3, N * C);
        double[] out = new double[N * C], meanSq = new double[N];
        BhytStarRef.forward(out, meanSq, x, lambda, w, N, C, kappa, EPS);
        double[] dx = new double[N * C], dw = new double[C], dl = new double[1];
        BhytStarRef.backward(dx, dl, dw, g, x, meanSq, lambda, w, N, C, kappa, EPS);
        DoubleSupplier loss = () -> {
            double[] o = new double[N * C], ms = new double[N];
            BhytStarRef.forward(o, ms, x, lambda, w, N, C, kappa, EPS);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dx", x, dx, loss, 1e-7);
        GradCheck.check("dgamma", w, dw, loss, 1e-7);
        GradCheck.check("dlambda", lambda, dl, loss, 1e-7);
    }

    /** The float kernel against the reference; accumulated gradients start from a random base. */
    @ParameterizedTest(name = "N={0} C={1} kappa={2}")
    @CsvSource({"1,1,10", "3,3,10", "7,7,1", "13,13,10", "31,31,0.5", "65,65,10", "127,127,3", "1,17,10",
            "4,1000,10", "33,1024,10"})
    void kernelMatchesReference(int N, int C, float kappa) {
        long seed = 17L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), g = normal(seed + 2, N * C, 1.0);
        float[] lambda = {2.5f};
        float[] dwBase = normal(seed + 3, C, 1.0), dlBase = normal(seed + 4, 1, 1.0);

        float[] out = poisoned(N * C), meanSq = poisoned(N), dx = poisoned(N * C);
        float[] dw = dwBase.clone(), dl = dlBase.clone();
        BhytStar.forward(out, meanSq, x, lambda, w, N, C, kappa, EPS);
        BhytStar.backward(dx, dl, dw, g, x, meanSq, lambda, w, N, C, kappa, EPS);

        double[] rOut = new double[N * C], rMeanSq = new double[N], rDx = new double[N * C];
        double[] rDw = new double[C], rDl = new double[1];
        BhytStarRef.forward(rOut, rMeanSq, toDouble(x), toDouble(lambda), toDouble(w), N, C, kappa, EPS);
        BhytStarRef.backward(rDx, rDl, rDw, toDouble(g), toDouble(x), rMeanSq, toDouble(lambda), toDouble(w), N, C,
                kappa, EPS);

        // One length-C reduction per row, then elementwise products: float rounding ~ sqrt(C) * 6e-8.
        Close.elementwise("meanSq", meanSq, rMeanSq, 1e-5, 0);
        Close.elementwise("out", out, rOut, 1e-5, 1e-7);
        // The projection subtracts two terms of size λρ·g⊙γ that can cancel (completely at C = 1):
        // atol at 1e-5 of their RMS.
        Close.elementwise("dx", dx, rDx, 1e-4, 1e-5 * BhytTest.projectionTermScale(g, w, rMeanSq, lambda[0], kappa, N, C));
        // Sums over all rows: whole-tensor comparison.
        Close.normRelative("dgamma", dw, plus(dwBase, rDw), 1e-5);
        Close.normRelative("dlambda", dl, plus(dlBase, rDl), 1e-5);
    }
}
