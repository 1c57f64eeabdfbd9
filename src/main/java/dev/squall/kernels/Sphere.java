package dev.squall.kernels;

import static dev.squall.program.Hyper.SphereNorms.*;

import dev.squall.program.Hyper;

/**
 * MuonH's update on the Frobenius sphere (SPEC §6.2, §6.4): every tensor keeps the radius it had
 * at initialisation, and the relative step is the learning rate whatever the shape. Also the
 * direction of "Adam on the sphere", the untied LM head's optimizer under HyperP (SPEC §6.1).
 *
 * <pre>
 * Shapes:
 *   n                       elements of one tensor; an expert stack is ONE tensor here (one radius, SPEC §6.1)
 *   param, direction        (n)    direction: O = NS5(momentum), or Adam's m-hat / (sqrt(v-hat) + eps)
 *   grad, m, v              (n)    Adam on the sphere only
 *   norms                   (SphereNorms.SIZE) squared norms, slots of Hyper.SphereNorms, written by {@link #sumSquares}
 *   hyper                   AdamW's or Muon's layout: LR and WEIGHT_DECAY sit at the same indices in both
 * </pre>
 *
 * <pre>
 *   W = (1 - lr wd) W                                       decay
 *   R = ||W||_F                                             sumSquares -> norms[RADIUS_SQ], and ||O||^2 -> DIRECTION_SQ
 *   W = W - lr R O / max(||O||_F, 1e-8)                     step
 *   W = W R / max(||W||_F, 1e-8)                            sumSquares -> STEPPED_SQ, then retract
 * </pre>
 *
 * <p>Each line is its own call so a device backend runs the same sequence as tasks: the norms stay
 * where the data is, in a small float array, and the host never reads them. The retraction uses
 * the radius measured this step (after the decay), as ArchScale does: with wd > 0 the direction
 * is exactly the wd = 0 direction and the radius shrinks by (1 - lr wd) per step (SPEC §6.4).
 * Squared norms are summed in double over fixed chunks, then stored as float, so a tensor's norm
 * drifts by float rounding only and does so identically on every run.
 */
public final class Sphere {
    private Sphere() {}

    /** Floor of both divisions, the group epsilon of SPEC §6.2. */
    static final double EPS = 1e-8;

    private static final int GRAIN = 1 << 14;
    private static final int SUM_GRAIN = 1 << 12;

    /** Per-chunk partials of {@link #sumSquares}, grown on demand and reused. */
    private static double[] partials = new double[0];

    /** param = (1 - lr wd) param, in place. */
    public static void decay(float[] param, float[] hyper, int n) {
        float keep = 1f - hyper[Hyper.LR] * hyper[Hyper.WEIGHT_DECAY];
        if (keep == 1f) return;
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) param[i] *= keep;
        });
    }

    /** norms[slot] = sum of x² (written), in double over fixed chunks summed in chunk order. */
    public static synchronized void sumSquares(float[] norms, int slot, float[] x, int n) {
        int chunks = Parallel.chunks(n, SUM_GRAIN);
        if (partials.length < chunks) partials = new double[chunks];
        double[] p = partials;
        Parallel.forRange(chunks, 1, (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                double s = 0;
                for (int i = c * SUM_GRAIN, end = Math.min(n, i + SUM_GRAIN); i < end; i++) s += (double) x[i] * x[i];
                p[c] = s;
            }
        });
        double total = 0;
        for (int c = 0; c < chunks; c++) total += p[c];
        norms[slot] = (float) total;
    }

    /** param -= lr R direction / max(||direction||, 1e-8), R and ||direction|| from {@code norms}. */
    public static void step(float[] param, float[] direction, float[] norms, float[] hyper, int n) {
        double radius = Math.sqrt(norms[RADIUS_SQ]), length = Math.max(Math.sqrt(norms[DIRECTION_SQ]), EPS);
        float stepScale = (float) (hyper[Hyper.LR] * radius / length);
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) param[i] -= stepScale * direction[i];
        });
    }

    /** param *= R / max(||param||, 1e-8): back onto the sphere of radius R. */
    public static void retract(float[] param, float[] norms, int n) {
        float factor = (float) (Math.sqrt(norms[RADIUS_SQ]) / Math.max(Math.sqrt(norms[STEPPED_SQ]), EPS));
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) param[i] *= factor;
        });
    }

    /**
     * Adam's moments updated in place and its bias-corrected direction m-hat / (sqrt(v-hat) + eps)
     * written, with AdamW's hyper layout (beta1, beta2, eps, step, gradScale); the caller then runs
     * the sphere update with it. The gradient is not modified.
     */
    public static void adamDirection(float[] direction, float[] m, float[] v, float[] grad, float[] hyper, int n) {
        float b1 = hyper[Hyper.BETA1], b2 = hyper[Hyper.BETA2], eps = hyper[Hyper.EPS];
        float t = hyper[Hyper.STEP], gs = hyper[Hyper.GRAD_SCALE];
        float c1 = (float) (1.0 / (1.0 - Math.pow(b1, t)));
        float c2 = (float) (1.0 / Math.sqrt(1.0 - Math.pow(b2, t)));
        float a1 = 1f - b1, a2 = 1f - b2;
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                float g = grad[i] * gs;
                float mi = b1 * m[i] + a1 * g;
                float vi = b2 * v[i] + a2 * (g * g);
                direction[i] = mi * c1 / ((float) Math.sqrt(vi) * c2 + eps);
                m[i] = mi;
                v[i] = vi;
            }
        });
    }
}
