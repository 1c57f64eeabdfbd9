package dev.squall.reference;

/** Double-precision sum of squares, in index order. */
public final class GradNormRef {
    private GradNormRef() {}

    public static double sumSquares(double[] grad, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += grad[i] * grad[i];
        return s;
    }
}
