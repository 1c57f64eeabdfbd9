package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squall.reference.ResidualRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResidualTest {

    /** da, db and the scalar dscale of out = a + scale * b against finite differences. */
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3, 7, 13})
    void referenceScaledBackwardMatchesFiniteDifferences(int n) {
        double[] a = toDouble(normal(1, n, 1.0)), b = toDouble(normal(2, n, 1.0)), scale = {0.37};
        double[] g = GradCheck.randomDouble(3, n);
        double[] da = new double[n], db = new double[n], dscale = new double[1];
        ResidualRef.scaledAddBackward(da, db, dscale, g, b, scale, n);
        DoubleSupplier loss = () -> {
            double[] o = new double[n];
            ResidualRef.scaledAdd(o, a, b, scale, n);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("da", a, da, loss, 1e-7);
        GradCheck.check("db", b, db, loss, 1e-7);
        GradCheck.check("dscale", scale, dscale, loss, 1e-7);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3, 7, 13, 31, 65, 127, 1000, 100_003})
    void kernelMatchesReference(int n) {
        long seed = 17L * n;
        float[] a = normal(seed, n, 1.0), b = normal(seed + 1, n, 1.0), g = normal(seed + 2, n, 1.0);
        float[] scale = {0.83f}, dscaleBase = {0.25f};
        double[] ra = toDouble(a), rb = toDouble(b), rg = toDouble(g), rscale = {scale[0]};

        // Sums and products of two floats: one rounding, 6e-8 relative.
        float[] out = poisoned(n);
        double[] rOut = new double[n];
        Residual.forward(out, a, b, n);
        ResidualRef.forward(rOut, ra, rb, n);
        Close.elementwise("out", out, rOut, 1e-6, 1e-7);

        Residual.scaledAdd(out = poisoned(n), a, b, scale, n);
        ResidualRef.scaledAdd(rOut, ra, rb, rscale, n);
        Close.elementwise("scaledAdd", out, rOut, 1e-6, 1e-7);

        float[] dst = a.clone();
        Residual.accumulate(dst, b, n);
        double[] rDst = ra.clone();
        ResidualRef.accumulate(rDst, rb, n);
        Close.elementwise("accumulate", dst, rDst, 1e-6, 1e-7);

        float[] da = poisoned(n), db = poisoned(n), dscale = dscaleBase.clone();
        Residual.scaledAddBackward(da, db, dscale, g, b, scale, n);
        double[] rDa = new double[n], rDb = new double[n], rDscale = new double[1];
        ResidualRef.scaledAddBackward(rDa, rDb, rDscale, rg, rb, rscale, n);
        Close.elementwise("da", da, rDa, 0, 0);
        Close.elementwise("db", db, rDb, 1e-6, 0);
        // dscale is a dot product of length n: compare the accumulated scalar as a whole.
        Close.normRelative("dscale", dscale, plus(dscaleBase, rDscale), 1e-5);
    }

    /** out may be a, da or db may be dout: every op is elementwise. */
    @Test
    void inPlace() {
        int n = 1037;
        float[] a = normal(1, n, 1.0), b = normal(2, n, 1.0), g = normal(3, n, 1.0), scale = {1.7f};
        float[] expected = poisoned(n), inPlace = a.clone();
        Residual.scaledAdd(expected, a, b, scale, n);
        Residual.scaledAdd(inPlace, inPlace, b, scale, n);
        assertArrayEquals(expected, inPlace);

        float[] da = poisoned(n), db = poisoned(n), ds1 = {0f}, ds2 = {0f}, gAlias = g.clone();
        Residual.scaledAddBackward(da, db, ds1, g, b, scale, n);
        float[] da2 = poisoned(n);
        Residual.scaledAddBackward(da2, gAlias, ds2, gAlias, b, scale, n);
        assertArrayEquals(da, da2);
        assertArrayEquals(db, gAlias);
        assertEquals(ds1[0], ds2[0]);
    }

    /** dscale sums over chunks: the same bits on every call. */
    @Test
    void deterministic() {
        int n = 300_001;
        float[] b = normal(1, n, 1.0), g = normal(2, n, 1.0), scale = {0.5f};
        float[] first = {0f}, second = {0f};
        Residual.scaledAddBackward(poisoned(n), poisoned(n), first, g, b, scale, n);
        Residual.scaledAddBackward(poisoned(n), poisoned(n), second, g, b, scale, n);
        assertEquals(Float.floatToRawIntBits(first[0]), Float.floatToRawIntBits(second[0]));
    }
}
