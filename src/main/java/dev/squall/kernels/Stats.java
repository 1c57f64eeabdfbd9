package dev.squall.kernels;

/**
 * Scalar summaries computed where the data lives (so an accelerator returns a few floats, not
 * tensors): the loss mean, the stability indicators of SPEC §6.8 and the global gradient norm.
 * Each writes {@code out[slot]}; sums run in double in a fixed order, so results are reproducible.
 *
 * <pre>
 * Shapes: x (n) or (N, C); out (any) with slot an index into it
 * </pre>
 */
public final class Stats {
    private Stats() {}

    /** out[slot] = mean(x). */
    public static void mean(float[] out, int slot, float[] x, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[i];
        out[slot] = (float) (s / n);
    }

    /** out[slot] = mean(x^2): the attention Z-value when x is the per-row logsumexp. */
    public static void meanSquare(float[] out, int slot, float[] x, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) x[i] * x[i];
        out[slot] = (float) (s / n);
    }

    /** out[slot] = sqrt(mean(x^2) + 1e-30): output RMS, SPEC §6.8. */
    public static void rms(float[] out, int slot, float[] x, int n) {
        meanSquare(out, slot, x, n);
        out[slot] = (float) Math.sqrt(out[slot] + 1e-30);
    }

    /** out[slot] += sum(x^2): one tensor's share of the squared global gradient norm. */
    public static void addSumSquares(float[] out, int slot, float[] x, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) x[i] * x[i];
        out[slot] += (float) s;
    }

    /**
     * out[slot] = percentage of elements farther than 5 standard deviations from their row's mean,
     * with per-row mean and unbiased std over the C features (SPEC §6.8, activation outliers).
     */
    public static void outlierPercent(float[] out, int slot, float[] x, int N, int C) {
        long count = 0;
        for (int n = 0; n < N; n++) {
            int row = n * C;
            double mu = 0;
            for (int j = 0; j < C; j++) mu += x[row + j];
            mu /= C;
            double var = 0;
            for (int j = 0; j < C; j++) var += (x[row + j] - mu) * (x[row + j] - mu);
            double sd = Math.sqrt(var / Math.max(1, C - 1));
            for (int j = 0; j < C; j++) if (Math.abs(x[row + j] - mu) > 5 * sd) count++;
        }
        out[slot] = (float) (100.0 * count / ((double) N * C));
    }
}
