package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * BHyT* on a TornadoVM device, SPEC §4.1 (variants): y = γ ⊙ tanh(λ·x·κ⁻¹(mean_j x² + ε)^(-1/2)) with
 * the statistic computed from the row itself, as {@code dev.squall.kernels.BhytStar} and
 * {@code dev.squall.reference.BhytStarRef}. Its backward is BHyT's input-norm backward (SPEC §4.3):
 * {@link BhytKernels#backwardInputRows} with {@link BhytKernels#inputGainPartials} and
 * DynamicTanhKernels.addScalar, from the meanSq saved here.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), C features per row
 *   inp, out           (N, C)
 *   weight             (C)
 *   meanSq             (N)    saved: mean_j x²
 *   lambda             (1)
 * Launch:
 *   forward            global N * ROW_GROUP, local ROW_GROUP (one work-group per row)
 * </pre>
 */
public final class BhytStarKernels {
    private BhytStarKernels() {}

    /** Work-items per row; a power of two (the tree reduction halves it). */
    public static final int ROW_GROUP = BhytKernels.ROW_GROUP;

    /** y = γ ⊙ tanh(λ·ρ·x), ρ = κ⁻¹(mean x² + ε)^(-1/2); saves mean x² per row. */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray meanSq, FloatArray inp, FloatArray lambda,
                               FloatArray weight, int C, float kappa, float eps) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float s = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float x = inp.get(base + j);
            s += x * x;
        }
        float ms = WorkGroupReduction.sum(ctx, ROW_GROUP, s) / C;
        if (lid == 0) meanSq.set(row, ms);
        float a = lambda.get(0) / (kappa * TornadoMath.sqrt(ms + eps));
        for (int j = lid; j < C; j += ROW_GROUP) out.set(base + j, weight.get(j) * TornadoMath.tanh(a * inp.get(base + j)));
    }
}
