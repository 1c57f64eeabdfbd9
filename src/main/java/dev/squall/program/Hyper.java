package dev.squall.program;

/**
 * Layout of the small per-step hyperparameter array that every optimizer task reads (one per
 * parameter group). The host rewrites it before each optimizer stage and a device reads it from
 * memory: values that change every step must never become kernel constants (a device would
 * recompile the kernel, or worse, keep the first value). {@link Task.ClipScale} writes
 * {@link #GRAD_SCALE} on the device; everything else comes from the host.
 */
public final class Hyper {
    private Hyper() {}

    /** The learning rate of this step, after warm-up and decay. */
    public static final int LR = 0;
    /** AdamW's beta1; Muon's momentum coefficient ({@link #MOMENTUM}). */
    public static final int BETA1 = 1;
    public static final int BETA2 = 2;
    public static final int EPS = 3;
    /** Decoupled weight decay (0 for gains, scalars and embeddings). */
    public static final int WEIGHT_DECAY = 4;
    /** The 1-based step for bias correction, as a float. */
    public static final int STEP = 5;
    /** Global-norm clipping factor applied to every gradient this step (1 when not clipped). */
    public static final int GRAD_SCALE = 6;
    /** Floats in one array. */
    public static final int SIZE = 7;

    /** Muon and MuonH keep their Nesterov momentum coefficient where AdamW keeps beta1. */
    public static final int MOMENTUM = BETA1;

    /** Fills an AdamW array. */
    public static void setAdamW(float[] hyper, float lr, float beta1, float beta2, float eps, float weightDecay, int step,
                                float gradScale) {
        hyper[LR] = lr;
        hyper[BETA1] = beta1;
        hyper[BETA2] = beta2;
        hyper[EPS] = eps;
        hyper[WEIGHT_DECAY] = weightDecay;
        hyper[STEP] = step;
        hyper[GRAD_SCALE] = gradScale;
    }

    /** Fills a Muon array (the slots Muon does not use are 0). */
    public static void setMuon(float[] hyper, float lr, float momentum, float weightDecay, int step, float gradScale) {
        java.util.Arrays.fill(hyper, 0f);
        hyper[LR] = lr;
        hyper[MOMENTUM] = momentum;
        hyper[WEIGHT_DECAY] = weightDecay;
        hyper[STEP] = step;
        hyper[GRAD_SCALE] = gradScale;
    }

    /**
     * Slots of the per-tensor norms array of a step on the Frobenius sphere (SPEC §6.3): the
     * squared radius the tensor keeps, the direction's squared norm, and the stepped tensor's.
     */
    public static final class SphereNorms {
        private SphereNorms() {}

        public static final int RADIUS_SQ = 0;
        public static final int DIRECTION_SQ = 1;
        public static final int STEPPED_SQ = 2;
        public static final int SIZE = 3;
    }
}
