package dev.squall.tornado.kernels;

import dev.squall.kernels.AdamW;
import dev.squall.program.Hyper;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * AdamW (decoupled weight decay, PyTorch's formulation; SPEC §6.1 names where it is used) on a
 * TornadoVM device: the same math as {@code dev.squall.kernels.AdamW} / {@code AdamWRef}. The gradient
 * sum of squares for global-norm clipping is {@link StatsKernels}' (a Summarize record).
 *
 * <pre>
 * Shapes:
 *   n                    elements of one parameter tensor
 *   param, grad, m, v    (n)            m, v: first and second moments, zero before step 1
 *   hyper                (Hyper.SIZE)  per-step values at the indices of dev.squall.kernels.AdamW
 * Launch:
 *   update               global n (ids >= n do nothing)
 * </pre>
 *
 * <pre>
 *   g  = grad * gradScale
 *   m  = beta1 m + (1 - beta1) g
 *   v  = beta2 v + (1 - beta2) g^2
 *   p -= lr * ( (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps) + weightDecay * p )
 * </pre>
 *
 * <p>Everything that changes per step (learning rate, step count, clipping factor) is read from
 * {@code hyper}, never a scalar argument (those are baked into the compiled kernel). The bias
 * corrections are computed in each work-item from hyper in float (TornadoMath.pow); the JVM kernel
 * forms them in double once. The gradient is not modified.
 */
public final class AdamWKernels {
    private AdamWKernels() {}

    /** One AdamW step in place on param, m and v. */
    public static void update(KernelContext ctx, FloatArray param, FloatArray grad, FloatArray m, FloatArray v,
                              FloatArray hyper, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            float lr = hyper.get(Hyper.LR);
            float b1 = hyper.get(Hyper.BETA1);
            float b2 = hyper.get(Hyper.BETA2);
            float eps = hyper.get(Hyper.EPS);
            float wd = hyper.get(Hyper.WEIGHT_DECAY);
            float t = hyper.get(Hyper.STEP);
            float gs = hyper.get(Hyper.GRAD_SCALE);
            // m-hat = m * c1, sqrt(v-hat) = sqrt(v) * c2, as in the JVM kernel.
            float c1 = 1f / (1f - TornadoMath.pow(b1, t));
            float c2 = 1f / TornadoMath.sqrt(1f - TornadoMath.pow(b2, t));
            float g = grad.get(i) * gs;
            float mi = b1 * m.get(i) + (1f - b1) * g;
            float vi = b2 * v.get(i) + (1f - b2) * (g * g);
            float p = param.get(i);
            param.set(i, p - lr * (mi * c1 / (TornadoMath.sqrt(vi) * c2 + eps) + wd * p));
            m.set(i, mi);
            v.set(i, vi);
        }
    }
}
