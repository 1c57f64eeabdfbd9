package dev.squall.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.data.ByteCorpus;
import dev.squall.io.SafeTensors;
import dev.squall.jvm.JvmBackend;
import dev.squall.model.ConfigException;
import dev.squall.model.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad checkpoints, divergence and interruption: one-line errors, and nothing already saved is lost. */
class BadInputTest {
    @TempDir Path dir;

    Trainer trainer(ModelConfig m, int steps) throws IOException {
        return new Trainer(m, TinyRuns.train(steps), new JvmBackend(), TinyRuns.corpus(dir));
    }

    @Test
    void checkpointOfAnotherConfigurationIsRefused() throws Exception {
        Trainer a = trainer(TinyRuns.model(), 4);
        Path ckpt = dir.resolve("a.safetensors");
        Checkpoint.save(ckpt, a);
        ModelConfig other = TinyRuns.model();
        other.dModel = 48;
        Trainer b = trainer(other, 4);
        ConfigException e = assertThrows(ConfigException.class, () -> Checkpoint.load(ckpt, b));
        assertTrue(e.getMessage().contains("another model") && e.getMessage().contains("d_model"), e.getMessage());
    }

    @Test
    void truncatedCheckpointIsRefusedWithOneLine() throws Exception {
        Trainer a = trainer(TinyRuns.model(), 4);
        Path ckpt = dir.resolve("t.safetensors");
        Checkpoint.save(ckpt, a);
        byte[] all = Files.readAllBytes(ckpt);
        Files.write(ckpt, Arrays.copyOf(all, all.length / 2));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(ckpt, trainer(TinyRuns.model(), 4)));
        assertTrue(e.getMessage().contains(ckpt.toString()) && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void corruptHeaderIsRefused() throws Exception {
        Trainer a = trainer(TinyRuns.model(), 4);
        Path ckpt = dir.resolve("c.safetensors");
        Checkpoint.save(ckpt, a);
        byte[] all = Files.readAllBytes(ckpt);
        all[9] = '#';
        Files.write(ckpt, all);
        assertThrows(SafeTensors.FormatException.class, () -> Checkpoint.load(ckpt, trainer(TinyRuns.model(), 4)));
    }

    @Test
    void nonFiniteLossStopsNamingStepAndLayerAndKeepsTheCheckpoint() throws Exception {
        Trainer t = trainer(TinyRuns.model(), 20);
        t.train.checkpointEvery = 2;
        Path run = dir.resolve("run");
        // Two good steps and their checkpoint, then a weight of layer 1 turns to infinity.
        for (int i = 0; i < 2; i++) t.trainStep();
        Files.createDirectories(run);
        Checkpoint.save(TrainingRun.checkpointFile(run), t);
        byte[] good = Files.readAllBytes(TrainingRun.checkpointFile(run));
        t.program.buffer("layers.1.attn.wq").f[3] = Float.POSITIVE_INFINITY;
        Diverged d;
        try (RunDirectory dirLock = RunDirectory.lock(run)) {
            TrainingRun r = new TrainingRun(t, dirLock, new PrintStream(new ByteArrayOutputStream()));
            d = assertThrows(Diverged.class, () -> r.run(false));
        }
        assertTrue(d.getMessage().contains("step 3") && d.getMessage().contains("layer 1"), d.getMessage());
        assertTrue(d.getMessage().contains("last good checkpoint kept"), d.getMessage());
        assertArrayEquals(good, Files.readAllBytes(TrainingRun.checkpointFile(run)));
    }

    @Test
    void stopRequestSavesACheckpointThenStops() throws Exception {
        Trainer t = trainer(TinyRuns.model(), 1000);
        Path run = dir.resolve("run");
        RunDirectory dirLock = RunDirectory.lock(run);
        TrainingRun r = new TrainingRun(t, dirLock, new PrintStream(new ByteArrayOutputStream()));
        Thread stopper = new Thread(() -> {
            while (t.step() < 3) Thread.onSpinWait();
            r.requestStop();
        });
        stopper.start();
        TrainingRun.Summary s = r.run(false);
        dirLock.close();
        stopper.join();
        assertTrue(s.interrupted());
        assertTrue(s.steps() >= 3 && s.steps() < 1000, "stopped at " + s.steps());
        SafeTensors st = SafeTensors.read(TrainingRun.checkpointFile(run));
        assertEquals(Integer.toString(s.steps()), st.metadata().get("step"));
    }

    @Test
    void emptyDataIsRefused() throws Exception {
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        IOException e = assertThrows(IOException.class, () -> ByteCorpus.load(empty, 1 << 20));
        assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
    }
}
