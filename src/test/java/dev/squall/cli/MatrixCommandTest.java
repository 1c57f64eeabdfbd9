package dev.squall.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.io.Json;
import dev.squall.jvm.JvmBackend;
import dev.squall.matrix.Cases;
import dev.squall.matrix.MatrixRunner.Target;
import dev.squall.program.Backend;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** squall matrix: exit codes, failing and throwing backends, the JSON it writes. */
class MatrixCommandTest {
    @TempDir Path dir;

    /** The JVM backend, except that after stages matching {@code hit} it corrupts or throws. */
    static final class FaultyBackend implements Backend {
        final JvmBackend jvm = new JvmBackend();
        final Predicate<Task> hit;
        final boolean throwInstead;

        FaultyBackend(Predicate<Task> hit, boolean throwInstead) {
            this.hit = hit;
            this.throwInstead = throwInstead;
        }

        @Override public String name() { return "faulty"; }

        @Override public void load(StepProgram program) { jvm.load(program); }

        @Override public void run(Stage stage) {
            for (Task t : stage.tasks) {
                if (!hit.test(t)) continue;
                if (throwInstead) throw new IllegalStateException("kernel failed to compile\nsecond line not shown");
            }
            jvm.run(stage);
            for (Task t : stage.tasks) if (hit.test(t)) t.buffers()[0].f[7] += 1e-3f; // first buffer is the output
        }

        @Override public void download(Buffer... buffers) {}

        @Override public void upload(Buffer... buffers) {}
    }

    record Result(int code, String out, String err) {}

    Result run(List<Target> targets, List<String> notRun, Pattern kernels) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = MatrixCommand.run(targets, notRun, Cases.all(), 1, kernels, dir, new PrintStream(out, true),
                new PrintStream(err, true), true);
        return new Result(code, out.toString(), err.toString());
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cells(Path dir) throws Exception {
        Map<String, Object> root = (Map<String, Object>) Json.parse(dir.resolve("matrix.json"));
        return (List<Map<String, Object>>) root.get("cells");
    }

    static List<String> failing(List<Map<String, Object>> cells) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> c : cells) if (!(Boolean) c.get("pass")) out.add(c.get("device") + " " + c.get("kernel"));
        return out;
    }

    @Test
    void corruptedOutputFailsExactlyThatKernel() throws Exception {
        Target jvm = new Target("jvm/0", "jvm", JvmBackend::new);
        Target bad = new Target("faulty/0", "corrupts RmsNorm",
                () -> new FaultyBackend(t -> t instanceof Task.RmsNormForward, false));
        Result r = run(List.of(jvm, bad), List.of(), null);
        assertEquals(1, r.code(), r.out());
        List<Map<String, Object>> cells = cells(dir);
        int rows = cells.size() / 2;
        assertEquals(2 * rows, cells.size());
        assertEquals(List.of("faulty/0 rmsnorm.fwd"), failing(cells));
        assertTrue(r.out().contains("FAIL rmsnorm.fwd on faulty/0: out error"), r.out());
        assertTrue(r.out().strip().endsWith("matrix: " + (2 * rows - 1) + "/" + 2 * rows + " cells pass on 2 devices"), r.out());
        assertTrue(r.err().contains("faulty/0   rmsnorm.fwd            FAIL"), r.err());
    }

    @Test
    void throwingKernelFailsWithItsMessageAndTheRunGoesOn() throws Exception {
        Target bad = new Target("faulty/0", "throws on attention",
                () -> new FaultyBackend(t -> t instanceof Task.AttentionForward, true));
        // attention.fwd throws; the rows after it (decode, adamw) must still run.
        Result r = run(List.of(bad), List.of("tornado: TornadoVM devices not run: test"), Pattern.compile("attention|adamw"));
        assertEquals(1, r.code());
        List<Map<String, Object>> cells = cells(dir);
        assertEquals(List.of("faulty/0 attention.fwd"), failing(cells));
        Map<String, Object> att = cells.stream().filter(c -> c.get("kernel").equals("attention.fwd")).findFirst().orElseThrow();
        assertEquals("IllegalStateException: kernel failed to compile", att.get("message"));
        assertNull(att.get("error"));
        // the rows after the throwing one still ran
        assertTrue(cells.stream().anyMatch(c -> c.get("kernel").equals("adamw") && (Boolean) c.get("pass")));
        assertTrue(r.out().contains("tornado: TornadoVM devices not run: test"), r.out());
        assertTrue(r.err().contains("matrix: tornado: TornadoVM devices not run: test"), r.err());
    }

    @Test
    void commandLineOnTheJvm() throws Exception {
        Path out = dir.resolve("m");
        CliTest.Run r = CliTest.run("matrix", "--repeat", "2", "--kernels", "^(rmsnorm|residual)\\.", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().strip().endsWith("matrix: 4/4 cells pass on 1 device"), r.out());
        // No TornadoVM provider on the test class path: said, never silent.
        assertTrue(r.out().contains("TornadoVM devices not run"), r.out());
        List<Map<String, Object>> cells = cells(out);
        assertEquals(4, cells.size());
        for (Map<String, Object> c : cells) {
            assertEquals("jvm/0", c.get("device"));
            assertTrue(((Number) c.get("median_ms")).doubleValue() >= 0);
            assertTrue(((Number) c.get("first_ms")).doubleValue() >= 0);
        }
        String md = java.nio.file.Files.readString(out.resolve("matrix.md"));
        assertTrue(md.contains("| rmsnorm.fwd |"), md);

        assertEquals(1, CliTest.run("matrix", "--backend", "tornado", "--out", out.toString()).code());
        assertEquals(1, CliTest.run("matrix", "--backend", "jvm", "--device", "3", "--out", out.toString()).code());
        assertEquals(1, CliTest.run("matrix", "--kernels", "nothing-matches", "--out", out.toString()).code());
    }
}
