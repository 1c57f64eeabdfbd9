package dev.squall.reference;

import dev.squall.program.Hyper;

/**
 * Double-precision MuonH and Adam-on-the-sphere steps (SPEC §6.1-§6.2), written as
 * W_{t+1} = R·normalize((1 − ηλ)W − η·R·O/‖O‖) with R the radius after the decay; one radius for a
 * whole tensor (an expert stack included). Slots of {@link dev.squall.program.Hyper}.
 *
 * <pre>
 * Shapes: param, momentum, m, v, grad (slices, rows, cols) or (n)
 * </pre>
 */
public final class SphereRef {
    private SphereRef() {}

    /** One MuonH step in place on param and momentum. */
    public static void muonStep(double[] param, double[] momentum, double[] grad, double[] hyper, int slices, int rows, int cols) {
        double[] update = MuonRef.nesterov(momentum, grad, hyper);
        double[] ortho = new double[update.length];
        NewtonSchulzRef.orthogonalize(ortho, update, slices, rows, cols);
        sphereStep(param, ortho, hyper);
    }

    /** One Adam-on-the-sphere step in place on param, m and v. */
    public static void adamStep(double[] param, double[] m, double[] v, double[] grad, double[] hyper) {
        double b1 = hyper[Hyper.BETA1], b2 = hyper[Hyper.BETA2], eps = hyper[Hyper.EPS];
        double t = hyper[Hyper.STEP], gs = hyper[Hyper.GRAD_SCALE];
        double[] direction = new double[param.length];
        for (int i = 0; i < param.length; i++) {
            double g = grad[i] * gs;
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            double mHat = m[i] / (1 - Math.pow(b1, t)), vHat = v[i] / (1 - Math.pow(b2, t));
            direction[i] = mHat / (Math.sqrt(vHat) + eps);
        }
        sphereStep(param, direction, hyper);
    }

    /** Decay, step of relative length lr along the direction, retraction to the decayed radius. */
    public static void sphereStep(double[] param, double[] direction, double[] hyper) {
        double lr = hyper[Hyper.LR], wd = hyper[Hyper.WEIGHT_DECAY];
        for (int i = 0; i < param.length; i++) param[i] *= 1 - lr * wd;
        double radius = norm(param), length = Math.max(norm(direction), 1e-8);
        for (int i = 0; i < param.length; i++) param[i] -= lr * radius * direction[i] / length;
        double factor = radius / Math.max(norm(param), 1e-8);
        for (int i = 0; i < param.length; i++) param[i] *= factor;
    }

    public static double norm(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s);
    }
}
