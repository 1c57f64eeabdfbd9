package dev.squall.reference;

/** Double-precision softmax cross-entropy; negative targets are ignored (loss 0, zero gradient). */
public final class CrossEntropyRef {
    private CrossEntropyRef() {}

    /** Writes losses and dlogits = (softmax - onehot) * dlossScale. */
    public static void forwardBackward(double[] losses, double[] dlogits, double[] logits, int[] targets, int N, int V,
                                       double dlossScale) {
        for (int n = 0; n < N; n++) {
            int t = targets[n];
            if (t < 0) {
                losses[n] = 0;
                for (int j = 0; j < V; j++) dlogits[n * V + j] = 0;
                continue;
            }
            double lse = logSumExp(logits, n * V, V);
            losses[n] = lse - logits[n * V + t];
            for (int j = 0; j < V; j++) {
                double p = Math.exp(logits[n * V + j] - lse);
                dlogits[n * V + j] = (p - (j == t ? 1 : 0)) * dlossScale;
            }
        }
    }

    public static void forward(double[] losses, double[] logits, int[] targets, int N, int V) {
        for (int n = 0; n < N; n++) {
            losses[n] = targets[n] < 0 ? 0 : logSumExp(logits, n * V, V) - logits[n * V + targets[n]];
        }
    }

    public static double mean(double[] losses, int N) {
        double s = 0;
        for (int n = 0; n < N; n++) s += losses[n];
        return s / N;
    }

    static double logSumExp(double[] x, int row, int V) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < V; j++) max = Math.max(max, x[row + j]);
        double s = 0;
        for (int j = 0; j < V; j++) s += Math.exp(x[row + j] - max);
        return max + Math.log(s);
    }
}
