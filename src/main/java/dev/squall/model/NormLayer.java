package dev.squall.model;

import dev.squall.program.Buffer;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.StepProgram.Param;
import dev.squall.program.Task;

/**
 * One normalization position of the model (attention input, FFN input, post-sublayer or final):
 * its parameters, the statistics it saves for backward, and the tasks of its forward and backward.
 * Parameters are named {@code prefix.weight}, {@code .bias}, {@code .alpha}, {@code .shift},
 * {@code .lambda} as SPEC §1-§4 call them.
 */
public abstract class NormLayer {
    protected final String prefix;
    protected final int N, C;

    protected NormLayer(String prefix, int N, int C) {
        this.prefix = prefix;
        this.N = N;
        this.C = C;
    }

    /** out = Norm(in); may save statistics of {@code in}. */
    public abstract void forward(Stage s, Buffer out, Buffer in);

    /** din = J^T dout (written); parameter gradients accumulate. {@code in} is the forward input. */
    public abstract void backward(Stage s, Buffer din, Buffer dout, Buffer in);

    /** A gradient this norm sends to the block input besides {@code din} (BHyT's second norm), or null. */
    public Buffer crossGradient() { return null; }

    /** Sets parameters to their initial values (SPEC's init sections). */
    public abstract void initialize();

    // ---- the kinds ------------------------------------------------------------------------------

    public static final class RmsNormLayer extends NormLayer {
        final Param weight;
        final Buffer rstd;
        final float eps;

        RmsNormLayer(StepProgram p, String prefix, int N, int C, float eps) {
            super(prefix, N, C);
            this.eps = eps;
            weight = p.param(prefix + ".weight", false, C);
            rstd = p.floats(prefix + ".rstd", Role.ACTIVATION, N);
        }

        public void forward(Stage s, Buffer out, Buffer in) {
            s.add(new Task.RmsNormForward(out, rstd, in, weight.value(), N, C, eps));
        }

        public void backward(Stage s, Buffer din, Buffer dout, Buffer in) {
            s.add(new Task.RmsNormBackward(din, weight.grad(), dout, in, weight.value(), rstd, N, C));
        }

        public void initialize() { java.util.Arrays.fill(weight.value().f, 1f); }
    }

    public static final class LayerNormLayer extends NormLayer {
        final Param weight, bias;
        final Buffer mean, rstd;
        final float eps;

        LayerNormLayer(StepProgram p, String prefix, int N, int C, float eps) {
            super(prefix, N, C);
            this.eps = eps;
            weight = p.param(prefix + ".weight", false, C);
            bias = p.param(prefix + ".bias", false, C);
            mean = p.floats(prefix + ".mean", Role.ACTIVATION, N);
            rstd = p.floats(prefix + ".rstd", Role.ACTIVATION, N);
        }

        public void forward(Stage s, Buffer out, Buffer in) {
            s.add(new Task.LayerNormForward(out, mean, rstd, in, weight.value(), bias.value(), N, C, eps));
        }

        public void backward(Stage s, Buffer din, Buffer dout, Buffer in) {
            s.add(new Task.LayerNormBackward(din, weight.grad(), bias.grad(), dout, in, weight.value(), mean, rstd, N, C));
        }

        public void initialize() {
            java.util.Arrays.fill(weight.value().f, 1f);
            java.util.Arrays.fill(bias.value().f, 0f);
        }
    }

    /** DyT without beta, the LLaMA recipe (SPEC §2.1, §9). */
    public static final class DytLayer extends NormLayer {
        final Param alpha, weight;
        final float alpha0;

        DytLayer(StepProgram p, String prefix, int N, int C, float alpha0) {
            super(prefix, N, C);
            this.alpha0 = alpha0;
            alpha = p.param(prefix + ".alpha", false, 1);
            weight = p.param(prefix + ".weight", false, C);
        }

        public void forward(Stage s, Buffer out, Buffer in) {
            s.add(new Task.DytForward(out, in, alpha.value(), weight.value(), null, N, C));
        }

        public void backward(Stage s, Buffer din, Buffer dout, Buffer in) {
            s.add(new Task.DytBackward(din, alpha.grad(), weight.grad(), null, dout, in, alpha.value(), weight.value(), N, C));
        }

        public void initialize() {
            alpha.value().f[0] = alpha0;
            java.util.Arrays.fill(weight.value().f, 1f);
        }
    }

    /** Derf without beta, like DyT's LLaMA recipe (SPEC §3.1). */
    public static final class DerfLayer extends NormLayer {
        final Param alpha, shift, weight;
        final float alpha0, shift0;

