package dev.squall.kernels;

/**
 * BHyT* (SPEC §4.1, variants): BHyT with an exact statistic for every norm it replaces,
 * y = γ ⊙ tanh(λ·x·κ⁻¹(mean_j x² + ε)^(-1/2)). It is {@link Bhyt}'s input norm applied to any
 * row, the statistic fused into the same pass; its backward is {@link Bhyt#backwardInput}, whose
 * projection term comes from the statistic depending on x (SPEC §4.3).
 *
 * <pre>
 * Shapes:
 *   N   rows (tokens), C   features per row
 *   inp, out, dout, dinp   (N, C)
 *   weight (gamma), dweight (C)
 *   meanSq (N)   saved by forward: mean_j x²
 *   lambda, dlambda   float[1]
 * Constants: kappa ({@link Bhyt#KAPPA}), eps inside the root ({@link Bhyt#EPS}).
 * </pre>
 */
public final class BhytStar {
    private BhytStar() {}

    private static final int GRAIN = 16;

    /** y = γ ⊙ tanh(λ·ρ·x), ρ = κ⁻¹(mean x² + ε)^(-1/2); saves mean x² per row. */
    public static void forward(float[] out, float[] meanSq, float[] inp, float[] lambda, float[] weight,
                               int N, int C, float kappa, float eps) {
        float lam = lambda[0];
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                float ms = RmsNorm.sumSquares(inp, n * C, C) / C;
                meanSq[n] = ms;
                Bhyt.scaledTanhRow(out, inp, weight, n * C, C, lam * Bhyt.rho(ms, kappa, eps));
            }
        });
    }

    /** Writes dinp; adds into dlambda and dweight. The same gradient as {@link Bhyt#backwardInput}. */
    public static void backward(float[] dinp, float[] dlambda, float[] dweight, float[] dout, float[] inp,
                                float[] meanSq, float[] lambda, float[] weight, int N, int C, float kappa, float eps) {
        Bhyt.backwardInput(dinp, dlambda, dweight, dout, inp, meanSq, lambda, weight, N, C, kappa, eps);
    }
}
