package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.squall.reference.StatsRef;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The scalar summaries against their double-precision reference (SPEC §6.8), and the reference against a hand count. */
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
        long expected = 0;
        for (int n = 0; n < N; n++) {
            double mu = 0, var = 0;
            for (int j = 0; j < C; j++) mu += x[n * C + j];
            mu /= C;
            for (int j = 0; j < C; j++) var += (x[n * C + j] - mu) * (x[n * C + j] - mu);
            double sd = Math.sqrt(var / (C - 1));
            for (int j = 0; j < C; j++) if (Math.abs(x[n * C + j] - mu) > 5 * sd) expected++;
        }
        float[] out = poisoned(1);
        Stats.outlierPercent(out, 0, x, N, C);
        assertEquals(100.0 * expected / (N * C), StatsRef.outlierPercent(toDouble(x), N, C), 1e-12);
        assertEquals(100.0 * expected / (N * C), out[0], 1e-5);
        if (C >= 100) assertTrue(expected >= 2, "the spikes count as outliers");
    }
}
