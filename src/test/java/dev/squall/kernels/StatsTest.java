package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.squall.reference.StatsRef;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The scalar summaries against their double-precision reference (SPEC §6.8). */
class StatsTest {
    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1,1", "3,7", "13,31", "65,127", "8,1000"})
    void summariesMatchTheirReference(int N, int C) {
        float[] x = normal(N * 31L + C, N * C, 1.5);
        double[] xd = toDouble(x);
        double mean = StatsRef.mean(xd), meanSq = StatsRef.meanSquare(xd), rms = StatsRef.rms(xd);
        double sq = StatsRef.addSumSquares(0, xd);
        float[] out = poisoned(6);
        out[4] = 2f; // addSumSquares accumulates
        Stats.mean(out, 0, x, N * C);
        Stats.meanSquare(out, 1, x, N * C);
        Stats.rms(out, 2, x, N * C);
        Stats.addSumSquares(out, 4, x, N * C);
        assertEquals(mean, out[0], 1e-6 * (1 + Math.abs(mean)));
        assertEquals(meanSq, out[1], 1e-6 * meanSq);
        assertEquals(rms, out[2], 1e-6 * rms);
        assertEquals(StatsRef.addSumSquares(2, xd), out[4], 1e-6 * (2 + sq));
        assertTrue(Float.isNaN(out[3]) && Float.isNaN(out[5]), "only the named slots are written");
    }

    @ParameterizedTest(name = "C={0}")
    @CsvSource({"16", "100", "1024"})
    void outlierPercentCountsElementsBeyondFiveSigmaOfTheirRow(int C) {
        int N = 4;
        float[] x = normal(C, N * C, 1.0);
        // Row 1 gets two spikes far outside 5 sigma; the others stay Gaussian (5 sigma ~ 1 in 3.5 million).
        x[C + 3] = 1000f;
        x[C + 7] = -1000f;
        double expected = StatsRef.outlierPercent(toDouble(x), N, C);
        float[] out = poisoned(1);
        Stats.outlierPercent(out, 0, x, N, C);
        assertEquals(expected, out[0], 1e-5);
        // The two spikes are 5-sigma outliers of their row once the row is long enough to dilute them.
        if (C >= 100) assertTrue(Math.round(expected * N * C / 100) >= 2, "the spikes count as outliers: " + expected + "%");
    }
}
