package dev.squall.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it: train, resume, eval, generate, plot, info, and its errors. */
class CliTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            int code = Main.run(args);
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    Path corpus() throws Exception {
        Path f = dir.resolve("text.txt");
        Files.writeString(f, "hello squall, hello world. ".repeat(400));
        return f;
    }

    String[] tiny(Path run, String... more) throws Exception {
        String[] base = {"train", "--preset", "tiny", "--data", corpus().toString(), "--out", run.toString(),
                "--set", "seq_len=32", "--set", "d_model=32", "--set", "eval_every=5", "--set", "eval_batches=2"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void trainThenResumeThenEvalGeneratePlot() throws Exception {
        Path runDir = dir.resolve("run");
        Run r = run(tiny(runDir, "--steps", "6"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*val_loss=[0-9.]+.*tokens_per_s=[0-9]+.*"), r.out());
        for (String f : new String[] {"config.json", "metrics.jsonl", "checkpoint.safetensors", "summary.json", "loss.png"}) {
            assertTrue(Files.exists(runDir.resolve(f)), f);
        }

        Run again = run(tiny(runDir, "--steps", "6"));
        assertEquals(Main.BAD_INPUT, again.code());
        assertTrue(again.err().contains("--resume"), again.err());

        Run resumed = run(tiny(runDir, "--steps", "10", "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resumed") && resumed.out().contains("steps=10"), resumed.out());
        @SuppressWarnings("unchecked")
        Map<String, Object> summary = (Map<String, Object>) Json.parse(Files.readString(runDir.resolve("summary.json")));
        assertEquals(10L, summary.get("steps"));
        long stepLines = Files.readAllLines(runDir.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count();
        assertEquals(10, stepLines, "one metrics line per step across the resume");

        Run eval = run("eval", runDir.toString(), "--data", corpus().toString(), "--batches", "2");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().matches("(?s).*step=10 loss=[0-9.]+ loss_per_byte=[0-9.]+ tokens=\\d+.*"), eval.out());

        Run gen = run("generate", runDir.toString(), "--prompt", "hello", "--max-tokens", "20", "--temperature", "0");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().startsWith("hello") && gen.out().strip().length() >= 20, gen.out());

        Run plot = run("plot", runDir.toString());
        assertEquals(0, plot.code(), plot.err());
        assertTrue(Files.size(runDir.resolve("stability.png")) > 1000);
    }

    /**
     * Resume across processes: a new JVM starts cold (interpreted code) where the straight run is
     * already compiled, so this also proves the kernels give the same bits either way.
     */
    @Test
    void resumeInANewProcessIsBitExact() throws Exception {
        Path straight = dir.resolve("straight"), split = dir.resolve("split");
        assertEquals(0, process(tiny(straight, "--steps", "12")));
        assertEquals(0, process(tiny(split, "--steps", "6")));
        assertEquals(0, process(tiny(split, "--steps", "12", "--resume")));
        assertEquals(losses(straight), losses(split));
    }

    static int process(String... args) throws Exception {
        return start(args).waitFor();
    }

    static Process start(String... args) throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(javaBin, "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(java.util.List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Ctrl-C (SIGINT) in the middle of a run: a checkpoint of the last finished step, then exit. */
    @Test
    void ctrlCSavesACheckpointThenExits() throws Exception {
        Path runDir = dir.resolve("interrupted");
        Process p = start(tiny(runDir, "--steps", "100000"));
        Path metrics = runDir.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!(Files.exists(metrics) && Files.readAllLines(metrics).size() >= 4) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(metrics), "the run did not start within a minute");
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the run did not stop after Ctrl-C");
        assertNotEquals(0, p.exitValue());
        dev.squall.io.SafeTensors st = dev.squall.io.SafeTensors.read(runDir.resolve("checkpoint.safetensors"));
        int step = Integer.parseInt(st.metadata().get("step"));
        assertTrue(step >= 3 && step < 100000, "checkpoint at step " + step);
        assertEquals(0, process(tiny(runDir, "--steps", Integer.toString(step + 2), "--resume")), "resumes after Ctrl-C");
    }

    static java.util.List<String> losses(Path runDir) throws Exception {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(line);
            if (m.containsKey("loss")) out.add(m.get("step") + ":" + m.get("loss") + ":" + m.get("grad_norm"));
        }
        return out;
    }

    @Test
    void badConfigurationIsOneLineNamingTheField() throws Exception {
        Supplier<String[]> args = () -> new String[] {"train", "--preset", "tiny", "--set", "n_heads=3"};
        Run r = run(args.get());
        assertEquals(Main.BAD_INPUT, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("d_model") && r.err().contains("n_heads"), r.err());

        Run norm = run("train", "--norm", "groupnorm");
        assertEquals(Main.BAD_INPUT, norm.code());
        assertTrue(norm.err().contains("groupnorm") && norm.err().contains("layernorm"), norm.err());
    }

    @Test
    void missingDataIsOneLine() throws Exception {
        Run r = run("train", "--preset", "tiny", "--data", dir.resolve("nope.txt").toString(), "--out", dir.resolve("x").toString());
        assertEquals(Main.BAD_INPUT, r.code());
        assertTrue(r.err().contains("nope.txt") && r.err().contains("--data"), r.err());
        assertFalse(Files.exists(dir.resolve("x").resolve("checkpoint.safetensors")));
    }

    @Test
    void infoPrintsParametersAndFlops() {
        Run r = run("info", "--preset", "tiny");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("parameters:") && r.out().contains("flops_per_token"), r.out());
    }

    @Test
    void helpDocumentsEveryTrainFlag() {
        Run r = run("train", "--help");
        for (String flag : new String[] {"--preset", "--config", "--data", "--steps", "--out", "--backend", "--norm",
                "--placement", "--attn-norm", "--seed", "--resume", "--set"}) {
            assertTrue(r.out().contains(flag), flag);
        }
    }
}
