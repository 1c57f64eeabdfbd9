package dev.squall.reference;

/**
 * Double-precision BHyT*, SPEC §4.1 (variants): γ ⊙ tanh(λ·x·κ⁻¹(mean x² + ε)^(-1/2)) with the
 * statistic computed from the row itself. Same signatures as {@code dev.squall.kernels.BhytStar}.
 */
public final class BhytStarRef {
    private BhytStarRef() {}

    public static void forward(double[] out, double[] meanSq, double[] inp, double[] lambda, double[] weight,
                               int N, int C, double kappa, double eps) {
        BhytRef.statistic(meanSq, inp, N, C);
        BhytRef.forwardInput(out, inp, meanSq, lambda, weight, N, C, kappa, eps);
    }

    /** Writes dinp; adds into dlambda and dweight. */
    public static void backward(double[] dinp, double[] dlambda, double[] dweight, double[] dout, double[] inp,
                                double[] meanSq, double[] lambda, double[] weight, int N, int C,
                                double kappa, double eps) {
        BhytRef.backwardInput(dinp, dlambda, dweight, dout, inp, meanSq, lambda, weight, N, C, kappa, eps);
    }
}