        DerfLayer(StepProgram p, String prefix, int N, int C, float alpha0, float shift0) {
            super(prefix, N, C);
            this.alpha0 = alpha0;
            this.shift0 = shift0;
            alpha = p.param(prefix + ".alpha", false, 1);
            shift = p.param(prefix + ".shift", false, 1);
            weight = p.param(prefix + ".weight", false, C);
        }

        public void forward(Stage s, Buffer out, Buffer in) {
            s.add(new Task.DerfForward(out, in, alpha.value(), shift.value(), weight.value(), null, N, C));
        }

        public void backward(Stage s, Buffer din, Buffer dout, Buffer in) {
            s.add(new Task.DerfBackward(din, alpha.grad(), shift.grad(), weight.grad(), null, dout, in, alpha.value(),
                    shift.value(), weight.value(), N, C));
        }

        public void initialize() {
            alpha.value().f[0] = alpha0;
            shift.value().f[0] = shift0;
            java.util.Arrays.fill(weight.value().f, 1f);
        }
    }

    /**
     * BHyT with the exact statistic of its own input (SPEC §4.1, the input norm; BHyT* uses it for
     * both norms): gamma * tanh(lambda * x * kappa^-1 (mean x^2 + eps)^-1/2).
     */
    public static final class BhytExactLayer extends NormLayer {
        final Param lambda, weight;
        final Buffer meanSq;
        final float lambda0, kappa;

        BhytExactLayer(StepProgram p, String prefix, int N, int C, float lambda0, float kappa) {
            super(prefix, N, C);
            this.lambda0 = lambda0;
            this.kappa = kappa;
            lambda = p.param(prefix + ".lambda", false, 1);
            weight = p.param(prefix + ".weight", false, C);
            meanSq = p.floats(prefix + ".mean_sq", Role.ACTIVATION, N);
        }

        public void forward(Stage s, Buffer out, Buffer in) {
            s.add(new Task.BhytStarForward(out, meanSq, in, lambda.value(), weight.value(), N, C, kappa, BHYT_EPS));
        }

        public void backward(Stage s, Buffer din, Buffer dout, Buffer in) {
            s.add(new Task.BhytStarBackward(din, lambda.grad(), weight.grad(), dout, in, meanSq, lambda.value(),
                    weight.value(), N, C, kappa, BHYT_EPS));
        }

        public void initialize() {
            lambda.value().f[0] = lambda0;
            java.util.Arrays.fill(weight.value().f, 1f);
        }
    }

    /** BHyT's epsilon inside the root: fixed by SPEC §4.1 / §4.5, not norm_eps. */
    static final float BHYT_EPS = 1e-6f;

    /**
     * BHyT's second norm in a Pre-LN block (SPEC §4.1 steps 4-5): no statistic of its own input h;
     * the block input's mean square plus c_attn * lambda1^2 / kappa^2 stands in for it. Its backward
     * also sends a gradient into the block input x through that mean square ({@link #crossGradient}).
     */
    public static final class BhytSecondLayer extends NormLayer {
        final Param lambda, weight;
        final BhytExactLayer first;
        final Buffer blockInput, cAttn, rho, cross;
        final float lambda0, kappa;

        BhytSecondLayer(StepProgram p, String prefix, int N, int C, float lambda0, float kappa, BhytExactLayer first,
                        Buffer blockInput, Buffer cAttn) {
            super(prefix, N, C);
            this.lambda0 = lambda0;
            this.kappa = kappa;
            this.first = first;
            this.blockInput = blockInput;
            this.cAttn = cAttn;
            lambda = p.param(prefix + ".lambda", false, 1);
            weight = p.param(prefix + ".weight", false, C);
            rho = p.floats(prefix + ".rho", Role.ACTIVATION, N);
            cross = p.floats(prefix + ".cross_grad", Role.ACTIVATION, N, C);
        }

        public void forward(Stage s, Buffer out, Buffer h) {
            s.add(new Task.BhytSecondForward(out, rho, h, first.meanSq, cAttn, first.lambda.value(), lambda.value(),
                    weight.value(), N, C, kappa, BHYT_EPS));
        }

        public void backward(Stage s, Buffer dh, Buffer dout, Buffer h) {
            s.add(new Task.BhytSecondBackward(dh, cross, lambda.grad(), weight.grad(), dout, h, blockInput, rho,
                    lambda.value(), weight.value(), N, C, kappa));
        }

        @Override public Buffer crossGradient() { return cross; }

        public void initialize() {
            lambda.value().f[0] = lambda0;
            java.util.Arrays.fill(weight.value().f, 1f);
        }
    }
}
