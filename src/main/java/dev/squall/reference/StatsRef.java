package dev.squall.reference;

/**
 * The scalar summaries of SPEC §6.8 in double, as their definitions read: the loss mean, mean
 * squares (the router Z-value over log-sum-exps), the RMS of a sublayer's output, a running sum of
 * squares (the gradient norm), and the share of activations beyond 5 standard deviations of their
 * row. Each returns the value a kernel writes into its output slot.
 *
 * <pre>
 * Shapes:
 *   x    (n) for the whole-tensor summaries; (rows, cols) for the outlier share, one row per token
 * </pre>
 */
public final class StatsRef {
    private StatsRef() {}

    public static double mean(double[] x) {
        return sum(x, false) / x.length;
    }

    public static double meanSquare(double[] x) {
        return sum(x, true) / x.length;
    }

    /** sqrt(mean x²); the tiny floor keeps an all-zero tensor at 0 rather than NaN in a derivative. */
    public static double rms(double[] x) {
        return Math.sqrt(sum(x, true) / x.length + 1e-30);
    }

    /** {@code previous} plus the sum of squares: the gradient norm accumulates tensor by tensor. */
    public static double addSumSquares(double previous, double[] x) {
        return previous + sum(x, true);
    }

    /**
     * Percentage of elements further than 5 standard deviations (unbiased, over the row) from their
     * row's mean: SPEC §6.8's outlier indicator.
     */
    public static double outlierPercent(double[] x, int rows, int cols) {
        long count = 0;
        for (int r = 0; r < rows; r++) {
            double mu = 0, var = 0;
            for (int j = 0; j < cols; j++) mu += x[r * cols + j];
            mu /= cols;
            for (int j = 0; j < cols; j++) var += (x[r * cols + j] - mu) * (x[r * cols + j] - mu);
            double sd = Math.sqrt(var / Math.max(1, cols - 1));
            for (int j = 0; j < cols; j++) if (Math.abs(x[r * cols + j] - mu) > 5 * sd) count++;
        }
        return 100.0 * count / ((double) rows * cols);
    }

    private static double sum(double[] x, boolean squares) {
        double s = 0;
        for (double v : x) s += squares ? v * v : v;
        return s;
    }
}
