package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squall.reference.GradNormRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GradNormTest {

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {0, 1, 3, 7, 13, 31, 65, 127, 4095, 4097, 100_003, 1_000_000})
    void kernelMatchesReference(int n) {
        float[] g = normal(n, n, 0.01);
        double expected = GradNormRef.sumSquares(toDouble(g), n);
        // Non-negative terms, float sums over 256 terms per lane, double across chunks: ~1e-7 relative.
        assertEquals(expected, GradNorm.sumSquares(g, n), 1e-6 * expected);
    }

    /** Only the first n elements count. */
    @Test
    void ignoresElementsBeyondN() {
        float[] g = {3f, 4f, 100f};
        assertEquals(25.0, GradNorm.sumSquares(g, 2));
    }

    @Test
    void sameBitsEveryRun() {
        float[] g = normal(1, 777_777, 1.0);
        double first = GradNorm.sumSquares(g, g.length);
        assertEquals(Double.doubleToRawLongBits(first), Double.doubleToRawLongBits(GradNorm.sumSquares(g, g.length)));
    }
}
