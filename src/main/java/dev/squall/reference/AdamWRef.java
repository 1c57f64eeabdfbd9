package dev.squall.reference;

import dev.squall.program.Hyper;

/** Double-precision AdamW, written the textbook way (explicit m-hat, v-hat); slots of {@link dev.squall.program.Hyper}. */
public final class AdamWRef {
    private AdamWRef() {}

    public static void update(double[] param, double[] grad, double[] m, double[] v, double[] hyper, int n) {
        double lr = hyper[Hyper.LR], b1 = hyper[Hyper.BETA1], b2 = hyper[Hyper.BETA2], eps = hyper[Hyper.EPS];
        double wd = hyper[Hyper.WEIGHT_DECAY], t = hyper[Hyper.STEP], gs = hyper[Hyper.GRAD_SCALE];
        for (int i = 0; i < n; i++) {
            double g = grad[i] * gs;
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            double mHat = m[i] / (1 - Math.pow(b1, t));
            double vHat = v[i] / (1 - Math.pow(b2, t));
            param[i] -= lr * (mHat / (Math.sqrt(vHat) + eps) + wd * param[i]);
        }
    }
}
