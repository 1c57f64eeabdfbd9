package dev.squall.reference;

/**
 * The error function in double precision, erf(x) = (2/sqrt(pi)) * integral_0^x e^(-t^2) dt (SPEC §3.1),
 * accurate to about 1e-15: Java has none, and the float kernel ({@code dev.squall.kernels.Erf}) and Derf
 * are checked against this one.
 *
 * <p>Two expansions, each used where it converges fast and without cancellation:
 * <ul>
 *   <li>|x| &lt; 3: erf(x) = (2/sqrt(pi)) e^(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)). Every term is
 *       positive (unlike the Maclaurin series, whose alternating terms reach e^(x^2) before cancelling),
 *       so the sum is accurate to a few ulps; it also gives 2x/sqrt(pi) exactly in the tiny-x limit.</li>
 *   <li>|x| &ge; 3: erf = 1 - erfc with the continued fraction
 *       erfc(x) = e^(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))),
 *       evaluated bottom-up at a fixed depth; erfc &le; 2.3e-5 there, so its relative error is
 *       divided by 4e4 in erf.</li>
 * </ul>
 */
public final class ErfRef {
    private ErfRef() {}

    public static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double SQRT_PI = 1.7724538509055160;
    private static final double SERIES_LIMIT = 3.0;
    /** At x = 3 the continued fraction is already at 1e-16 relative by depth 60; deeper costs nothing. */
    private static final int FRACTION_DEPTH = 80;

    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        double r = a < SERIES_LIMIT ? positiveSeries(a) : 1.0 - erfcContinuedFraction(a);
        return Math.copySign(r, x);
    }

    /** erfc(x) = 1 - erf(x), for x &ge; 3 only, where the continued fraction converges fast. */
    static double erfcContinuedFraction(double a) {
        double f = a;
        for (int k = FRACTION_DEPTH; k >= 1; k--) f = a + (k * 0.5) / f;
        return Math.exp(-a * a) / (SQRT_PI * f);
    }

    private static double positiveSeries(double a) {
        double twoA2 = 2 * a * a;
        double term = a, sum = a;
        for (int n = 1; n < 200 && term > 1e-17 * sum; n++) {
            term *= twoA2 / (2 * n + 1);
            sum += term;
        }
        return TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
    }
}
