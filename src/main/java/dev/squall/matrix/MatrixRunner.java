package dev.squall.matrix;

import dev.squall.program.Backend;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Runs every kernel case on one device through nothing but the {@link Backend} interface: load the
 * case's program, upload, run a stage, download, compare with the double references. A case whose
 * program does not load or whose stage throws fails its cells with the exception's message, and the
 * run goes on with the next cell.
 */
public final class MatrixRunner {

    /** A device to run on: "jvm/0", "tornado/1", ... and a fresh backend per case (load is once per program). */
    public record Target(String id, String label, Supplier<Backend> backend) {}

    private final int repeat;
    private final Pattern kernels;
    private final Consumer<Cell> progress;

    public MatrixRunner(int repeat, Pattern kernels, Consumer<Cell> progress) {
        if (repeat < 1) throw new IllegalArgumentException("--repeat must be at least 1, got " + repeat);
        this.repeat = repeat;
        this.kernels = kernels;
        this.progress = progress;
    }

    /** The rows the filter keeps, in case order, without building any program. */
    public List<String> rowNames(List<KernelCase> cases) {
        List<String> out = new ArrayList<>();
        for (KernelCase c : cases) for (Probe p : c.build().probes()) if (selected(p.kernel())) out.add(p.kernel());
        return out;
    }

    public List<Cell> run(Target target, List<KernelCase> cases) {
        List<Cell> cells = new ArrayList<>();
        for (KernelCase c : cases) {
            KernelCase.Built built = c.build();
            List<Probe> probes = built.probes().stream().filter(p -> selected(p.kernel())).toList();
            if (probes.isEmpty()) continue;
            runCase(target, built.program(), probes, cells);
        }
        return cells;
    }

    private boolean selected(String kernel) { return kernels == null || kernels.matcher(kernel).find(); }

    private void runCase(Target target, StepProgram program, List<Probe> probes, List<Cell> cells) {
        Map<Buffer, Object> initial = snapshot(program);
        Backend backend;
        try {
            backend = target.backend().get();
            backend.load(program);
        } catch (Throwable e) {
            rethrowFatal(e);
            for (Probe p : probes) add(cells, failed(p, target, "load: " + oneLine(e)));
            return;
        }
        try (backend) {
            for (Probe p : probes) {
                Cell cell;
                try {
                    cell = measure(backend, target, p, initial);
                } catch (Throwable e) {
                    rethrowFatal(e);
                    cell = failed(p, target, oneLine(e));
                }
                add(cells, cell);
            }
        } catch (Throwable e) {
            rethrowFatal(e); // a failing close() is not a kernel failure; the cells are already recorded
        }
    }

    private void add(List<Cell> cells, Cell c) {
        cells.add(c);
        if (progress != null) progress.accept(c);
    }

    private Cell measure(Backend backend, Target target, Probe p, Map<Buffer, Object> initial) {
        Buffer[] touched = touched(p.stage());
        double first = timedRun(backend, p.stage(), touched, initial);
        double[] ms = new double[repeat];
        for (int r = 0; r < repeat; r++) ms[r] = timedRun(backend, p.stage(), touched, initial);
        Arrays.sort(ms);
        double median = repeat % 2 == 1 ? ms[repeat / 2] : (ms[repeat / 2 - 1] + ms[repeat / 2]) / 2;
        Buffer[] outs = p.expects().stream().map(Expect::buffer).toArray(Buffer[]::new);
        backend.download(outs);
        List<Cell.Output> outputs = new ArrayList<>();
        Cell.Output worst = null;
        for (Expect e : p.expects()) {
            double err = e.error(e.buffer());
            Cell.Output o = new Cell.Output(e.buffer().name, e.metric().label, e.tol(), err, err <= e.tol(), e.why());
            outputs.add(o);
            if (worst == null || badness(o) > badness(worst)) worst = o;
        }
        boolean pass = outputs.stream().allMatch(Cell.Output::pass);
        return new Cell(p.kernel(), target.id(), pass, worst.error(), worst.tol(), worst.metric(), worst.name(), first,
                median, null, outputs);
    }

    /** How close an output is to its tolerance (above 1 fails); an exact tolerance ranks by the error itself. */
    private static double badness(Cell.Output o) {
        if (!(o.error() <= Double.MAX_VALUE)) return Double.POSITIVE_INFINITY;
        return o.tol() > 0 ? o.error() / o.tol() : (o.error() > 0 ? Double.POSITIVE_INFINITY : 0);
    }

    /**
     * Every run starts from the case's initial state: the stage overwrites or accumulates into some
     * of its buffers, so all of them are restored on the host and uploaded first (not timed).
     */
    private static double timedRun(Backend backend, Stage stage, Buffer[] touched, Map<Buffer, Object> initial) {
        for (Buffer b : touched) restore(b, initial.get(b));
        backend.upload(touched);
        long t0 = System.nanoTime();
        backend.run(stage);
        return (System.nanoTime() - t0) / 1e6;
    }

    private static Buffer[] touched(Stage stage) {
        Set<Buffer> set = new LinkedHashSet<>();
        for (Task t : stage.tasks) for (Buffer b : t.buffers()) if (b != null) set.add(b);
        return set.toArray(Buffer[]::new);
    }

    private static Map<Buffer, Object> snapshot(StepProgram program) {
        Map<Buffer, Object> m = new IdentityHashMap<>();
        for (Buffer b : program.buffers().values()) m.put(b, b.f != null ? b.f.clone() : b.i.clone());
        return m;
    }

    private static void restore(Buffer b, Object saved) {
        if (b.f != null) System.arraycopy((float[]) saved, 0, b.f, 0, b.f.length);
        else System.arraycopy((int[]) saved, 0, b.i, 0, b.i.length);
    }

    private static Cell failed(Probe p, Target target, String message) {
        return new Cell(p.kernel(), target.id(), false, Double.NaN, p.expects().getFirst().tol(),
                p.expects().getFirst().metric().label, null, Double.NaN, Double.NaN, message, List.of());
    }

    /** The exception's class and first message line: what a table cell can hold. */
    static String oneLine(Throwable e) {
        String msg = e.getMessage();
        if (msg == null && e.getCause() != null) return oneLine(e.getCause());
        String first = msg == null ? "" : msg.strip().lines().findFirst().orElse("");
        return e.getClass().getSimpleName() + (first.isEmpty() ? "" : ": " + first);
    }

    private static void rethrowFatal(Throwable e) {
        if (e instanceof VirtualMachineError v) throw v;
    }
}
