package dev.squall.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.data.ByteCorpus;
import dev.squall.jvm.JvmBackend;
import dev.squall.model.ConfigFields;
import dev.squall.model.ModelConfig;
import dev.squall.model.RouterKind;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A tiny MoE model end to end: finite, falling loss under every optimizer, and a bit-exact resume. */
class MoeTrainingTest {
    static ByteCorpus corpus;

    @BeforeAll
    static void data(@TempDir Path dir) throws Exception {
        corpus = TinyRuns.corpus(dir);
    }

    static ModelConfig moe(RouterKind router, boolean shared) {
        ModelConfig m = TinyRuns.model();
        m.experts = 4;
        m.topK = shared ? 3 : 2;
        m.router = router;
        m.sharedExpert = shared;
        m.zWeight = 1e-3f;
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"adamw", "muon", "hyperp"})
    void trainsWithFallingLoss(String optimizer) {
        ModelConfig m = moe(optimizer.equals("adamw") ? RouterKind.SOFTMAX_TOPK : RouterKind.SQRTGATE, !optimizer.equals("muon"));
        m.tiedEmbeddings = !optimizer.equals("hyperp");
        TrainConfig tc = TinyRuns.train(60);
        ConfigFields.set(tc, "optimizer", optimizer);
        Trainer t = new Trainer(m, tc, new JvmBackend(), corpus);
        int aux = t.program.metricNames.indexOf("aux_loss");
        double[] losses = new double[60];
        for (int i = 0; i < 60; i++) {
            Trainer.StepResult r = t.trainStep();
            losses[i] = r.loss();
            assertTrue(Double.isFinite(losses[i]), "step " + (i + 1) + " loss " + losses[i]);
            assertTrue(Float.isFinite(r.metrics()[aux]) && r.metrics()[aux] > 0, "aux_loss " + r.metrics()[aux]);
        }
        double first = 0, last = 0;
        for (int i = 0; i < 10; i++) {
            first += losses[i] / 10;
            last += losses[50 + i] / 10;
        }
        System.out.printf("moe %s: mean loss of the first 10 steps %.3f, of the last 10 %.3f%n", optimizer, first, last);
        assertTrue(last < first - 0.3, String.format("loss did not fall: first %.3f last %.3f", first, last));
    }

    /** The router's state is all in the weights and optimizer state, so a resume continues bit for bit. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"adamw", "muon", "hyperp"})
    void resumeIsBitExact(String optimizer, @TempDir Path dir) throws Exception {
        ModelConfig m = moe(RouterKind.TOPK_SOFTMAX, true);
        m.moeEvery = 2;
        TrainConfig tc = TinyRuns.train(8);
        tc.accumSteps = 2;
        ConfigFields.set(tc, "optimizer", optimizer);
        Trainer straight = new Trainer(m, tc, new JvmBackend(), corpus);
        double[] expected = new double[8];
        float[][] metrics = new float[8][];
        for (int i = 0; i < 8; i++) {
            Trainer.StepResult r = straight.trainStep();
            expected[i] = r.loss();
            metrics[i] = r.metrics();
        }
        Trainer first = new Trainer(m, tc, new JvmBackend(), corpus);
        for (int i = 0; i < 4; i++) first.trainStep();
        Path ckpt = dir.resolve("ckpt.safetensors");
        Checkpoint.save(ckpt, first);
        Trainer resumed = new Trainer(m, tc, new JvmBackend(), corpus);
        Checkpoint.load(ckpt, resumed);
        for (int i = 4; i < 8; i++) {
            Trainer.StepResult r = resumed.trainStep();
            assertEquals(expected[i], r.loss(), 0.0, "step " + (i + 1));
            assertArrayEquals(metrics[i], r.metrics(), "metrics of step " + (i + 1));
        }
    }
}
