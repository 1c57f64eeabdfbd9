package dev.squall.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ErfRefTest {

    /** Values computed to 40 digits (mpmath), rounded to double. 5e-16 relative: a few ulps. */
    @ParameterizedTest(name = "erf({0})")
    @CsvSource({
            "0.5, 0.5204998778130465",
            "1, 0.8427007929497149",
            "2, 0.9953222650189527",
            "3, 0.9999779095030014",
            "1e-8, 1.1283791670955126e-8",
            "1e-300, 1.1283791670955126e-300",
            "0.1, 0.1124629160182849",
            "2.9999, 0.9999778955735178",
            "3.5, 0.9999992569016276",
            "6, 1.0",
            "30, 1.0"})
    void knownValues(double x, double expected) {
        assertEquals(expected, ErfRef.erf(x), 5e-16 * Math.abs(expected), "erf(" + x + ")");
        assertEquals(-expected, ErfRef.erf(-x), 5e-16 * Math.abs(expected), "odd symmetry at " + x);
    }

    /** erfc from the continued fraction at large x, where 1 - erf has no digits left to compare. */
    @ParameterizedTest(name = "erfc({0})")
    @CsvSource({"3, 2.209049699858544e-5", "5, 1.537459794428035e-12", "10, 2.088487583762545e-45"})
    void continuedFractionTail(double x, double expected) {
        assertEquals(expected, ErfRef.erfcContinuedFraction(x), 1e-14 * expected);
    }

    /**
     * d/dx erf = (2/sqrt(pi)) e^(-x^2), by central differences with h = 1e-5 (truncation ~h^2 = 1e-10,
     * rounding ~1e-16/h = 1e-11), on both sides of the switch between the two expansions.
     */
    @Test
    void derivativeMatchesGaussian() {
        double h = 1e-5;
        for (double x = -6; x <= 6; x += 0.0137) {
            double num = (ErfRef.erf(x + h) - ErfRef.erf(x - h)) / (2 * h);
            double ana = ErfRef.TWO_OVER_SQRT_PI * Math.exp(-x * x);
            if (!(Math.abs(num - ana) <= 1e-9)) fail(String.format("x=%g: numerical %.12g, analytic %.12g", x, num, ana));
        }
    }

    @Test
    void continuousAcrossTheSwitch() {
        double below = ErfRef.erf(Math.nextDown(3.0)), at = ErfRef.erf(3.0);
        assertEquals(at, below, 1e-15);
    }
}
