package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.squall.reference.NewtonSchulzRef;
import dev.squall.testing.Close;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NewtonSchulzTest {

    /**
     * Matrices G = U·diag(s)·Vᵀ with random orthonormal U, V and chosen s, so the normalized input
     * X₀ = G/‖G‖_F has known singular values t; NS5 must return U·diag(f(t))·Vᵀ with every f(t) in
     * [0.97, 1.04] (SPEC §6.3 derives [0.978, 1.032] for t in [0.01, 1]). Since ‖X₀‖_F = 1, one
     * matrix cannot hold both t = 0.01 and t = 1; each matrix has a leading value `top` and the rest
     * log-spaced down to 0.01 with the total norm 1, and the tops sweep the interval.
     */
    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"64,64", "48,96", "96,48", "13,31", "31,13"})
    void singularValuesInTheUnitIntervalLandNearOne(int rows, int cols) {
        int k = Math.min(rows, cols);
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE, refLo = lo, refHi = hi;
        for (double top : new double[] {0.995, 0.9, 0.7, 0.5, 0.3}) {
            double[] t = spectrum(top, k);
            if (t == null) continue;
            long seed = rows * 1000L + cols + Math.round(top * 100);
            double[] u = orthonormalColumns(seed, rows, k), v = orthonormalColumns(seed + 1, cols, k);
            float[] g = new float[rows * cols];
            double scale = 3.7; // any scale: NS normalizes first
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) s += u[i * k + q] * scale * t[q] * v[j * k + q];
                    g[i * cols + j] = (float) s;
                }
            float[] out = run(g, 1, rows, cols);
            double[] ref = new double[rows * cols];
            NewtonSchulzRef.orthogonalize(ref, toDouble(g), 1, rows, cols);
            double[][] got = project(toDouble(out), u, v, rows, cols, k), want = project(ref, u, v, rows, cols, k);
            for (int p = 0; p < k; p++) {
                for (int q = 0; q < k; q++) {
                    // Off the diagonal U'OV is 0 up to rounding: O keeps G's singular vectors.
                    if (p != q) assertEquals(0, got[p][q], 2e-3, "off-diagonal " + p + "," + q + " top " + top);
                }
                lo = Math.min(lo, got[p][p]);
                hi = Math.max(hi, got[p][p]);
                refLo = Math.min(refLo, want[p][p]);
                refHi = Math.max(refHi, want[p][p]);
            }
        }
        System.out.printf("NS5 %dx%d: singular values in [%.4f, %.4f] (float), [%.4f, %.4f] (double)%n",
                rows, cols, lo, hi, refLo, refHi);
        assertTrue(lo >= 0.97 && hi <= 1.04, String.format("float: [%.4f, %.4f]", lo, hi));
        assertTrue(refLo >= 0.97 && refHi <= 1.04, String.format("reference: [%.4f, %.4f]", refLo, refHi));
    }

    /** The float kernel against the double reference, slices of a stack each normalized on their own. */
    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1,1,1", "1,1,7", "1,7,3", "1,13,31", "1,31,13", "1,64,64", "1,48,96", "1,96,48", "3,24,40", "2,65,17",
            "1,127,33"})
    void kernelMatchesReference(int slices, int rows, int cols) {
        int n = slices * rows * cols;
        float[] g = normal(17L * n + rows, n, 1.0);
        // Slices of very different size: each one must be normalized by its own norm.
        for (int s = 0; s < slices; s++)
            for (int i = 0; i < rows * cols; i++) g[s * rows * cols + i] *= (float) Math.pow(100, s);
        float[] gCopy = g.clone();
        float[] out = run(g, slices, rows, cols);
        assertArrayEquals(gCopy, g, "the input must not be modified");
        double[] ref = new double[n];
        NewtonSchulzRef.orthogonalize(ref, toDouble(g), slices, rows, cols);
        // Five steps with coefficients up to 7 amplify float rounding of the products (sums over up
        // to 127 terms) a few hundred times: 1e-4 of the norm per slice leaves a margin (measured ~1e-5).
        int size = rows * cols;
        double worst = 0;
        for (int s = 0; s < slices; s++) {
            float[] o = java.util.Arrays.copyOfRange(out, s * size, (s + 1) * size);
            double[] r = java.util.Arrays.copyOfRange(ref, s * size, (s + 1) * size);
            Close.normRelative("slice " + s, o, r, 1e-4);
            worst = Math.max(worst, Close.normRelError(o, r));
        }
        System.out.printf("NS5 %dx%dx%d: float vs double %.2e%n", slices, rows, cols, worst);
    }

    /** With no reference: a matrix that is already orthogonal stays near itself (NS fixes sigma = 1 approximately). */
    @Test
    void orthogonalInputStaysPut() {
        int n = 40;
        double[] q = orthonormalColumns(5, n, n);
        float[] g = new float[n * n];
        for (int i = 0; i < n * n; i++) g[i] = (float) q[i];
        float[] out = run(g, 1, n, n);
        // X₀ = Q/sqrt(n): every singular value 1/sqrt(40) ≈ 0.16, which NS5 maps into [0.97, 1.04].
        Close.normRelative("Q", out, q, 0.04);
    }

    /**
     * A stack's slices run side by side on the pool's threads (their products sequential), a single
     * matrix runs alone with parallel products: each slice of a stack must be the bits it gets alone.
     * Also the products of the big matrices (several square tiles, k-blocks) on both paths.
     */
    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"5,17,65", "3,130,70", "2,96,352", "4,352,96"})
    void eachSliceOfAStackIsTheBitsItGetsAlone(int slices, int rows, int cols) {
        int size = rows * cols;
        float[] g = normal(3L * size + slices, slices * size, 1.0);
        float[] stacked = run(g, slices, rows, cols);
        for (int s = 0; s < slices; s++) {
            float[] alone = run(java.util.Arrays.copyOfRange(g, s * size, (s + 1) * size), 1, rows, cols);
            assertArrayEquals(alone, java.util.Arrays.copyOfRange(stacked, s * size, (s + 1) * size), "slice " + s);
        }
    }

    static float[] run(float[] g, int slices, int rows, int cols) {
        float[] out = poisoned(slices * rows * cols);
        float[] x = poisoned(rows * cols), next = poisoned(rows * cols);
        float[] gram = poisoned(NewtonSchulz.gramSize(rows, cols)), gram2 = poisoned(NewtonSchulz.gramSize(rows, cols));
        NewtonSchulz.orthogonalize(out, g, x, gram, gram2, next, slices, rows, cols);
        return out;
    }

    /** t[0] = top, the rest log-spaced from u down to 0.01 with sum t² = 1; null when no u in (0.01, 1] fits. */
    static double[] spectrum(double top, int k) {
        double[] t = new double[k];
        t[0] = top;
        if (k == 1) return null;
        double want = 1 - top * top, lo = 0.01, hi = 1;
        if (sumSquares(lo, k) > want || sumSquares(hi, k) < want) return null;
        for (int it = 0; it < 100; it++) {
            double mid = 0.5 * (lo + hi);
            if (sumSquares(mid, k) < want) lo = mid;
            else hi = mid;
        }
        for (int q = 1; q < k; q++) t[q] = logSpaced(lo, k, q);
        return t;
    }

    static double logSpaced(double u, int k, int q) {
        return k == 2 ? u : u * Math.pow(0.01 / u, (q - 1) / (double) (k - 2));
    }

    static double sumSquares(double u, int k) {
        double s = 0;
        for (int q = 1; q < k; q++) s += logSpaced(u, k, q) * logSpaced(u, k, q);
        return s;
    }

    /** Uᵀ·O·V, (k, k). */
    static double[][] project(double[] o, double[] u, double[] v, int rows, int cols, int k) {
        double[][] p = new double[k][k];
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++) {
                double s = 0;
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++) s += u[i * k + a] * o[i * cols + j] * v[j * k + b];
                p[a][b] = s;
            }
        return p;
    }

    /** A (n, k) matrix with orthonormal columns: Gram–Schmidt (twice) of Gaussian columns, in double. */
    static double[] orthonormalColumns(long seed, int n, int k) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] q = new double[n * k];
        for (int c = 0; c < k; c++) {
            double[] col = new double[n];
            for (int i = 0; i < n; i++) col[i] = r.nextDouble() * 2 - 1;
            for (int pass = 0; pass < 2; pass++)
                for (int p = 0; p < c; p++) {
                    double d = 0;
                    for (int i = 0; i < n; i++) d += col[i] * q[i * k + p];
                    for (int i = 0; i < n; i++) col[i] -= d * q[i * k + p];
                }
            double norm = 0;
            for (double x : col) norm += x * x;
            norm = Math.sqrt(norm);
            for (int i = 0; i < n; i++) q[i * k + c] = col[i] / norm;
        }
        return q;
    }
}
