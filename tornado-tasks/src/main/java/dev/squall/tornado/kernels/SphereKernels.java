package dev.squall.tornado.kernels;

import dev.squall.kernels.AdamW;
import dev.squall.kernels.Sphere;
import dev.squall.program.Hyper;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * MuonH's update on the Frobenius sphere and Adam's direction on it (SPEC §6.1, §6.2, §6.4) on a
 * TornadoVM device: the same sequence and math as {@code dev.squall.kernels.Sphere} and
 * {@code dev.squall.reference.SphereRef}. One radius per tensor: an expert stack is one tensor here.
 *
 * <pre>
 * Shapes:
 *   n                       elements of one tensor (direction, m, v, grad may be longer scratch)
 *   param, direction        (n)
 *   grad, m, v              (n)    Adam on the sphere only
 *   norms                   (Hyper.SphereNorms.SIZE)   squared norms at Sphere's slots
 *   hyper                   AdamW's or Muon's layout (LR and WEIGHT_DECAY share their indices)
 *   partials                (blocks(n))   sum of squares per block of ELEMS_PER_BLOCK elements
 * Launch:
 *   decay, stepAlong, retract, adamDirection   global n (ids >= n do nothing)
 *   sumSquaresPartials                    global blocks(n)   (one work-item per block)
 *   sumSquaresInto                        global 1
 * </pre>
 *
 * <pre>
 *   W = (1 - lr wd) W                                       decay
 *   R² = ||W||²  -> norms[RADIUS_SQ];  ||O||² -> norms[DIRECTION_SQ]     sumSquaresPartials + sumSquaresInto
 *   W = W - lr R O / max(||O||, 1e-8)                       stepAlong
 *   ||W||² -> norms[STEPPED_SQ];  W = W R / max(||W||, 1e-8)            retract
 * </pre>
 *
 * <p>A sum of squares is two tasks: per-block partials, each summed in index order by one
 * work-item, then one work-item adds the blocks in order; both orders are fixed, so the norms are
 * the same on every run. The JVM kernel sums in double; here partials and total are float, so the
 * squared norm agrees to a few hundred ulps at worst (relative 1e-6 for the sizes of a model) and
 * the radius the retraction restores is that float value. The norms never leave the device.
 *
 * <p>{@link #sumSquaresInto} writes one slot of {@code norms}, so it reads that slot first and writes
 * only when it changes: TornadoVM gives an argument it deduces write-only no host-to-device copy.
 * {@code base} (a slice's offset, fixed per task) lets {@link NewtonSchulzKernels} reuse the partials.
 */
public final class SphereKernels {
    private SphereKernels() {}

    /** Elements summed by one work-item of {@link #sumSquaresPartials}. */
    public static final int ELEMS_PER_BLOCK = 256;

    /** Floor of both divisions, SPEC §6.2's group epsilon (as {@code Sphere}). */
    static final float EPS = 1e-8f;

    public static int blocks(int n) { return (n + ELEMS_PER_BLOCK - 1) / ELEMS_PER_BLOCK; }

    /** param = (1 - lr wd) param, in place. */
    public static void decay(KernelContext ctx, FloatArray param, FloatArray hyper, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            float keep = 1f - hyper.get(Hyper.LR) * hyper.get(Hyper.WEIGHT_DECAY);
            param.set(i, param.get(i) * keep);
        }
    }

    /** partials[k] = sum of x[base + i]^2 over block k's i in [0, n), in index order. */
    public static void sumSquaresPartials(KernelContext ctx, FloatArray partials, FloatArray x, int base, int n) {
        int k = ctx.globalIdx;
        int start = k * ELEMS_PER_BLOCK;
        int end = Math.min(n, start + ELEMS_PER_BLOCK);
        float s = 0f;
        for (int i = start; i < end; i++) {
            float v = x.get(base + i);
            s += v * v;
        }
        partials.set(k, s);
    }

    /** norms[slot] = sum_k partials[k], k = 0, 1, ... in order (written; read first, see the class comment). */
    public static void sumSquaresInto(KernelContext ctx, FloatArray norms, FloatArray partials, int slot, int blocks) {
        if (ctx.globalIdx == 0) {
            float s = 0f;
            for (int k = 0; k < blocks; k++) s += partials.get(k);
            float old = norms.get(slot);
            if (old != s || 1f / old != 1f / s) norms.set(slot, s);
        }
    }

    /**
     * param -= lr R direction / max(||direction||, 1e-8), R² and ||direction||² from norms. Not named
     * {@code step}: the kernel takes its method's name, and OpenCL C has a builtin {@code step}.
     */
    public static void stepAlong(KernelContext ctx, FloatArray param, FloatArray direction, FloatArray norms,
                            FloatArray hyper, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            float radius = TornadoMath.sqrt(norms.get(Hyper.SphereNorms.RADIUS_SQ));
            float length = TornadoMath.max(TornadoMath.sqrt(norms.get(Hyper.SphereNorms.DIRECTION_SQ)), EPS);
            float stepScale = hyper.get(Hyper.LR) * radius / length;
            param.set(i, param.get(i) - stepScale * direction.get(i));
        }
    }

    /** param *= R / max(||param||, 1e-8), R² and ||param||² (after the step) from norms. */
    public static void retract(KernelContext ctx, FloatArray param, FloatArray norms, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            float radius = TornadoMath.sqrt(norms.get(Hyper.SphereNorms.RADIUS_SQ));
            float factor = radius / TornadoMath.max(TornadoMath.sqrt(norms.get(Hyper.SphereNorms.STEPPED_SQ)), EPS);
            param.set(i, param.get(i) * factor);
        }
    }

    /**
     * Adam's moments in place and its bias-corrected direction m-hat / (sqrt(v-hat) + eps) written,
     * with AdamW's hyper layout; the gradient is not modified. Bias corrections in float per work-item.
     */
    public static void adamDirection(KernelContext ctx, FloatArray direction, FloatArray m, FloatArray v,
                                     FloatArray grad, FloatArray hyper, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            float b1 = hyper.get(Hyper.BETA1);
            float b2 = hyper.get(Hyper.BETA2);
            float eps = hyper.get(Hyper.EPS);
            float t = hyper.get(Hyper.STEP);
            float gs = hyper.get(Hyper.GRAD_SCALE);
            float c1 = 1f / (1f - TornadoMath.pow(b1, t));
            float c2 = 1f / TornadoMath.sqrt(1f - TornadoMath.pow(b2, t));
            float g = grad.get(i) * gs;
            float mi = b1 * m.get(i) + (1f - b1) * g;
            float vi = b2 * v.get(i) + (1f - b2) * (g * g);
            direction.set(i, mi * c1 / (TornadoMath.sqrt(vi) * c2 + eps));
            m.set(i, mi);
            v.set(i, vi);
        }
    }
}
