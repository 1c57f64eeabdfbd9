package dev.squall.cli;

import dev.squall.jvm.JvmBackend;
import dev.squall.matrix.Cases;
import dev.squall.matrix.Cell;
import dev.squall.matrix.KernelCase;
import dev.squall.matrix.MatrixReport;
import dev.squall.matrix.MatrixRunner;
import dev.squall.matrix.MatrixRunner.Target;
import dev.squall.model.ConfigException;
import dev.squall.program.BackendProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "matrix", mixinStandardHelpOptions = true,
        description = "Every kernel, forward and backward, on every backend and device against the double-precision "
                + "references: max relative error, pass/FAIL against each kernel's tolerance, median time. Writes "
                + "matrix.json and matrix.md; exit code 0 when every cell passes, else 1.")
final class MatrixCommand implements Callable<Integer> {
    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "all", description = "jvm | tornado | all (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--device", paramLabel = "N", defaultValue = "all",
            description = "Device index as squall info lists them, or all (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--repeat", paramLabel = "R", defaultValue = "5", description = "Timed runs per cell after one warm-up (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/matrix", description = "Where matrix.json and matrix.md go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--kernels", paramLabel = "REGEX", description = "Only the kernels whose name contains a match, e.g. 'norm|attention'.")
    String kernels;

    @Override
    public Integer call() throws IOException {
        Pattern filter;
        try {
            filter = kernels == null ? null : Pattern.compile(kernels);
        } catch (PatternSyntaxException e) {
            throw new ConfigException("--kernels: not a regular expression: " + e.getDescription());
        }
        Integer deviceIndex = device.equals("all") ? null : parseDevice(device);
        List<String> notRun = new ArrayList<>();
        List<Target> targets = targets(backend, deviceIndex, notRun);
        return run(targets, notRun, Cases.all(), repeat, filter, out, System.out, System.err, System.console() != null);
    }

    private static int parseDevice(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new ConfigException("--device: expected a device index or all, got '" + s + "'");
        }
    }

    /** The devices to run; each backend that is skipped adds its one-line reason to notRun. */
    static List<Target> targets(String backend, Integer device, List<String> notRun) {
        boolean all = backend.equals("all");
        List<Target> targets = new ArrayList<>();
        boolean known = all || backend.equals("jvm");
        if (all || backend.equals("jvm")) {
            if (device == null || device == 0) {
                String label = new JvmBackend().name();
                targets.add(new Target("jvm/0", label, JvmBackend::new));
            } else if (!all) {
                throw new ConfigException("--device: the jvm backend has one device (0), got " + device);
            } else {
                notRun.add("jvm: not run: it has one device (0), --device " + device + " was asked");
            }
        }
        boolean tornado = false;
        for (BackendProvider p : BackendProvider.installed()) {
            tornado |= p.name().equals("tornado");
            if (!all && !backend.equals(p.name())) continue;
            known = true;
            List<String> devices;
            try {
                devices = p.devices();
            } catch (RuntimeException e) {
                if (!all) throw new ConfigException("--backend " + p.name() + ": unusable: " + e.getMessage());
                notRun.add(p.name() + ": devices not run: " + e.getMessage());
                continue;
            }
            if (device != null && (device < 0 || device >= devices.size())) {
                String msg = p.name() + " has " + devices.size() + " device(s), --device " + device + " was asked";
                if (!all) throw new ConfigException("--device: " + msg);
                notRun.add(p.name() + ": not run: " + msg);
                continue;
            }
            for (int i = 0; i < devices.size(); i++) {
                if (device != null && device != i) continue;
                int index = i;
                targets.add(new Target(p.name() + "/" + i, devices.get(i), () -> p.create(index)));
            }
        }
        if (!tornado && (all || backend.equals("tornado"))) {
            if (!all) Backends.provider("tornado"); // throws with the setup instructions
            notRun.add("tornado: TornadoVM devices not run: the TornadoVM backend is not on the class path "
                    + "(./setup-tornado.sh sets up an SDK; ./squall then adds it)");
        }
        if (!known) Backends.provider(backend); // throws: unknown backend
        if (targets.isEmpty()) throw new ConfigException("matrix: no device to run: " + String.join("; ", notRun));
        return targets;
    }

    /** Runs the matrix on the targets, prints the table and summary, writes the files; returns the exit code. */
    static int run(List<Target> targets, List<String> notRun, List<KernelCase> cases, int repeat, Pattern filter,
                   Path outDir, PrintStream out, PrintStream err, boolean console) throws IOException {
        MatrixRunner probe = new MatrixRunner(repeat, filter, null);
        int rows = probe.rowNames(cases).size();
        if (rows == 0) throw new ConfigException("--kernels: no kernel matches '" + filter + "'");
        int total = rows * targets.size();
        for (String s : notRun) err.println("matrix: " + s);
        int[] done = {0};
        MatrixRunner runner = new MatrixRunner(repeat, filter, c -> {
            done[0]++;
            if (console) {
                err.printf(Locale.ROOT, "matrix: [%d/%d] %-10s %-22s %s%n", done[0], total, c.device(), c.kernel(),
                        c.pass() ? "pass" : "FAIL" + (c.message() != null ? ": " + c.message() : ""));
            }
        });
        Map<String, String> devices = new LinkedHashMap<>();
        List<Cell> cells = new ArrayList<>();
        for (Target t : targets) {
            devices.put(t.id(), t.label());
            cells.addAll(runner.run(t, cases));
        }
        MatrixReport report = new MatrixReport(devices, cells, notRun, repeat);
        out.print(report.table());
        Files.createDirectories(outDir);
        Files.writeString(outDir.resolve("matrix.json"), report.json());
        Files.writeString(outDir.resolve("matrix.md"), report.markdown());
        out.println("wrote " + outDir.resolve("matrix.json") + " and " + outDir.resolve("matrix.md"));
        out.println(report.summary());
        return report.allPass() ? 0 : 1;
    }
}
