package dev.squall.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.data.ByteCorpus;
import dev.squall.jvm.JvmBackend;
import dev.squall.model.ConfigException;
import dev.squall.model.ConfigFields;
import dev.squall.model.ModelConfig;
import dev.squall.program.Buffer;
import dev.squall.program.StepProgram.Param;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Muon and HyperP end to end on a tiny model: falling loss, the sphere kept, the LR rule, which tensor gets what. */
class OptimizerTrainingTest {
    static ByteCorpus corpus;

    @BeforeAll
    static void data(@TempDir Path dir) throws Exception {
        corpus = TinyRuns.corpus(dir);
    }

    static TrainConfig train(String optimizer, int steps) {
        TrainConfig t = TinyRuns.train(steps);
        ConfigFields.set(t, "optimizer", optimizer);
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"muon", "hyperp"})
    void trainsWithFallingLoss(String optimizer) {
        ModelConfig m = TinyRuns.model();
        m.tiedEmbeddings = false;
        Trainer t = new Trainer(m, train(optimizer, 60), new JvmBackend(), corpus);
        double[] losses = new double[60];
        for (int i = 0; i < 60; i++) {
            losses[i] = t.trainStep().loss();
            assertTrue(Double.isFinite(losses[i]), "step " + (i + 1) + " loss " + losses[i]);
        }
        double first = 0, last = 0;
        for (int i = 0; i < 10; i++) {
            first += losses[i] / 10;
            last += losses[50 + i] / 10;
        }
        System.out.printf("%s: mean loss of the first 10 steps %.3f, of the last 10 %.3f%n", optimizer, first, last);
        assertTrue(last < first - 0.3, String.format("loss did not fall: first %.3f last %.3f", first, last));
    }

    /** MuonH keeps every matrix, and the untied LM head, on the sphere of its initial Frobenius norm. */
    @Test
    void hyperpKeepsEveryNormAtItsInitialValue() {
        ModelConfig m = TinyRuns.model();
        m.tiedEmbeddings = false;
        Trainer t = new Trainer(m, train("hyperp", 100), new JvmBackend(), corpus);
        Map<String, Double> initial = new LinkedHashMap<>();
        for (Param p : t.program.params()) {
            if (Optimizer.isMatrix(p) || p.name().equals("lm_head")) initial.put(p.name(), norm(p.value()));
        }
        assertTrue(initial.containsKey("lm_head") && initial.containsKey("layers.1.ffn.w_down"), initial.keySet().toString());
        double worst = 0;
        Buffer tokEmb = t.program.buffer("tok_emb");
        double embedding = norm(tokEmb);
        for (int step = 1; step <= 100; step++) {
            t.trainStep();
            for (Map.Entry<String, Double> e : initial.entrySet()) {
                double drift = Math.abs(norm(t.program.buffer(e.getKey())) / e.getValue() - 1);
                worst = Math.max(worst, drift);
                assertTrue(drift < 1e-5, e.getKey() + " drifted by " + drift + " at step " + step);
            }
        }
        System.out.printf("hyperp: largest relative norm drift over 100 steps, %d tensors: %.2e%n", initial.size(), worst);
        // The embedding is not on the sphere: AdamW moves its norm.
        assertTrue(Math.abs(norm(tokEmb) / embedding - 1) > 1e-3, "tok_emb should not be retracted");
    }

    /** SPEC §6.5 by hand: lr 0.015, B = 8·512·4 = 16384, d = 4, T = 1000·B = 16.384e6. */
    @Test
    void transferRuleGivesTheHandComputedRate() {
        TrainConfig c = new TrainConfig();
        c.lr = 0.015;
        c.batch = 8;
        c.accumSteps = 4;
        c.steps = 1000;
        // sqrt(16384 / 2^21) = 2^-3.5, sqrt(8 / 4) = 2^0.5: together 1/8.
        // (16.384e6 / 10.4e9)^-0.32 = exp(0.32 * 6.45322) = 7.88563.
        double want = 0.015 / 8 * 7.885628;
        assertEquals(want, HyperPOptimizer.transferredLr(c, 4, 512), 1e-6 * want);
        assertEquals(0.0147856, want, 1e-7);
    }

    /** Under hyperp the Trainer uses η with no warm-up and a linear decay to 0.1·η, and says what it overrode. */
    @Test
    void hyperpScheduleIsForced() {
        ModelConfig m = TinyRuns.model();
        TrainConfig c = train("hyperp", 10);
        c.weightDecay = 0.1;
        c.warmupSteps = 3;
        Trainer t = new Trainer(m, c, new JvmBackend(), corpus);
        double eta = HyperPOptimizer.transferredLr(c, m.nLayers, m.seqLen);
        assertEquals(eta, t.peakLr, 0.0);
        assertEquals(0, t.train.weightDecay);
        assertEquals(eta, t.trainStep().lr(), 1e-12);
        for (int i = 1; i < 9; i++) t.trainStep();
        assertEquals(eta * (1 - 0.9 * 9 / 10.0), t.trainStep().lr(), 1e-12);
        String notes = String.join("\n", t.startNotes);
        assertTrue(notes.contains("warmup_steps 3 -> 0") && notes.contains("weight_decay 0.1 -> 0"), notes);
        assertTrue(notes.contains(String.format("%.4g", eta)), notes);
    }

    /** Which tensor gets which state (MODEL.md "Optimizers"). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"muon", "hyperp"})
    void matricesGetMomentumAndTheRestAdam(String optimizer) {
        ModelConfig m = TinyRuns.model();
        m.tiedEmbeddings = false;
        Trainer t = new Trainer(m, train(optimizer, 2), new JvmBackend(), corpus);
        for (Param p : t.program.params()) {
            boolean matrix = !p.name().equals("tok_emb") && !p.name().equals("lm_head") && p.value().shape.length >= 2;
            assertEquals(matrix, t.program.buffers().containsKey(p.name() + ".muon_momentum"), p.name());
            assertEquals(!matrix, t.program.buffers().containsKey(p.name() + ".adam_m"), p.name());
        }
        assertTrue(t.program.buffers().containsKey("layers.0.attn.wq.muon_momentum"));
        assertEquals(Buffer.Role.OPTIMIZER, t.program.buffer("layers.0.attn.wq.muon_momentum").role);
    }

    @Test
    void unknownOptimizerIsOneLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.OptimizerKind.parse("sgd"));
        assertEquals("optimizer: unknown value 'sgd'; use adamw, muon or hyperp", e.getMessage());
    }

    static double norm(Buffer b) {
        double s = 0;
        for (float f : b.f) s += (double) f * f;
        return Math.sqrt(s);
    }
}
