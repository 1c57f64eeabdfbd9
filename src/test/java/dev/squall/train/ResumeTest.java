package dev.squall.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.data.ByteCorpus;
import dev.squall.jvm.JvmBackend;
import dev.squall.model.ConfigFields;
import dev.squall.model.ModelConfig;
import dev.squall.model.NormKind;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** N steps, checkpoint, a fresh process-equivalent resumes for N more: the same losses, bit for bit. */
class ResumeTest {
    @TempDir Path dir;

    /** Under muon and hyperp the momentum buffers are optimizer state too, so they travel in the checkpoint. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"adamw", "muon", "hyperp"})
    void resumeIsBitExact(String optimizer) throws Exception {
        ByteCorpus corpus = TinyRuns.corpus(dir);
        ModelConfig m = TinyRuns.model();
        m.norm = NormKind.BHYT; // exercises model state (c_attn) as well as weights and Adam moments
        TrainConfig tc = TinyRuns.train(12);
        tc.accumSteps = 2;
        ConfigFields.set(tc, "optimizer", optimizer);
        m.tiedEmbeddings = !optimizer.equals("hyperp"); // hyperp: the LM head's Adam-on-the-sphere state too
        m.bhytRefresh = 5;

        Trainer straight = new Trainer(m, tc, new JvmBackend(), corpus);
        double[] expected = new double[12];
        for (int i = 0; i < 12; i++) expected[i] = straight.trainStep().loss();

        Trainer first = new Trainer(m, tc, new JvmBackend(), corpus);
        for (int i = 0; i < 6; i++) assertEquals(expected[i], first.trainStep().loss(), 0.0, "step " + (i + 1));
        Path ckpt = dir.resolve("ckpt.safetensors");
        Checkpoint.save(ckpt, first);

        Trainer resumed = new Trainer(m, tc, new JvmBackend(), corpus);
        Checkpoint.load(ckpt, resumed);
        assertEquals(6, resumed.step());
        for (int i = 6; i < 12; i++) assertEquals(expected[i], resumed.trainStep().loss(), 0.0, "step " + (i + 1));
        assertEquals(straight.validate(), resumed.validate(), 0.0);
    }
}
