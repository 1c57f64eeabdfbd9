package dev.squall.testing;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Comparisons of float kernels against double references.
 *
 * <p>Elementwise: each element must satisfy |a - e| <= atol + rtol * |e| (NaN never does). The atol
 * absorbs elements whose reference is near zero where relative error means nothing; it is set per
 * kernel from the magnitude of the data, never to hide a wrong result.
 */
public final class Close {
    private Close() {}

    public static void elementwise(String what, float[] actual, double[] expected, double rtol, double atol) {
        if (actual.length < expected.length) fail(what + ": length " + actual.length + " < " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double a = actual[i], e = expected[i];
            double err = Math.abs(a - e);
            if (!(err <= atol + rtol * Math.abs(e))) {
                fail(String.format("%s[%d]: got %.9g, reference %.9g (|diff| %.3g > atol %.1g + rtol %.1g * |ref|)",
                        what, i, a, e, err, atol, rtol));
            }
        }
    }

    public static void elementwise(String what, double[] actual, double[] expected, double rtol, double atol) {
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= atol + rtol * Math.abs(expected[i]))) {
                fail(String.format("%s[%d]: got %.12g, expected %.12g (|diff| %.3g)", what, i, actual[i], expected[i], err));
            }
        }
    }

    /** Relative error of the whole tensor: ||a - e||_2 / ||e||_2 (for large reductions and gradients). */
    public static double normRelError(float[] actual, double[] expected) {
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return Double.isNaN(num) ? Double.NaN : Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }

    public static void normRelative(String what, float[] actual, double[] expected, double tol) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i])) fail(what + "[" + i + "] is NaN (unwritten?)");
        }
        double err = normRelError(actual, expected);
        if (!(err <= tol)) fail(String.format("%s: relative error %.3g > %.1g", what, err, tol));
    }
}
