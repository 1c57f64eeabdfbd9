package dev.squall.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.jvm.JvmBackend;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.StepProgram.Param;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A whole tiny MoE model's backward against central finite differences of its training objective
 * (cross-entropy + aux_loss + z_loss, MODEL.md "Router losses"), tensor by tensor as in
 * {@link ModelGradientTest}. Top-k selection is piecewise constant, so a difference is only taken
 * where both probes keep every block's selection (the step shrinks until they do): then the
 * objective is smooth along the probe and its slope is what the backward must give.
 */
class MoeModelGradientTest {
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(RouterKind.SOFTMAX_TOPK, false, Placement.PRE, 1.0, 1),
                Arguments.of(RouterKind.SOFTMAX_TOPK, true, Placement.PRE, 0.6, 1),
                Arguments.of(RouterKind.TOPK_SOFTMAX, false, Placement.POST, 0.6, 1),
                Arguments.of(RouterKind.TOPK_SOFTMAX, true, Placement.HYBRID, 1.0, 2),
                Arguments.of(RouterKind.SQRTGATE, false, Placement.HYBRID_STAR, 0.5, 1),
                Arguments.of(RouterKind.SQRTGATE, true, Placement.PRE, 0.5, 1),
                Arguments.of(RouterKind.SQRTGATE, true, Placement.POST, 1.0, 2));
    }

    static ModelConfig config(RouterKind router, boolean shared, Placement placement, double branchScale, int moeEvery) {
        ModelConfig c = ModelGradientTest.gradientCheckSize();
        c.placement = placement;
        c.attnNorm = placement == Placement.HYBRID ? AttnNorm.QKV : AttnNorm.NONE;
        c.tiedEmbeddings = placement != Placement.POST;
        c.initStd = 0.3;
        c.experts = 5;
        c.topK = 3;
        c.router = router;
        c.sharedExpert = shared;
        c.moeEvery = moeEvery;
        c.auxWeight = 0.5f;  // large weights so the router losses' gradients stand well above float noise
        c.zWeight = 0.05f;
        c.branchScale = branchScale;
        return c;
    }

    @ParameterizedTest(name = "{0} shared {1} {2} s={3} moe_every {4}")
    @MethodSource("cases")
    void everyParameterGradientMatchesFiniteDifferences(RouterKind router, boolean shared, Placement placement,
                                                       double branchScale, int moeEvery) {
        ModelConfig c = config(router, shared, placement, branchScale, moeEvery);
        Transformer t = new Transformer(c, 2);
        t.initialize();
        StepProgram p = t.program;
        JvmBackend jvm = new JvmBackend();
        SplittableRandom rng = new SplittableRandom(11);
        ModelGradientTest.randomBatchAndJitter(p, rng, c.vocabSize);
        jvm.run(p.zeroGrad);
        double base = objective(t, jvm);
        int[][] selection = selections(t);
        assertTrue(metric(t, "aux_loss") > 0, "aux_loss should be positive");
        jvm.run(p.trainLoss);
        for (Stage s : p.backward) jvm.run(s);

        int checked = 0;
        for (Param q : p.params()) {
            float[] w = q.value().f;
            double[] u = ModelGradientTest.randomUnitDirection(rng, w.length);
            double analytic = ModelGradientTest.directional(q.grad().f, u);
            float[] saved = w.clone();
            double h = 1e-2 * Math.max(1.0, ModelGradientTest.rms(saved));
            Double numeric = null;
            for (int attempt = 0; attempt < 6 && numeric == null; attempt++, h /= 2) {
                for (int i = 0; i < w.length; i++) w[i] = (float) (saved[i] + h * u[i]);
                double up = objective(t, jvm);
                boolean same = Arrays.deepEquals(selection, selections(t));
                for (int i = 0; i < w.length; i++) w[i] = (float) (saved[i] - h * u[i]);
                double down = objective(t, jvm);
                same &= Arrays.deepEquals(selection, selections(t));
                if (same) numeric = (up - down) / (2 * h);
            }
            System.arraycopy(saved, 0, w, 0, w.length);
            if (numeric == null) continue; // every probe crossed a selection boundary: no slope to compare
            checked++;
            double tol = 0.03 * Math.max(Math.abs(numeric), Math.abs(analytic)) + 2e-4;
            assertTrue(Math.abs(numeric - analytic) <= tol, String.format(
                    "%s: analytic %.6g vs numeric %.6g (base objective %.6f)", q.name(), analytic, numeric, base));
        }
        assertTrue(checked >= p.params().size() - 1, "only " + checked + " of " + p.params().size() + " tensors checked");
    }

    /** The shared expert's mixing: out = sqrt(1/2)·routed + sqrt(1/2)·S(f) under sqrtgate, routed + S(f) otherwise. */
    @Test
    void sharedExpertMixesAsMODELmdSays() {
        for (RouterKind router : RouterKind.values()) {
            ModelConfig c = config(router, true, Placement.PRE, 1.0, 1);
            Transformer t = new Transformer(c, 2);
            t.initialize();
            SplittableRandom rng = new SplittableRandom(5);
            for (int i = 0; i < t.program.tokens.i.length; i++) t.program.tokens.i[i] = rng.nextInt(c.vocabSize);
            JvmBackend jvm = new JvmBackend();
            for (Stage s : t.program.forward) jvm.run(s);
            MoeLayer moe = t.layers[1].moe;
            double a = router == RouterKind.SQRTGATE ? Math.sqrt(0.5) : 1, b = a;
            // sub holds the last block's MoE output after the forward (the residual add reads it).
            float[] out = t.sub.f;
            for (int i = 0; i < out.length; i++) {
                double want = a * moe.routed.f[i] + b * moe.sharedOut.f[i];
                assertEquals(want, out[i], 1e-6 * (1 + Math.abs(want)), router + " element " + i);
            }
            assertTrue(Arrays.stream(box(moe.sharedOut.f)).anyMatch(v -> v != 0), "shared expert output is all zero");
        }
    }

    /** The shared expert's weights get exactly the mixing weight's share of the gradient: doubling b doubles it. */
    @Test
    void sharedExpertGradientCarriesTheMixingWeight() {
        ModelConfig c = config(RouterKind.SQRTGATE, true, Placement.PRE, 1.0, 1);
        Transformer t = new Transformer(c, 2);
        t.initialize();
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < t.program.tokens.i.length; i++) {
            t.program.tokens.i[i] = rng.nextInt(c.vocabSize);
            t.program.targets.i[i] = rng.nextInt(c.vocabSize);
        }
        JvmBackend jvm = new JvmBackend();
        jvm.run(t.program.zeroGrad);
        for (Stage s : t.program.forward) jvm.run(s);
        jvm.run(t.program.trainLoss);
        for (Stage s : t.program.backward) jvm.run(s);
        // With the block's output gradient d, dS = sqrt(1/2)·d and dRouted = sqrt(1/2)·d: equal, both written.
        MoeLayer moe = t.layers[1].moe;
        for (int i = 0; i < moe.g.dSharedOut.f.length; i++) {
            assertEquals(moe.g.dRouted.f[i], moe.g.dSharedOut.f[i], 0f, "element " + i);
        }
        double norm = 0;
        for (float v : t.program.buffer("layers.1.moe.shared.w_down.grad").f) norm += v * v;
        assertTrue(norm > 0, "shared expert has no gradient");
    }

    /**
     * Accumulation: two micro-batches of the same batch with accum_steps 2 give the gradient of one
     * with accum_steps 1, router-loss terms included (they carry 1/accum_steps like the cross-entropy).
     */
    @Test
    void routerLossGradientsCarryTheMicroBatchShare() {
        ModelConfig c = config(RouterKind.TOPK_SOFTMAX, true, Placement.PRE, 1.0, 1);
        c.auxWeight = 5f; // dominant, so a missing 1/accum_steps would be far outside the tolerance
        c.zWeight = 0.5f;
        Transformer t = new Transformer(c, 2);
        t.initialize();
        SplittableRandom rng = new SplittableRandom(13);
        for (int i = 0; i < t.program.tokens.i.length; i++) {
            t.program.tokens.i[i] = rng.nextInt(c.vocabSize);
            t.program.targets.i[i] = rng.nextInt(c.vocabSize);
        }
        JvmBackend jvm = new JvmBackend();
        float[] once = routerGradient(t, jvm, 1);
        float[] twice = routerGradient(t, jvm, 2);
        double num = 0, den = 0;
        for (int i = 0; i < once.length; i++) {
            num += (once[i] - twice[i]) * (once[i] - twice[i]);
            den += once[i] * once[i];
        }
        assertTrue(Math.sqrt(num / den) < 1e-5, "relative difference " + Math.sqrt(num / den));
    }

    static float[] routerGradient(Transformer t, JvmBackend jvm, int microBatches) {
        t.buildLoss(microBatches);
        jvm.run(t.program.zeroGrad);
        for (int m = 0; m < microBatches; m++) {
            for (Stage s : t.program.forward) jvm.run(s);
            jvm.run(t.program.trainLoss);
            for (Stage s : t.program.backward) jvm.run(s);
        }
        return t.program.buffer("layers.0.moe.router.grad").f.clone();
    }

    static Float[] box(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) b[i] = a[i];
        return b;
    }

    static int[][] selections(Transformer t) {
        int[][] s = new int[t.moeLayers.size()][];
        for (int i = 0; i < s.length; i++) s[i] = t.moeLayers.get(i).expertIdx.i.clone();
        return s;
    }

    static double metric(Transformer t, String name) {
        return t.metricValues()[t.program.metricNames.indexOf(name)];
    }

    /** Cross-entropy + aux_loss + z_loss, the objective the backward differentiates. */
    static double objective(Transformer t, JvmBackend jvm) {
        for (Stage s : t.program.forward) jvm.run(s);
        jvm.run(t.program.evalLoss);
        return t.program.loss.f[0] + metric(t, "aux_loss") + metric(t, "z_loss");
    }
}
