package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squall.reference.RopeRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RopeTest {

    /** The reference backward against finite differences of the reference forward. */
    @ParameterizedTest(name = "B={0} T={1} heads={2} hd={3} base={4}")
    @CsvSource({"1,1,1,2,10000", "2,3,3,6,10", "1,7,2,18,10000", "1,5,1,4,2"})
    void referenceBackwardMatchesFiniteDifferences(int B, int T, int nHeads, int hd, double base) {
        int n = B * T * nHeads * hd;
        double[] cos = new double[T * hd / 2], sin = new double[T * hd / 2];
        RopeRef.tables(cos, sin, T, hd, base);
        double[] x = toDouble(normal(1, n, 1.0)), g = GradCheck.randomDouble(2, n), dx = new double[n];
        RopeRef.backward(dx, g, cos, sin, B, T, nHeads, hd);
        GradCheck.check("dx", x, dx, () -> {
            double[] y = new double[n];
            RopeRef.forward(y, x, cos, sin, B, T, nHeads, hd);
            return GradCheck.dot(g, y);
        }, 1e-8);
    }

    /** <R_p q, R_s k> = <q, R_{s-p} k>: scores depend only on the distance between positions. */
    @ParameterizedTest(name = "p={0} s={1} hd={2}")
    @CsvSource({"0,0,2", "3,3,6", "2,9,16", "17,40,64", "0,100,18", "250,1000,64"})
    void rotationsDependOnlyOnRelativePosition(int p, int s, int hd) {
        int T = Math.max(p, s) + 1, half = hd / 2;
        double[] cos = new double[T * half], sin = new double[T * half];
        RopeRef.tables(cos, sin, T, hd, 10000);
        float[] fcos = new float[T * half], fsin = new float[T * half];
        dev.squall.model.Transformer.ropeTables(fcos, fsin, T, hd, 10000);
        float[] q = normal(11L * p + s, hd, 1.0), k = normal(13L * p + s + 1, hd, 1.0);

        double lhs = GradCheck.dot(rotateRef(q, p, cos, sin, hd), rotateRef(k, s, cos, sin, hd));
        double rhs = GradCheck.dot(toDouble(q), rotateRef(k, s - p, cos, sin, hd));
        // Both sides in double differ only by rounding of the angle sums.
        assertEquals(rhs, lhs, 1e-10 * (1 + Math.abs(rhs)));

        float[] fq = new float[hd], fk = new float[hd], fkRel = new float[hd];
        Rope.forwardAt(fq, q, fcos, fsin, p, 1, 1, hd);
        Rope.forwardAt(fk, k, fcos, fsin, s, 1, 1, hd);
        Rope.forwardAt(fkRel, k, fcos, fsin, s - p, 1, 1, hd);
        // Float tables: cos/sin rounded to 6e-8 each, hd-term dot products of unit-size values.
        assertEquals(GradCheck.dot(toDouble(q), toDouble(fkRel)), GradCheck.dot(toDouble(fq), toDouble(fk)), 1e-5 * hd);
    }

    private static double[] rotateRef(float[] x, int pos, double[] cos, double[] sin, int hd) {
        int half = hd / 2;
        double[] c = java.util.Arrays.copyOfRange(cos, pos * half, (pos + 1) * half);
        double[] s = java.util.Arrays.copyOfRange(sin, pos * half, (pos + 1) * half);
        double[] y = new double[hd];
        RopeRef.forward(y, toDouble(x), c, s, 1, 1, 1, hd);
        return y;
    }

    /** Float kernel (forward, backward, in place, position offset) against the reference. */
    @ParameterizedTest(name = "B={0} T={1} heads={2} hd={3}")
    @CsvSource({"1,1,1,2", "2,3,3,6", "1,7,2,16", "2,13,1,18", "1,31,3,64", "2,65,2,34", "1,127,4,64", "2,40,8,128"})
    void kernelMatchesReference(int B, int T, int nHeads, int hd) {
        int n = B * T * nHeads * hd, half = hd / 2;
        long seed = 7L * T + hd;
        float[] cos = poisoned(T * half), sin = poisoned(T * half);
        dev.squall.model.Transformer.ropeTables(cos, sin, T, hd, 10000);
        double[] rcos = new double[T * half], rsin = new double[T * half];
        RopeRef.tables(rcos, rsin, T, hd, 10000);
        // Angles in double, then one rounding to float.
        Close.elementwise("cos", cos, rcos, 0, 6e-8);
        Close.elementwise("sin", sin, rsin, 0, 6e-8);

        float[] x = normal(seed, n, 1.0), g = normal(seed + 1, n, 1.0);
        float[] y = poisoned(n), dx = poisoned(n);
        Rope.forward(y, x, cos, sin, B, T, nHeads, hd);
        Rope.backward(dx, g, cos, sin, B, T, nHeads, hd);
        double[] ry = new double[n], rdx = new double[n];
        RopeRef.forward(ry, toDouble(x), rcos, rsin, B, T, nHeads, hd);
        RopeRef.backward(rdx, toDouble(g), rcos, rsin, B, T, nHeads, hd);
        // Two products and a sum per element, plus the table rounding: a few float ulps of |x|.
        Close.elementwise("out", y, ry, 1e-6, 1e-6);
        Close.elementwise("dinp", dx, rdx, 1e-6, 1e-6);

        float[] inPlace = x.clone();
        Rope.forward(inPlace, inPlace, cos, sin, B, T, nHeads, hd);
        Close.elementwise("out in place", inPlace, toDouble(y), 0, 0);
        float[] gInPlace = g.clone();
        Rope.backward(gInPlace, gInPlace, cos, sin, B, T, nHeads, hd);
        Close.elementwise("dinp in place", gInPlace, toDouble(dx), 0, 0);

        // The last sequence of the batch, rotated a chunk at a time from its own positions.
        int row = nHeads * hd, b = B - 1;
        for (int pos = 0; pos < T; pos += 5) {
            int nTok = Math.min(5, T - pos);
            float[] chunk = java.util.Arrays.copyOfRange(x, (b * T + pos) * row, (b * T + pos + nTok) * row);
            float[] rotated = poisoned(chunk.length);
            Rope.forwardAt(rotated, chunk, cos, sin, pos, nTok, nHeads, hd);
            double[] expected = toDouble(java.util.Arrays.copyOfRange(y, (b * T + pos) * row, (b * T + pos + nTok) * row));
            Close.elementwise("forwardAt pos=" + pos, rotated, expected, 0, 0);
        }
    }
}
