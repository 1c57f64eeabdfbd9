package dev.squall.tornado.kernels;

import dev.squall.kernels.Muon;
import dev.squall.program.Hyper;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Muon's momentum and update on a TornadoVM device (MODEL.md "Optimizers", SPEC §6.2-§6.3): the same
 * math and hyper layout as {@code dev.squall.kernels.Muon} and {@code dev.squall.reference.MuonRef};
 * the direction in between is {@link NewtonSchulzKernels}, and MuonH replaces {@link #update} with
 * {@link SphereKernels}.
 *
 * <pre>
 * Shapes:
 *   n                              elements of one parameter tensor (a stack counts all its slices)
 *   param, grad, momentum, update  (n)    update may be longer (scratch sized for the largest tensor)
 *   ortho                          (n)    O = NS5(update)
 *   hyper                          (Hyper.SIZE)   per-step values at Muon's indices
 * Launch:
 *   momentum, update   global n (ids >= n do nothing)
 * </pre>
 *
 * <pre>
 *   g = grad * gradScale
 *   M = mu M + g;   U = mu M + g                             (Nesterov)
 *   W = (1 - lr * weightDecay) W - lr * shapeFactor * O
 * </pre>
 *
 * <p>The momentum, learning rate, decay and clipping factor are read from {@code hyper} (scalars
 * are constants of the compiled kernel); shapeFactor = sqrt(max(1, rows / cols)) is fixed per
 * tensor, so it may be one. The gradient is not modified.
 */
public final class MuonKernels {
    private MuonKernels() {}

    /** momentum = mu momentum + g (in place); update = mu momentum + g (written), g = grad * gradScale. */
    public static void momentum(KernelContext ctx, FloatArray update, FloatArray momentum, FloatArray grad,
                                FloatArray hyper, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            float mu = hyper.get(Hyper.MOMENTUM);
            float gs = hyper.get(Hyper.GRAD_SCALE);
            float g = grad.get(i) * gs;
            float m = mu * momentum.get(i) + g;
            momentum.set(i, m);
            update.set(i, mu * m + g);
        }
    }

    /** param = (1 - lr wd) param - lr shapeFactor ortho, in place. */
    public static void update(KernelContext ctx, FloatArray param, FloatArray ortho, FloatArray hyper, int n,
                              float shapeFactor) {
        int i = ctx.globalIdx;
        if (i < n) {
            float lr = hyper.get(Hyper.LR);
            float keep = 1f - lr * hyper.get(Hyper.WEIGHT_DECAY);
            float stepScale = lr * shapeFactor;
            param.set(i, keep * param.get(i) - stepScale * ortho.get(i));
        }
    }
}
