package dev.squall.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.jvm.JvmBackend;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram.Param;
import dev.squall.program.StepProgram;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole model's backward against finite differences of its own forward, tensor by tensor: for
 * each parameter tensor a random direction u, and <grad, u> against (L(p + h u) - L(p - h u)) / 2h.
 * The model runs in float, so h is large-ish and the tolerance a few percent; a wrong or missing
 * gradient term is off by far more.
 */
class ModelGradientTest {
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(NormKind.RMSNORM, Placement.PRE, AttnNorm.NONE),
                Arguments.of(NormKind.LAYERNORM, Placement.PRE, AttnNorm.QK),
                Arguments.of(NormKind.DYT, Placement.PRE, AttnNorm.NONE),
                Arguments.of(NormKind.DERF, Placement.PRE, AttnNorm.NONE),
                Arguments.of(NormKind.BHYT, Placement.PRE, AttnNorm.NONE),
                Arguments.of(NormKind.BHYT_STAR, Placement.PRE, AttnNorm.NONE),
                Arguments.of(NormKind.RMSNORM, Placement.POST, AttnNorm.NONE),
                Arguments.of(NormKind.RMSNORM, Placement.HYBRID, AttnNorm.QKV),
                Arguments.of(NormKind.BHYT, Placement.HYBRID_STAR, AttnNorm.QKV),
                Arguments.of(NormKind.DERF, Placement.POST, AttnNorm.QKV),
                Arguments.of(NormKind.RMSNORM, Placement.DEEPNORM, AttnNorm.NONE),
                Arguments.of(NormKind.LAYERNORM, Placement.DEEPNORM, AttnNorm.QK),
                Arguments.of(NormKind.BHYT, Placement.DEEPNORM, AttnNorm.NONE),
                Arguments.of(NormKind.DYT, Placement.MIXLN, AttnNorm.NONE),
                Arguments.of(NormKind.BHYT, Placement.MIXLN, AttnNorm.NONE),
                Arguments.of(NormKind.RMSNORM, Placement.MIXLN, AttnNorm.QKV));
    }

    @ParameterizedTest(name = "{0} {1} attn-norm {2}")
    @MethodSource("cases")
    void everyParameterGradientMatchesFiniteDifferences(NormKind norm, Placement placement, AttnNorm attnNorm) {
        ModelConfig c = gradientCheckSize();
        c.norm = norm;
        c.placement = placement;
        c.attnNorm = attnNorm;
        c.tiedEmbeddings = placement != Placement.POST; // cover the untied head too
        // Two blocks: Mix-LN's default quarter would leave none Post-Norm, half gives one of each.
        c.mixlnPostFraction = 0.5;
        // One DeepNorm case also scales the branch: alpha·x + s·F(x) in one mix task, both weights differentiated.
        if (placement == Placement.DEEPNORM && attnNorm == AttnNorm.QK) c.branchScale = 0.7;
        // Larger weights than the default init, so every path carries a gradient well above float noise.
        c.initStd = 0.3;
        Transformer t = new Transformer(c, 2);
        t.initialize();
        StepProgram p = t.program;
        JvmBackend jvm = new JvmBackend();
        SplittableRandom rng = new SplittableRandom(7);
        randomBatchAndJitter(p, rng, c.vocabSize);
        jvm.run(t.refreshConstants);
        jvm.run(p.zeroGrad);
        double base = loss(t, jvm);
        jvm.run(p.trainLoss);
        for (Stage s : p.backward) jvm.run(s);

        for (Param q : p.params()) {
            // BHyT's input lambda also enters the second norm's variance estimate, where SPEC §4.3
            // detaches it: finite differences of the forward cannot see that stop-gradient. The
            // kernel test checks this gradient with the detached copy held apart.
            if (norm == NormKind.BHYT && q.name().endsWith("attn_norm.lambda") && t.layers[layerOf(q.name())].preNorm) continue;
            float[] w = q.value().f;
            double[] u = randomUnitDirection(rng, w.length);
            double analytic = directional(q.grad().f, u);
            float[] saved = w.clone();
            // A unit-norm step of 1e-2 (more for large tensors): float loss noise ~1e-7 stays far below h * |grad|.
            double h = 1e-2 * Math.max(1.0, rms(saved));
            for (int i = 0; i < w.length; i++) w[i] = (float) (saved[i] + h * u[i]);
            double up = loss(t, jvm);
            for (int i = 0; i < w.length; i++) w[i] = (float) (saved[i] - h * u[i]);
            double down = loss(t, jvm);
            System.arraycopy(saved, 0, w, 0, w.length);
            double numeric = (up - down) / (2 * h);
            double tol = 0.03 * Math.max(Math.abs(numeric), Math.abs(analytic)) + 2e-4;
            assertTrue(Math.abs(numeric - analytic) <= tol, String.format(
                    "%s: analytic %.6g vs numeric %.6g (base loss %.6f)", q.name(), analytic, numeric, base));
        }
    }

    /** The block index in a parameter name {@code layers.<l>.…}. */
    static int layerOf(String name) {
        return Integer.parseInt(name.substring("layers.".length(), name.indexOf('.', "layers.".length())));
    }

    static double loss(Transformer t, JvmBackend jvm) {
        for (Stage s : t.program.forward) jvm.run(s);
        jvm.run(t.program.evalLoss);
        return t.program.loss.f[0];
    }

    static double rms(float[] a) {
        double s = 0;
        for (float v : a) s += v * v;
        return Math.sqrt(s / a.length);
    }

    /**
     * Random tokens and targets, and the scalar and gain parameters moved off their exact initial
     * values (1, alpha0, ...) so every path carries a gradient well above float noise.
     */
    static void randomBatchAndJitter(StepProgram p, SplittableRandom rng, int vocabSize) {
        for (int i = 0; i < p.tokens.i.length; i++) {
            p.tokens.i[i] = rng.nextInt(vocabSize);
            p.targets.i[i] = rng.nextInt(vocabSize);
        }
        for (Param q : p.params()) {
            if (!q.decay()) for (int i = 0; i < q.value().size(); i++) q.value().f[i] *= (float) (1 + 0.2 * (rng.nextDouble() - 0.5));
        }
    }

    /** A random direction of unit length: the finite-difference probe of one tensor. */
    static double[] randomUnitDirection(SplittableRandom rng, int n) {
        double[] u = new double[n];
        double norm = 0;
        for (int i = 0; i < n; i++) {
            u[i] = rng.nextDouble() * 2 - 1;
            norm += u[i] * u[i];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < n; i++) u[i] /= norm;
        return u;
    }

    /** The gradient's component along u (the analytic side of a directional finite difference). */
    static double directional(float[] grad, double[] u) {
        double d = 0;
        for (int i = 0; i < u.length; i++) d += grad[i] * u[i];
        return d;
    }

    /**
     * A model small enough for finite differences of every parameter, with GQA (4 heads, 2 KV heads)
     * and a sequence of odd length; callers set the norm, placement and the rest.
     */
    static ModelConfig gradientCheckSize() {
        ModelConfig c = new ModelConfig();
        c.vocabSize = 64;
        c.dModel = 16;
        c.nLayers = 2;
        c.nHeads = 4;
        c.nKvHeads = 2;
        c.ffnHidden = 24;
        c.seqLen = 7;
        return c;
    }
}
