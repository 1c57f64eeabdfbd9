package dev.squall.matrix;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.jvm.JvmBackend;
import dev.squall.program.Stage;
import dev.squall.program.Task;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The kernel matrix on the JVM, and that it covers every task record the model can emit. */
class MatrixTest {

    static List<Cases.Shape> shapes() {
        List<Cases.Shape> all = new java.util.ArrayList<>(List.of(Cases.DEFAULT));
        all.addAll(Cases.ODD);
        return all;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void jvmPassesEveryCase(Cases.Shape shape) {
        List<Cell> cells = new MatrixRunner(1, null, null)
                .run(new MatrixRunner.Target("jvm/0", "jvm", JvmBackend::new), Cases.all(shape));
        String failures = cells.stream().filter(c -> !c.pass())
                .map(c -> c.kernel() + ": " + (c.message() != null ? c.message() : c.worst() + " " + c.error()))
                .collect(Collectors.joining("; "));
        assertEquals("", failures);
        assertTrue(cells.size() >= 30, "rows: " + cells.size());
        for (Cell c : cells) assertTrue(c.medianMs() >= 0 && c.firstMs() >= 0, c.kernel());
    }

    /** A new Task record (MoE, Muon, ...) must get a matrix case before this passes. */
    @Test
    void everyTaskRecordHasACase() {
        Set<Class<?>> covered = new HashSet<>();
        Set<Task.Summary> kinds = new HashSet<>();
        for (KernelCase c : Cases.all()) {
            for (Probe p : c.build().probes()) {
                for (Task t : p.stage().tasks) {
                    covered.add(t.getClass());
                    if (t instanceof Task.Summarize s) kinds.add(s.kind());
                }
            }
        }
        for (Class<?> k : records(Task.class)) {
            assertTrue(covered.contains(k), "no matrix case runs Task." + k.getSimpleName() + ": add one to dev.squall.matrix.Cases");
        }
        assertEquals(Set.of(Task.Summary.values()), kinds, "every Summarize kind");
    }

    @Test
    void everyOutputIsCheckedAndEveryRowNameIsUnique() {
        Set<String> names = new HashSet<>();
        for (KernelCase c : Cases.all()) {
            for (Probe p : c.build().probes()) {
                assertTrue(names.add(p.kernel()), "duplicate row " + p.kernel());
                assertFalse(p.expects().isEmpty(), p.kernel());
                for (Expect e : p.expects()) assertFalse(e.why().isBlank(), p.kernel() + " " + e.buffer().name);
            }
        }
    }

    @Test
    void elementwiseErrorUsesTheFloorAndNaNFails() {
        Expect e = Expect.elementwise(dev.squall.program.Buffer.floats("x", dev.squall.program.Buffer.Role.OUTPUT, 2),
                new double[] {1, 0}, 1e-3, "test");
        // rms(ref) = sqrt(0.5), floor = 0.1 * 0.707: 1e-4 / 0.0707 = 0.001414
        assertEquals(0.001414, e.error(new float[] {1, 1e-4f}), 1e-5);
        assertEquals(Double.POSITIVE_INFINITY, e.error(new float[] {1, Float.NaN}));
    }

    @Test
    void intOutputsCountMismatches() {
        var b = dev.squall.program.Buffer.ints("idx", dev.squall.program.Buffer.Role.OUTPUT, 3);
        Expect e = Expect.exactInts(b, new int[] {2, 0, 5}, "test");
        b.i[0] = 2;
        b.i[1] = 1;
        b.i[2] = -1;
        assertEquals(2, e.error(b));
        b.i[1] = 0;
        b.i[2] = 5;
        assertEquals(0, e.error(b));
    }

    @Test
    void stagesAreRegisteredInTheProgram() {
        // A device backend may build its graphs at load() from the program's stage lists.
        for (KernelCase c : Cases.all()) {
            KernelCase.Built b = c.build();
            for (Probe p : b.probes()) {
                Stage s = p.stage();
                assertTrue(b.program().forward.contains(s) || b.program().backward.contains(s), p.kernel());
            }
        }
    }

    /** The records under a sealed interface, through its sealed families. */
    static java.util.List<Class<?>> records(Class<?> sealed) {
        java.util.List<Class<?>> out = new java.util.ArrayList<>();
        for (Class<?> k : sealed.getPermittedSubclasses()) {
            if (k.isRecord()) out.add(k);
            else out.addAll(records(k));
        }
        return out;
    }
}
