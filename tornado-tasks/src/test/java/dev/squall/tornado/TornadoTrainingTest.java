package dev.squall.tornado;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.data.ByteCorpus;
import dev.squall.jvm.JvmBackend;
import dev.squall.model.AttnNorm;
import dev.squall.model.ModelConfig;
import dev.squall.model.NormKind;
import dev.squall.model.Placement;
import dev.squall.model.RouterKind;
import dev.squall.tornado.backend.TornadoBackend;
import dev.squall.tornado.backend.TornadoBackendProvider;
import dev.squall.train.Checkpoint;
import dev.squall.train.TrainConfig;
import dev.squall.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Whole training runs, many steps of every stage chained as the Trainer builds them, with per-step
 * hyperparameters changing under one compiled plan and the host-device traffic measured: the catalog
 * runs each kernel once, alone.
 *
 * <p>The whole training step on the TornadoVM device against the JVM backend: the same configuration,
 * weights and batches give the same losses for 20 steps (forward, backward, clipping and AdamW all
 * on the device), for every norm kind. And a step moves a fixed handful of bytes between host and
 * device whatever the model size: weights, gradients and optimizer state never leave the device.
 */
class TornadoTrainingTest {
    static final int STEPS = 20;
    @TempDir static Path dir;
    static ByteCorpus corpus;

