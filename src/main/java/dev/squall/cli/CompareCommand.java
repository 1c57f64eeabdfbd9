package dev.squall.cli;

import dev.squall.io.Json;
import dev.squall.model.ConfigException;
import dev.squall.plot.LineChart;
import dev.squall.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * One number per run against one configuration key, across many runs: the sweeps behind
 * "does the optimum learning rate move with width" or "does the FFN output RMS stay flat across
 * granularity" (SPEC §6.5, §6.6) are a plot of exactly this.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Compare finished runs: x from a configuration key, y from summary.json or, for a",
                "metrics.jsonl key, its mean over the last --tail fraction of the steps; one line per",
                "value of --group. Prints a Markdown table; writes a PNG and a CSV beside it.", ""})
final class CompareCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", arity = "1..*", description = "Directories written by squall train.")
    List<Path> runDirs;

    @Option(names = "--x", paramLabel = "KEY", required = true,
            description = "A numeric configuration key (squall info lists them), e.g. lr, d_model, top_k.")
    String xKey;

    @Option(names = "--y", paramLabel = "KEY", required = true,
            description = "A summary.json key (val_loss, loss, tokens_per_s) or a metrics.jsonl key (layer0.ffn_out_rms).")
    String yKey;

    @Option(names = "--group", paramLabel = "KEY", description = "A configuration key; one line per value (e.g. d_model, router).")
    String groupKey;

    @Option(names = "--log-x", description = "Logarithmic x axis.")
    boolean logX;

    @Option(names = "--y-max", paramLabel = "V",
            description = "Leave points above V out of the plot (the title counts them; table and CSV keep them), "
                    + "so one blown-up run does not flatten the rest.")
    Double yMax;

    @Option(names = "--tail", paramLabel = "F", defaultValue = "0.2",
            description = "Fraction of the last steps a metrics.jsonl key is averaged over (default: ${DEFAULT-VALUE}).")
    double tail;

    @Option(names = "--out", paramLabel = "FILE.png", defaultValue = "compare.png",
            description = "The plot; the CSV goes beside it with the same name (default: ${DEFAULT-VALUE}).")
    Path out;

    /** One run reduced to its point; y is NaN for a run that did not finish (diverged, or still going). */
    record Point(Path run, String group, double x, double y, String note) {}

    @Override
    public Integer call() throws IOException {
        if (!(tail > 0 && tail <= 1)) throw new ConfigException("--tail: must be in (0, 1], got " + tail);
        if (!out.getFileName().toString().endsWith(".png")) {
            throw new ConfigException("--out: expected a .png file name, got " + out);
        }
        List<Point> points = new ArrayList<>();
        for (Path run : runDirs) points.add(point(run, xKey, yKey, groupKey, tail));
        if (points.stream().allMatch(p -> Double.isNaN(p.y))) {
            throw new ConfigException("--y " + yKey + ": no run has a value (every run is unfinished or lacks it)");
        }
        for (Point p : points) if (p.note != null) System.err.println("squall: " + p.run + ": " + p.note);
        Map<String, List<Point>> groups = groups(points);

        Path png = out.toAbsolutePath();
        if (png.getParent() != null) Files.createDirectories(png.getParent());
        int above = 0;
        List<double[][]> drawn = new ArrayList<>();
        for (List<Point> ps : groups.values()) {
            double[] x = new double[ps.size()], y = new double[ps.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = ps.get(i).x;
                y[i] = ps.get(i).y;
                if (yMax != null && y[i] > yMax) {
                    y[i] = Double.NaN;
                    above++;
                }
            }
            drawn.add(new double[][] {x, y});
        }
        String title = yKey + " against " + xKey
                + (above > 0 ? " (" + above + (above == 1 ? " point" : " points") + " above " + fmt(yMax) + " not drawn)" : "");
        LineChart plot = new LineChart(title, xKey, yKey).logX(logX).markers(true);
        int gi = 0;
        for (String g : groups.keySet()) {
            double[][] xy = drawn.get(gi++);
            plot.series(groupKey == null ? yKey : groupKey + "=" + g, xy[0], xy[1]);
        }
        plot.save(png, 900, 540);
        Path csv = png.resolveSibling(png.getFileName().toString().replaceFirst("\\.png$", ".csv"));
        Files.writeString(csv, csv(points));
        System.out.print(table(groups));
        System.out.println("wrote " + out);
        System.out.println("wrote " + out.resolveSibling(csv.getFileName()));
        return 0;
    }

    // ---------------------------------------------------------------- reading runs

    static Point point(Path run, String xKey, String yKey, String groupKey, double tail) throws IOException {
        Map<String, Object> config = readJson(run, "config.json");
        Object xv = configValue(run, config, xKey);
        if (!(xv instanceof Number xn)) {
            throw new ConfigException(run + ": --x " + xKey + " is " + xv + ", not a number; pick a numeric key");
        }
        String group = groupKey == null ? "" : String.valueOf(configValue(run, config, groupKey));
        Path summaryFile = run.resolve("summary.json");
        Map<String, Object> summary = Files.exists(summaryFile) ? readJson(run, "summary.json") : null;
        if (summary != null && summary.containsKey(yKey)) {
            Object v = summary.get(yKey);
            if (v instanceof Number n) return new Point(run, group, xn.doubleValue(), n.doubleValue(), null);
            if (v == null) return new Point(run, group, xn.doubleValue(), Double.NaN, yKey + " is not finite in summary.json");
            throw new ConfigException(run + ": summary.json " + yKey + " is " + v + ", not a number");
        }
        if (summary == null) {
            return new Point(run, group, xn.doubleValue(), Double.NaN,
                    "no summary.json (the run diverged or has not finished), so no " + yKey);
        }
        if (!Files.exists(run.resolve(MetricsLog.FILE))) {
            throw new ConfigException(run + ": no " + yKey + " in summary.json and no " + MetricsLog.FILE);
        }
        double y = tailMean(MetricsLog.read(run), yKey, tail);
        if (Double.isNaN(y)) {
            throw new ConfigException(run + ": --y " + yKey + " is in neither summary.json (keys: "
                    + String.join(", ", summary.keySet()) + ") nor " + MetricsLog.FILE);
        }
        return new Point(run, group, xn.doubleValue(), y, null);
    }

    /**
     * The mean of {@code key} over the step lines of the last {@code tail} of the run's steps (at
     * least one line): a single last value of a per-step statistic is mostly batch noise. NaN when
     * no line has the key.
     */
    static double tailMean(List<Map<String, Object>> rows, String key, double tail) {
        double lastStep = Double.NEGATIVE_INFINITY;
        for (Map<String, Object> r : rows) {
            if (r.get(key) instanceof Number && r.get("step") instanceof Number s) lastStep = Math.max(lastStep, s.doubleValue());
        }
        if (lastStep == Double.NEGATIVE_INFINITY) return Double.NaN;
        double from = lastStep * (1 - tail);
        double sum = 0;
        int n = 0;
        for (Map<String, Object> r : rows) {
            if (r.get(key) instanceof Number v && r.get("step") instanceof Number s
                    && (s.doubleValue() > from || s.doubleValue() == lastStep)) {
                sum += v.doubleValue();
                n++;
            }
        }
        return sum / n;
    }

    /** A key of config.json's model or train section (or its top level, e.g. backend). */
    @SuppressWarnings("unchecked")
    static Object configValue(Path run, Map<String, Object> config, String key) {
        for (String section : new String[] {"model", "train"}) {
            if (config.get(section) instanceof Map<?, ?> m && m.containsKey(key)) return ((Map<String, Object>) m).get(key);
        }
        if (config.containsKey(key) && !(config.get(key) instanceof Map)) return config.get(key);
        TreeSet<String> keys = new TreeSet<>();
        for (String section : new String[] {"model", "train"}) {
            if (config.get(section) instanceof Map<?, ?> m) for (Object k : m.keySet()) keys.add(String.valueOf(k));
        }
        throw new ConfigException(run + ": no configuration key '" + key + "' in config.json; keys: " + String.join(", ", keys));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readJson(Path run, String name) throws IOException {
        if (!Files.isDirectory(run)) throw new ConfigException(run + ": no such run directory");
        Path f = run.resolve(name);
        if (!Files.exists(f)) throw new ConfigException(run + " has no " + name + "; pass directories written by squall train");
        if (!(Json.parse(Files.readString(f), f.toString()) instanceof Map<?, ?> m)) {
            throw new ConfigException(f + ": expected a JSON object");
        }
        return (Map<String, Object>) m;
    }

    // ---------------------------------------------------------------- output

    /** Points by group (numeric groups in numeric order), each sorted by x. */
    static Map<String, List<Point>> groups(List<Point> points) {
        List<String> names = points.stream().map(Point::group).distinct().sorted(GROUP_ORDER).toList();
        Map<String, List<Point>> groups = new LinkedHashMap<>();
        for (String name : names) {
            groups.put(name, points.stream().filter(p -> p.group.equals(name))
                    .sorted(Comparator.comparingDouble(Point::x)).toList());
        }
        return groups;
    }

    private static final Comparator<String> GROUP_ORDER = (a, b) -> {
        Double da = number(a), db = number(b);
        if (da != null && db != null) return Double.compare(da, db);
        if (da != null) return -1;
        if (db != null) return 1;
        return a.compareTo(b);
    };

    private static Double number(String s) {
        try {
            return Double.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Rows are the x values, columns the groups; the last row names the x of each group's lowest y. */
    String table(Map<String, List<Point>> groups) {
        TreeSet<Double> xs = new TreeSet<>();
        for (List<Point> ps : groups.values()) for (Point p : ps) xs.add(p.x);
        StringBuilder sb = new StringBuilder("| " + xKey + " |");
        for (String g : groups.keySet()) sb.append(' ').append(groupKey == null ? yKey : groupKey + "=" + g).append(" |");
        sb.append("\n|---|");
        sb.append("---|".repeat(groups.size())).append('\n');
        for (double x : xs) {
            sb.append("| ").append(fmt(x)).append(" |");
            for (List<Point> ps : groups.values()) {
                StringBuilder cell = new StringBuilder();
                for (Point p : ps) {
                    if (p.x != x) continue;
                    if (!cell.isEmpty()) cell.append(", ");
                    cell.append(Double.isNaN(p.y) ? "n/a" : fmt(p.y));
                }
                sb.append(' ').append(cell.isEmpty() ? "" : cell).append(" |");
            }
            sb.append('\n');
        }
        sb.append("| lowest at |");
        for (List<Point> ps : groups.values()) {
            Point best = null;
            for (Point p : ps) if (!Double.isNaN(p.y) && (best == null || p.y < best.y)) best = p;
            sb.append(' ').append(best == null ? "n/a" : xKey + "=" + fmt(best.x)).append(" |");
        }
        return sb.append('\n').toString();
    }

    String csv(List<Point> points) {
        StringBuilder sb = new StringBuilder("run,").append(groupKey == null ? "group" : groupKey).append(',')
                .append(xKey).append(',').append(yKey).append('\n');
        for (Map.Entry<String, List<Point>> g : groups(points).entrySet()) {
            for (Point p : g.getValue()) {
                sb.append(csvField(p.run.toString())).append(',').append(csvField(p.group)).append(',')
                        .append(p.x).append(',').append(Double.isNaN(p.y) ? "" : Double.toString(p.y)).append('\n');
            }
        }
        return sb.toString();
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /** Five significant digits: enough to tell neighbouring losses of a sweep apart. */
    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return Long.toString((long) v);
        String s = String.format(Locale.ROOT, "%.5g", v);
        if (s.contains("e")) return s;
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
