package dev.squall.reference;

import dev.squall.kernels.AdamW;

/** Double-precision AdamW, written the textbook way (explicit m-hat, v-hat); hyper indices as in {@link AdamW}. */
public final class AdamWRef {
    private AdamWRef() {}

    public static void update(double[] param, double[] grad, double[] m, double[] v, double[] hyper, int n) {
        double lr = hyper[AdamW.LR], b1 = hyper[AdamW.BETA1], b2 = hyper[AdamW.BETA2], eps = hyper[AdamW.EPS];
        double wd = hyper[AdamW.WEIGHT_DECAY], t = hyper[AdamW.STEP], gs = hyper[AdamW.GRAD_SCALE];
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