    @BeforeAll static void data() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            sb.append("the quick brown fox jumps over the lazy dog ").append(i % 7).append(". ");
            if (i % 5 == 0) sb.append("pack my box with five dozen liquor jugs.\n");
        }
        Path file = dir.resolve("corpus.txt");
        Files.writeString(file, sb.toString());
        corpus = ByteCorpus.fromPath(file, 1 << 20);
    }

    static ModelConfig model(NormKind norm, int d) {
        ModelConfig c = ModelConfig.tiny();
        c.dModel = d;
        c.nLayers = 2;
        c.nHeads = 4;
        c.nKvHeads = 2;
        c.ffnHidden = 2 * d;
        c.seqLen = 32;
        c.norm = norm;
        c.placement = Placement.PRE;
        c.attnNorm = norm == NormKind.RMSNORM ? AttnNorm.QK : AttnNorm.NONE;
        c.tiedEmbeddings = norm != NormKind.LAYERNORM;
        return c;
    }

    static TrainConfig train() {
        TrainConfig t = TrainConfig.preset("tiny");
        t.batch = 2;
        t.steps = STEPS;
        t.lr = 1e-2;
        t.warmupSteps = 3;
        return t;
    }

    static TornadoBackend device() {
        return (TornadoBackend) new TornadoBackendProvider().create(0);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(NormKind.class)
    void twentyStepsMatchTheJvm(NormKind norm) {
        assertTwentyStepsMatch(model(norm, 32), norm.toString());
    }

    /**
     * DeepNorm (its weighted residual is the mix task, forward and backward) and Mix-LN (a Post-Norm
     * block then a Pre-Norm one, here with BHyT's variance approximation in the latter).
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"DEEPNORM,LAYERNORM", "MIXLN,BHYT"})
    void neighbourPlacementsMatchTheJvm(Placement placement, NormKind norm) {
        ModelConfig m = model(norm, 32);
        m.placement = placement;
        m.mixlnPostFraction = 0.5; // two blocks: one Post-Norm, one Pre-Norm
        assertTwentyStepsMatch(m, placement + "/" + norm);
    }

    static void assertTwentyStepsMatch(ModelConfig model, String label) {
        double[] jvm = new double[STEPS], tornado = new double[STEPS];
        Trainer a = new Trainer(model.copy(), train(), new JvmBackend(), corpus);
        for (int s = 0; s < STEPS; s++) jvm[s] = a.trainStep().loss();
        try (TornadoBackend b = device()) {
            Trainer t = new Trainer(model.copy(), train(), b, corpus);
            for (int s = 0; s < STEPS; s++) tornado[s] = t.trainStep().loss();
            double validJvm = a.validate(), validDevice = t.validate();
            assertEquals(validJvm, validDevice, 1e-3 * Math.abs(validJvm), "validation loss");
        }
        for (int s = 0; s < STEPS; s++) {
            assertTrue(Double.isFinite(tornado[s]), "step " + s + " loss is not finite on the device");
            assertEquals(jvm[s], tornado[s], 1e-3 * Math.abs(jvm[s]),
                    String.format("%s step %d: jvm %.6f, tornado %.6f", label, s, jvm[s], tornado[s]));
        }
        assertTrue(tornado[STEPS - 1] < tornado[0] - 0.3, "the loss falls on the device: " + tornado[0] + " -> " + tornado[STEPS - 1]);
    }

    /** Mixture-of-experts models with each router and optimizer: the same losses on the device as on the JVM. */
    @ParameterizedTest(name = "{0} shared={1} {2}")
    @CsvSource({"SOFTMAX_TOPK,false,ADAMW", "TOPK_SOFTMAX,true,MUON", "SQRTGATE,true,HYPERP"})
    void mixtureOfExpertsMatchesTheJvm(RouterKind router, boolean shared, TrainConfig.OptimizerKind optimizer) {
        ModelConfig m = model(NormKind.RMSNORM, 32);
        m.experts = 4;
        m.topK = shared ? 3 : 2;
        m.router = router;
        m.sharedExpert = shared;
        m.tiedEmbeddings = optimizer != TrainConfig.OptimizerKind.HYPERP;
        TrainConfig t = train();
        t.optimizer = optimizer;
        double[] jvm = new double[STEPS], tornado = new double[STEPS];
        Trainer a = new Trainer(m, t, new JvmBackend(), corpus);
        for (int s = 0; s < STEPS; s++) jvm[s] = a.trainStep().loss();
        try (TornadoBackend b = device()) {
            Trainer d = new Trainer(m, t, b, corpus);
            for (int s = 0; s < STEPS; s++) tornado[s] = d.trainStep().loss();
        }
        for (int s = 0; s < STEPS; s++) {
            assertEquals(jvm[s], tornado[s], 1e-3 * Math.abs(jvm[s]),
                    String.format("%s/%s step %d: jvm %.6f, tornado %.6f", router, optimizer, s, jvm[s], tornado[s]));
        }
        assertTrue(tornado[STEPS - 1] < tornado[0] - 0.3, "the loss falls on the device: " + tornado[0] + " -> " + tornado[STEPS - 1]);
    }

    /**
     * A checkpoint written from the device and loaded into a second device run mid-way (which
     * replaces device-resident weights and optimizer state) continues with the same losses.
     */
    @Test
    void checkpointRoundTripOnTheDevice() throws Exception {
        Path file = dir.resolve("device.safetensors");
        double[] straight = new double[3], resumed = new double[3];
        try (TornadoBackend b = device()) {
            Trainer t = new Trainer(model(NormKind.RMSNORM, 32), train(), b, corpus);
            for (int s = 0; s < 3; s++) t.trainStep();
            Checkpoint.save(file, t);
            for (int s = 0; s < 3; s++) straight[s] = t.trainStep().loss();
        }
        try (TornadoBackend b = device()) {
            Trainer t = new Trainer(model(NormKind.RMSNORM, 32), train(), b, corpus);
            t.trainStep();   // device state now differs from the checkpoint's
            Checkpoint.load(file, t);
            for (int s = 0; s < 3; s++) resumed[s] = t.trainStep().loss();
        }
        assertArrayEquals(straight, resumed, 1e-6, "losses after resuming from a device checkpoint");
    }

    /** Bytes per step after the first (which uploads everything): the same for a 4x larger model, and small. */
    @Test
    void bytesPerStepDoNotGrowWithTheParameterCount() {
        long[] perStep = new long[2];
        long[] params = new long[2];
        int[] widths = {32, 64};
        for (int i = 0; i < 2; i++) {
            try (TornadoBackend b = device()) {
                Trainer t = new Trainer(model(NormKind.RMSNORM, widths[i]), train(), b, corpus);
                t.trainStep();
                b.resetCounters();
                int steps = 3;
                for (int s = 0; s < steps; s++) t.trainStep();
                perStep[i] = (b.bytesToDevice() + b.bytesToHost()) / steps;
                params[i] = t.program.parameterCount();
                System.out.printf("tornado bytes/step d=%d: %d in + %d out = %d (parameters %d, %d graph executions)%n",
                        widths[i], b.bytesToDevice() / steps, b.bytesToHost() / steps, perStep[i], params[i],
                        b.graphExecutions() / steps);
            }
        }
        assertTrue(params[1] > 3 * params[0], "the second model is much larger");
        assertEquals(perStep[0], perStep[1], "bytes per step must not depend on the parameter count");
        // Per step: tokens and targets (2 x B x T int32, read by the graphs that need them), two
        // hyperparameter arrays, the loss, metrics and grad_sq; a few KiB at most, versus
        // 4 x parameters bytes for the weights alone.
        assertTrue(perStep[1] < 16 * 1024, "bytes per step " + perStep[1]);
        assertTrue(perStep[1] < 4 * params[0] / 10, "bytes per step " + perStep[1] + " vs weights " + 4 * params[0]);
    }
}
