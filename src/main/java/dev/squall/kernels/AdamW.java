package dev.squall.kernels;

import static dev.squall.program.Hyper.*;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * AdamW with decoupled weight decay (Loshchilov and Hutter, arXiv 1711.05101): the optimizer of
 * Adam-only runs and, under MuonH, of the norm gains, other vectors and the embedding (SPEC §6.1,
 * beta 0.9/0.95, eps 1e-8, wd 0 there). SPEC has no section of its own for it; this is PyTorch's
 * formulation. The LM head's Adam-hyperball retraction (SPEC §6.1) is a separate step.
 *
 * <pre>
 * Shapes:
 *   n                    elements of one parameter tensor
 *   param, grad, m, v    (n)       m, v: first and second moments, zero before step 1
 *   hyper                (Hyper.SIZE)   per-step values, slots of dev.squall.program.Hyper
 * </pre>
 *
 * <pre>
 *   g  = grad * gradScale
 *   m  = beta1 m + (1 - beta1) g
 *   v  = beta2 v + (1 - beta2) g^2
 *   p -= lr * ( (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps) + weightDecay * p )
 * </pre>
 *
 * <p>The per-step values (learning rate from the schedule, step count, clipping factor) travel in
 * the {@code hyper} array rather than as scalar arguments: a device backend uploads it each step
 * and keeps the compiled kernel, where a changed scalar argument would mean a new launch setup.
 * The gradient is not modified (it is zeroed by its owner).
 */
public final class AdamW {
    private AdamW() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int GRAIN = 1 << 14;

    /** One AdamW step in place on param, m and v. */
    public static void update(float[] param, float[] grad, float[] m, float[] v, float[] hyper, int n) {
        float lr = hyper[LR], b1 = hyper[BETA1], b2 = hyper[BETA2], eps = hyper[EPS];
        float wd = hyper[WEIGHT_DECAY], t = hyper[STEP], gs = hyper[GRAD_SCALE];
        // Bias corrections folded into two factors: m-hat = m * c1, sqrt(v-hat) = sqrt(v) * c2.
        float c1 = (float) (1.0 / (1.0 - Math.pow(b1, t)));
        float c2 = (float) (1.0 / Math.sqrt(1.0 - Math.pow(b2, t)));
        float a1 = 1f - b1, a2 = 1f - b2;
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            FloatVector vb1 = FloatVector.broadcast(S, b1), va1 = FloatVector.broadcast(S, a1);
            FloatVector vb2 = FloatVector.broadcast(S, b2), va2 = FloatVector.broadcast(S, a2);
            FloatVector vgs = FloatVector.broadcast(S, gs), vc1 = FloatVector.broadcast(S, c1);
            FloatVector vc2 = FloatVector.broadcast(S, c2), veps = FloatVector.broadcast(S, eps);
            FloatVector vlr = FloatVector.broadcast(S, lr), vwd = FloatVector.broadcast(S, wd);
            int i = lo;
            for (int end = lo + S.loopBound(hi - lo); i < end; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, grad, i).mul(vgs);
                FloatVector mi = FloatVector.fromArray(S, m, i).mul(vb1).add(g.mul(va1));
                FloatVector vi = FloatVector.fromArray(S, v, i).mul(vb2).add(g.mul(g).mul(va2));
                FloatVector p = FloatVector.fromArray(S, param, i);
                FloatVector step = mi.mul(vc1).div(vi.sqrt().mul(vc2).add(veps)).add(p.mul(vwd));
                p.sub(step.mul(vlr)).intoArray(param, i);
                mi.intoArray(m, i);
                vi.intoArray(v, i);
            }
            for (; i < hi; i++) {
                float g = grad[i] * gs;
                float mi = b1 * m[i] + a1 * g;
                float vi = b2 * v[i] + a2 * (g * g);
                float p = param[i];
                param[i] = p - lr * (mi * c1 / ((float) Math.sqrt(vi) * c2 + eps) + wd * p);
                m[i] = mi;
                v[i] = vi;
            }
        });
    }
}
