package dev.squall.reference;

import dev.squall.program.Hyper;

/**
 * Double-precision Muon step (MODEL.md "Optimizers", SPEC §6.2-§6.3): Nesterov momentum, NS5 per
 * slice, the shape-scaled update; slots of {@link dev.squall.program.Hyper}.
 *
 * <pre>
 * Shapes: param, momentum, grad (slices, rows, cols)
 * </pre>
 */
public final class MuonRef {
    private MuonRef() {}

    /** One Muon step in place on param and momentum. */
    public static void step(double[] param, double[] momentum, double[] grad, double[] hyper, int slices, int rows, int cols) {
        double[] update = nesterov(momentum, grad, hyper);
        double[] ortho = new double[update.length];
        NewtonSchulzRef.orthogonalize(ortho, update, slices, rows, cols);
        double lr = hyper[Hyper.LR], wd = hyper[Hyper.WEIGHT_DECAY];
        double shape = Math.sqrt(Math.max(1.0, (double) rows / cols));
        for (int i = 0; i < param.length; i++) param[i] = (1 - lr * wd) * param[i] - lr * shape * ortho[i];
    }

    /** M = mu M + g, returns U = mu M + g, with g = grad * gradScale. */
    public static double[] nesterov(double[] momentum, double[] grad, double[] hyper) {
        double mu = hyper[Hyper.MOMENTUM], gs = hyper[Hyper.GRAD_SCALE];
        double[] update = new double[grad.length];
        for (int i = 0; i < grad.length; i++) {
            double g = grad[i] * gs;
            momentum[i] = mu * momentum[i] + g;
            update[i] = mu * momentum[i] + g;
        }
        return update;
    }
}
