package dev.squall.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleSupplier;

/**
 * Central finite differences in double precision.
 *
 * <p>Usage: the test builds a scalar loss L = sum(g * y) from a reference forward pass, where g is a
 * fixed random upstream gradient, so dL/dy = g. It then checks each analytic gradient the reference
 * backward produced against (L(p + h) - L(p - h)) / 2h, perturbing every element of the parameter in
 * place (and restoring it).
 */
public final class GradCheck {
    private GradCheck() {}

    /** Default step: central differences in double have O(h^2) truncation, ~1e-16/h rounding. */
    public static final double H = 1e-6;

    /**
     * Checks {@code analytic} against numerical derivatives of {@code loss} w.r.t. every element of
     * {@code param}. Fails if |num - ana| > tol * max(1, |num|, |ana|) anywhere.
     */
    public static void check(String what, double[] param, double[] analytic, DoubleSupplier loss, double tol) {
        if (param.length != analytic.length) fail(what + ": gradient has " + analytic.length + " elements, parameter " + param.length);
        for (int i = 0; i < param.length; i++) {
            double saved = param[i];
            param[i] = saved + H;
            double up = loss.getAsDouble();
            param[i] = saved - H;
            double down = loss.getAsDouble();
            param[i] = saved;
            double num = (up - down) / (2 * H);
            double ana = analytic[i];
            double scale = Math.max(1.0, Math.max(Math.abs(num), Math.abs(ana)));
            if (!(Math.abs(num - ana) <= tol * scale)) {
                fail(String.format("%s[%d]: analytic %.12g, numerical %.12g (|diff| %.3g)", what, i, ana, num, Math.abs(num - ana)));
            }
        }
    }

    /** sum_i g_i * y_i: the scalar loss whose gradient w.r.t. y is g. */
    public static double dot(double[] g, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += g[i] * y[i];
        return s;
    }

    public static double[] randomDouble(long seed, int n) {
        return Arrays2.toDouble(Arrays2.normal(seed, n, 1.0));
    }
}
