package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.reference.MixRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MixTest {

    /** The reference backward against finite differences of the reference forward. */
    @ParameterizedTest(name = "n={0} alpha={1} beta={2}")
    @CsvSource({"1,0.5,2.0", "3,0.70710678,0.70710678", "13,-1.5,0.25"})
    void referenceBackwardMatchesFiniteDifferences(int n, double alpha, double beta) {
        double[] a = toDouble(normal(1, n, 1.0)), b = toDouble(normal(2, n, 1.0)), g = GradCheck.randomDouble(3, n);
        double[] da = new double[n], db = new double[n];
        MixRef.backward(da, db, g, alpha, beta, n);
        java.util.function.DoubleSupplier loss = () -> {
            double[] o = new double[n];
            MixRef.forward(o, a, b, alpha, beta, n);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("da", a, da, loss, 1e-7);
        GradCheck.check("db", b, db, loss, 1e-7);
    }

    /** The float kernel against the reference, outputs pre-filled with NaN. */
    @ParameterizedTest(name = "n={0}")
    @CsvSource({"1", "3", "7", "13", "31", "65", "127", "1000", "16385", "524288"})
    void kernelMatchesReference(int n) {
        float alpha = 0.70710677f, beta = -1.25f;
        float[] a = normal(n, n, 1.0), b = normal(n + 1, n, 1.0), g = normal(n + 2, n, 1.0);
        float[] out = poisoned(n), da = poisoned(n), db = poisoned(n);
        Mix.forward(out, a, b, alpha, beta, n);
        Mix.backward(da, db, g, alpha, beta, n);
        double[] rOut = new double[n], rDa = new double[n], rDb = new double[n];
        MixRef.forward(rOut, toDouble(a), toDouble(b), alpha, beta, n);
        MixRef.backward(rDa, rDb, toDouble(g), alpha, beta, n);
        // Two products and a sum: three roundings, but the sum may cancel, hence a small atol.
        Close.elementwise("out", out, rOut, 1e-6, 1e-6);
        // One product: a single rounding.
        Close.elementwise("da", da, rDa, 1e-7, 0);
        Close.elementwise("db", db, rDb, 1e-7, 0);
    }

    /** A null gradient is skipped and the other is still written. */
    @Test
    void nullGradientIsSkipped() {
        int n = 100;
        float[] g = normal(5, n, 1.0), da = poisoned(n), db = poisoned(n);
        Mix.backward(da, null, g, 2f, 3f, n);
        Mix.backward(null, db, g, 2f, 3f, n);
        for (int i = 0; i < n; i++) assertTrue(da[i] == 2f * g[i] && db[i] == 3f * g[i]);
    }
}
