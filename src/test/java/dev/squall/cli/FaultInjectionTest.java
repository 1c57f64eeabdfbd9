package dev.squall.cli;

import static dev.squall.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.*;

import dev.squall.cli.CliTest.Run;
import dev.squall.io.Json;
import dev.squall.io.SafeTensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a user meets, injected through the command line: each must end in one line that names
 * the problem and the fix, and must leave every file of the run as it was (compared byte for byte).
 * Classes: divergence that first shows in a statistic, two writers on one run directory (and a
 * stale lock), resume of a finished run, damaged checkpoints (a flipped byte, NaN weights, bad
 * metadata, no checksums at all), a temporary file left by a killed save, evaluation on foreign
 * text, and configuration or generation values that make no sense.
 */
class FaultInjectionTest {
    @TempDir Path dir;

    Path corpus() throws IOException {
        Path f = dir.resolve("text.txt");
        if (!Files.exists(f)) Files.writeString(f, "hello squall, hello world. ".repeat(400));
        return f;
    }

    /** A tiny run's flags; {@code more} may add or override any of them. */
    String[] tiny(Path run, String... more) throws IOException {
        List<String> all = new ArrayList<>(List.of("train", "--preset", "tiny", "--data", corpus().toString(), "--out",
                run.toString(), "--set", "seq_len=32", "--set", "d_model=32", "--set", "eval_every=5", "--set",
                "eval_batches=2"));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    Path trained(String name, int steps) throws IOException {
        Path run = dir.resolve(name);
        Run r = run(tiny(run, "--steps", Integer.toString(steps)));
        assertEquals(0, r.code(), r.err());
        return run;
    }

    /** Every regular file of a run directory except its lock, by name, with its bytes. */
    static Map<String, byte[]> snapshot(Path run) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (var list = Files.list(run)) {
            for (Path f : list.toList()) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().equals("run.lock")) {
                    files.put(f.getFileName().toString(), Files.readAllBytes(f));
                }
            }
        }
        return files;
    }

    static void assertUnchanged(Map<String, byte[]> before, Path run) throws IOException {
        Map<String, byte[]> after = snapshot(run);
        assertEquals(before.keySet(), after.keySet(), "files of " + run);
        for (String name : before.keySet()) assertArrayEquals(before.get(name), after.get(name), name + " changed");
    }

    static void assertOneLine(Run r, int code, String... parts) {
        assertEquals(code, r.code(), r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().filter(l -> l.startsWith("squall:")).count(), err);
        for (String p : parts) assertTrue(err.contains(p), "'" + p + "' missing from: " + err);
    }

    /**
     * Rewrites a checkpoint through {@code edit} (tensors by name, metadata by key) as a new,
     * correctly checksummed file: damage that the checksum cannot see, only the checks after it.
     */
    static void rewrite(Path ckpt, Consumer<Map<String, float[]>> editTensors, Consumer<Map<String, String>> editMeta,
                        boolean checksums) throws IOException {
        SafeTensors st = SafeTensors.read(ckpt);
        Map<String, float[]> tensors = new LinkedHashMap<>();
        for (String n : st.names()) tensors.put(n, st.floats(n));
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        meta.remove(SafeTensors.CHECKSUMS);
        editTensors.accept(tensors);
        editMeta.accept(meta);
        SafeTensors.Writer w = new SafeTensors.Writer();
        if (checksums) w.withChecksums();
        meta.forEach(w::metadata);
        for (String n : st.names()) w.add(n, tensors.get(n), st.shape(n));
        w.writeAtomically(ckpt);
    }

    // ---------------------------------------------------------------- divergence

    @Test
    void divergenceThatShowsFirstInAStatisticStopsTheRunAndKeepsTheCheckpoint() throws Exception {
        Path run = trained("blowup", 4);
        // A finite but enormous FFN output: the next norm rescales it, so the loss can stay finite
        // while the hidden-state statistics overflow to infinity.
        rewrite(run.resolve("checkpoint.safetensors"), t -> {
            float[] w = t.get("layers.0.ffn.w_down");
            for (int i = 0; i < w.length; i++) w[i] *= 1e25f;
        }, m -> { }, true);
        Map<String, byte[]> before = snapshot(run);
        Run r = run("train", "--out", run.toString(), "--resume", "--steps", "8");
        assertOneLine(r, Main.DIVERGED, "step 5", "layer", "last good checkpoint kept", "checkpoint.safetensors", "step 4");
        assertArrayEquals(before.get("checkpoint.safetensors"), Files.readAllBytes(run.resolve("checkpoint.safetensors")));
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) Json.parse(line); // valid JSON, no Infinity
    }

    @Test
    void nonFiniteAndAbsurdSettingsAreRefusedBeforeAnythingIsWritten() throws Exception {
        Path run = dir.resolve("never");
        assertOneLine(run(tiny(run, "--lr", "Infinity")), Main.BAD_INPUT, "lr", "finite");
        assertOneLine(run(tiny(run, "--lr", "NaN")), Main.BAD_INPUT, "lr", "finite");
        assertOneLine(run(tiny(run, "--lr", "1e6")), Main.BAD_INPUT, "lr", "(0, 1.0]");
        assertOneLine(run(tiny(run, "--set", "grad_clip=Infinity")), Main.BAD_INPUT, "grad_clip", "finite");
        assertOneLine(run(tiny(run, "--set", "rope_base=NaN")), Main.BAD_INPUT, "rope_base", "finite");
        Path config = dir.resolve("bad.json");
        Files.writeString(config, "{\"d_model\": \"wide\"}");
        Run typed = run(tiny(run, "--config", config.toString()));
        assertOneLine(typed, Main.BAD_INPUT, config.toString(), "d_model", "whole number");
        assertFalse(typed.err().contains("--d-model"), "blamed on a flag that does not exist: " + typed.err());
        // A configuration whose buffers cannot fit in the heap: the estimate and the fix, not OutOfMemoryError.
        assertOneLine(run(tiny(run, "--set", "seq_len=400000")), Main.BAD_INPUT, "GiB", "seq_len", "-Xmx");
        assertFalse(Files.exists(run), "a refused configuration wrote " + run);
    }

    // ---------------------------------------------------------------- one writer per run directory

    @Test
    void aSecondWriterIsRefusedAndTheFirstRunLosesNothing() throws Exception {
        Path run = dir.resolve("busy");
        int steps = 150;
        Process first = CliTest.start(tiny(run, "--steps", Integer.toString(steps), "--set", "checkpoint_every=3"));
        Path ckpt = run.resolve("checkpoint.safetensors");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ckpt) && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(first.isAlive(), "the first run ended before the second started; make it longer");
        assertOneLine(run(tiny(run, "--steps", "60")), Main.BAD_INPUT, "in use by another squall process",
                "pid " + first.pid(), "--out");
        assertOneLine(run("train", "--out", run.toString(), "--resume", "--steps", "400"), Main.BAD_INPUT,
                "in use by another squall process", "pid " + first.pid());
        assertTrue(first.isAlive(), "the first run ended while the others were refused; make it longer");
        assertTrue(first.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, first.exitValue());
        long stepLines = Files.readAllLines(run.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count();
        assertEquals(steps, stepLines, "one metrics line per step of the first run, nothing interleaved");
        assertEquals(Integer.toString(steps), SafeTensors.read(ckpt).metadata().get("step"));
        // Now that it has finished, the directory is free again: a resume of the finished run is accepted.
        assertEquals(0, run("train", "--out", run.toString(), "--resume").code());
    }

    @Test
    void aLockLeftByAKilledProcessDoesNotBlockAndItsTemporaryFilesAreRemoved() throws Exception {
        Path run = dir.resolve("killed");
        Process p = CliTest.start(tiny(run, "--steps", "100000", "--set", "checkpoint_every=2"));
        Path ckpt = run.resolve("checkpoint.safetensors");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ckpt) && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(Files.exists(ckpt), "no checkpoint within a minute");
        p.destroyForcibly();                       // kill -9: no shutdown hook, the lock file stays behind
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.readString(run.resolve("run.lock")).contains("pid " + p.pid()));
        // What a save killed between writing and renaming leaves behind.
        Path stale = run.resolve(".checkpoint.safetensors." + p.pid() + ".5eed.tmp");
        Files.write(stale, new byte[1234]);
        int step = Integer.parseInt(SafeTensors.read(ckpt).metadata().get("step"));
        Run resumed = run("train", "--out", run.toString(), "--resume", "--steps", Integer.toString(step + 2));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("removed .checkpoint.safetensors." + p.pid() + ".5eed.tmp"), resumed.out());
        assertFalse(Files.exists(stale));
        assertEquals(Integer.toString(step + 2), SafeTensors.read(ckpt).metadata().get("step"));
    }

    // ---------------------------------------------------------------- resume

    @Test
    void resumeOfAFinishedRunChangesNothingAndMoreStepsExtendIt() throws Exception {
        Path run = trained("finished", 6);
        Map<String, byte[]> before = snapshot(run);
        Run again = run("train", "--out", run.toString(), "--resume");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("is finished (step 6 of 6)") && again.out().contains("--steps"), again.out());
        assertUnchanged(before, run);

        // The run's own configuration and data: only --steps is given, nothing else is repeated.
        Run more = run("train", "--out", run.toString(), "--resume", "--steps", "9");
        assertEquals(0, more.code(), more.err());
        assertTrue(more.out().contains("resume: steps 6 -> 9"), more.out());
        @SuppressWarnings("unchecked")
        Map<String, Object> summary = (Map<String, Object>) Json.parse(Files.readString(run.resolve("summary.json")));
        assertEquals(9L, summary.get("steps"));
        assertTrue(summary.get("loss") instanceof Number, "summary loss: " + summary);
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) Json.parse(Files.readString(run.resolve("config.json")));
        assertEquals(32L, ((Map<?, ?>) config.get("model")).get("d_model"), "the run's own model, not the preset's");
        assertEquals(corpus().toAbsolutePath().toString(), config.get("data"));

        assertOneLine(run("train", "--out", run.toString(), "--resume", "--steps", "3"), Main.BAD_INPUT,
                "cannot be shortened", "--steps 9");
        assertOneLine(run("train", "--out", run.toString(), "--resume", "--set", "d_model=64"), Main.BAD_INPUT,
                "another model", "d_model");
    }

    @Test
    void aDirectoryWithAnEarlierRunIsNeverOverwritten() throws Exception {
        Path run = trained("earlier", 4);
        Map<String, byte[]> before = snapshot(run);
        assertOneLine(run(tiny(run, "--steps", "4")), Main.BAD_INPUT, "already holds a run", "--resume");
        assertUnchanged(before, run);
        // Killed before its first save: metrics and config, no checkpoint.
        Files.delete(run.resolve("checkpoint.safetensors"));
        before = snapshot(run);
        assertOneLine(run(tiny(run, "--steps", "4")), Main.BAD_INPUT, "already holds a run", "no checkpoint");
        assertUnchanged(before, run);
    }

    // ---------------------------------------------------------------- checkpoint integrity

    @Test
    void aFlippedByteIsCaughtByEveryReaderNamingTheTensorAndNothingIsOverwritten() throws Exception {
        Path run = trained("flipped", 4);
        Path ckpt = run.resolve("checkpoint.safetensors");
        byte[] bytes = Files.readAllBytes(ckpt);
        bytes[bytes.length - 5] ^= 0x10;  // inside the last tensor's data: the header still parses
        Files.write(ckpt, bytes);
        Map<String, byte[]> before = snapshot(run);
        for (String[] cmd : new String[][] {{"train", "--out", run.toString(), "--resume", "--steps", "8"},
                {"eval", run.toString()}, {"generate", run.toString(), "--max-tokens", "4"}}) {
            assertOneLine(run(cmd), Main.BAD_INPUT, ckpt.toString(), "fails its CRC32C check", "tensor '");
        }
        assertUnchanged(before, run);
        // The independent PyTorch reference verifies the same checksums.
        Process p = new ProcessBuilder("/usr/bin/python3", "-B", "-c", "import sys; sys.path.insert(0, sys.argv[1]);"
                + " import squall_ref; squall_ref.read_safetensors(sys.argv[2])", Path.of("tools", "reference").toString(),
                ckpt.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertNotEquals(0, p.exitValue(), out);
        assertTrue(out.contains("fails its CRC32C check") && out.contains("tensor '"), out);
    }

    @Test
    void nonFiniteWeightsAreRefusedOnLoadNamingTheTensor() throws Exception {
        Path run = trained("nan", 4);
        rewrite(run.resolve("checkpoint.safetensors"), t -> t.get("layers.1.attn.wk")[7] = Float.NaN, m -> { }, true);
        Map<String, byte[]> before = snapshot(run);
        assertOneLine(run("eval", run.toString()), Main.BAD_INPUT, "layers.1.attn.wk", "NaN or infinite", "element 7");
        assertOneLine(run("train", "--out", run.toString(), "--resume", "--steps", "8"), Main.BAD_INPUT,
                "layers.1.attn.wk", "NaN or infinite");
        assertUnchanged(before, run);
    }

    @Test
    void badMetadataIsOneLineNamingFileKeyAndWhatWasExpected() throws Exception {
        Path run = trained("meta", 4);
        Path ckpt = run.resolve("checkpoint.safetensors");
        byte[] good = Files.readAllBytes(ckpt);
        // Checksummed but wrong: what a buggy writer would produce.
        rewrite(ckpt, t -> { }, m -> m.put("step", "12x"), true);
        assertOneLine(run("eval", run.toString()), Main.BAD_INPUT, ckpt.toString(), "'step'", "12x", "whole number");
        Files.write(ckpt, good);
        rewrite(ckpt, t -> { }, m -> m.put("model_config", m.get("model_config").replace("\"d_model\":32", "\"d_model\":\"x\"")), true);
        assertOneLine(run("eval", run.toString()), Main.BAD_INPUT, ckpt.toString(), "model_config", "d_model", "whole number");
        Files.write(ckpt, good);
        rewrite(ckpt, t -> { }, m -> m.put("data_state", "1,2,oops"), true);
        assertOneLine(run("eval", run.toString()), Main.BAD_INPUT, ckpt.toString(), "data_state", "two whole numbers");
        // Changed in place, checksum left as it was: the metadata checksum catches it.
        Files.write(ckpt, good);
        String text = new String(good, StandardCharsets.ISO_8859_1);
        byte[] edited = text.replace("\"step\":\"4\"", "\"step\":\"7\"").getBytes(StandardCharsets.ISO_8859_1);
        assertFalse(java.util.Arrays.equals(good, edited), "the step is not where the test expects it");
        Files.write(ckpt, edited);
        assertOneLine(run("eval", run.toString()), Main.BAD_INPUT, ckpt.toString(), "the metadata fails its CRC32C check");
    }

    @Test
    void aCheckpointWrittenBeforeChecksumsStillLoadsWithANotice() throws Exception {
        Path run = trained("old", 4);
        rewrite(run.resolve("checkpoint.safetensors"), t -> { }, m -> { }, false);
        Run eval = run("eval", run.toString());
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.err().contains("has no checksums") && eval.err().lines().count() == 1, eval.err());
        Run resumed = run("train", "--out", run.toString(), "--resume", "--steps", "6");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(SafeTensors.read(run.resolve("checkpoint.safetensors")).hasChecksums(), "the next save adds them");
    }

    // ---------------------------------------------------------------- eval on any text, generation

    @Test
    void evalTakesAnyTextAndReportsTheLossPerTokenAndByte() throws Exception {
        Path run = trained("eval", 6);
        Path foreign = dir.resolve("foreign.txt");
        Files.writeString(foreign, "Completely different text, of another length: 0123456789 ".repeat(37));
        Run all = run("eval", run.toString(), "--data", foreign.toString());
        assertEquals(0, all.code(), all.err());
        long total = (Files.size(foreign) - 1) / 32;
        assertTrue(all.out().matches("(?s).*step=6 loss=\\d+\\.\\d{6} loss_per_byte=\\d+\\.\\d{6} tokens=" + total * 32
                + " windows=" + total + " of " + total + " .*"), all.out());
        Run sample = run("eval", run.toString(), "--data", foreign.toString(), "--windows", "5");
        assertEquals(0, sample.code(), sample.err());
        assertTrue(sample.out().contains("tokens=160 windows=5 of " + total + " (evenly spaced sample)"), sample.out());
        // Without --data: the run's own data (recorded in the checkpoint), not the JDK's sources.
        Run own = run("eval", run.toString());
        assertEquals(0, own.code(), own.err());
        assertTrue(own.out().contains("val_loss=") && own.out().contains(corpus().toString()), own.out());
    }

    @Test
    void generationSettingsAreChecked() throws Exception {
        Path run = trained("gen", 2);
        assertOneLine(run("generate", run.toString(), "--temperature", "NaN"), Main.BAD_INPUT, "--temperature");
        assertOneLine(run("generate", run.toString(), "--temperature", "-1"), Main.BAD_INPUT, "--temperature");
        assertOneLine(run("generate", run.toString(), "--top-k", "300"), Main.BAD_INPUT, "--top-k", "256");
        assertOneLine(run("generate", run.toString(), "--max-tokens", "-1"), Main.BAD_INPUT, "--max-tokens");
        assertOneLine(run("generate", run.toString(), "--prompt", ""), Main.BAD_INPUT, "--prompt");
    }
}
