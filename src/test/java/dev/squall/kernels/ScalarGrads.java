package dev.squall.kernels;

import static org.junit.jupiter.api.Assertions.fail;

/** Checks for learnable-scalar gradients (dalpha, dshift): sums over every token and feature. */
final class ScalarGrads {
    private ScalarGrads() {}

    /**
     * |got - expected| <= tol * (|base| + magnitude), where magnitude = sum of |terms| of the reduction:
     * float rounding grows with the terms summed, not with the (possibly cancelled) total, so the total
     * alone would make a near-zero sum fail for no fault.
     */
    static void close(String what, float got, double expected, double base, double magnitude, double tol) {
        double err = Math.abs(got - expected);
        if (!(err <= tol * (Math.abs(base) + magnitude))) {
            fail(String.format("%s: got %.9g, reference %.12g (|diff| %.3g, sum of |terms| %.3g, tol %.1g)",
                    what, got, expected, err, magnitude, tol));
        }
    }
}
