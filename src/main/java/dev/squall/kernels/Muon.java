package dev.squall.kernels;

import static dev.squall.program.Hyper.*;

/**
 * Muon (MODEL.md "Optimizers", SPEC §6.2-§6.3): Nesterov momentum on a matrix's gradient, whose
 * {@link NewtonSchulz} orthogonalization is the step direction O, then the plain Muon update. MuonH
 * uses the same momentum and replaces the update with {@link Sphere}'s.
 *
 * <pre>
 * Shapes:
 *   n                              elements of one parameter tensor (a stack counts all its slices)
 *   param, grad, momentum, update  (n)    momentum zero before step 1
 *   ortho                          (n)    O = NS5(update)
 *   hyper                          (Hyper.SIZE)   per-step values, slots of dev.squall.program.Hyper
 * </pre>
 *
 * <pre>
 *   g = grad * gradScale
 *   M = mu M + g;   U = mu M + g                       (Nesterov)
 *   W = (1 - lr * weightDecay) W - lr * shapeFactor * O,   shapeFactor = sqrt(max(1, rows / cols))
 * </pre>
 *
 * <p>The hyper array shares AdamW's layout where the meanings coincide (learning rate, weight decay,
 * step, gradient scale; the momentum sits in beta1's slot), so one {@code ClipScale} task sets the
 * gradient scale of AdamW's and Muon's arrays alike and {@link Sphere} reads the learning rate and
 * decay of either. The gradient is not modified.
 */
public final class Muon {
    private Muon() {}

    private static final int GRAIN = 1 << 14;

    /** momentum = mu momentum + g (in place); update = mu momentum + g (written). */
    public static void momentum(float[] update, float[] momentum, float[] grad, float[] hyper, int n) {
        float mu = hyper[MOMENTUM], gs = hyper[GRAD_SCALE];
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                float g = grad[i] * gs;
                float m = mu * momentum[i] + g;
                momentum[i] = m;
                update[i] = mu * m + g;
            }
        });
    }

    /** param = (1 - lr wd) param - lr shapeFactor ortho, in place. */
    public static void update(float[] param, float[] ortho, float[] hyper, int n, float shapeFactor) {
        float lr = hyper[LR];
        float keep = 1f - lr * hyper[WEIGHT_DECAY], stepScale = lr * shapeFactor;
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) param[i] = keep * param[i] - stepScale * ortho[i];
        });
    }
}
