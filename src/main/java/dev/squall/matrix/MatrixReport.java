package dev.squall.matrix;

import dev.squall.io.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The matrix as a console table, Markdown and JSON: one row per kernel, one column per device,
 * each cell the error of the output nearest its tolerance, pass or FAIL, and the median time.
 *
 * @param devices  "id" to human-readable label, in run order
 * @param notRun   one line per backend whose devices were not run, and why
 */
public record MatrixReport(Map<String, String> devices, List<Cell> cells, List<String> notRun, int repeat) {

    public boolean allPass() { return !cells.isEmpty() && cells.stream().allMatch(Cell::pass); }

    public String summary() {
        long pass = cells.stream().filter(Cell::pass).count();
        int n = devices.size();
        return String.format(Locale.ROOT, "matrix: %d/%d cells pass on %d device%s", pass, cells.size(), n, n == 1 ? "" : "s");
    }

    private List<String> kernels() {
        Set<String> k = new LinkedHashSet<>();
        for (Cell c : cells) k.add(c.kernel());
        return new ArrayList<>(k);
    }

    private Cell cell(String kernel, String device) {
        for (Cell c : cells) if (c.kernel().equals(kernel) && c.device().equals(device)) return c;
        return null;
    }

    /** The tolerance column: of the output that decides the row, same on every device. */
    private String tolerance(String kernel) {
        for (Cell c : cells) {
            if (c.kernel().equals(kernel) && c.message() == null) return String.format(Locale.ROOT, "%s %s", shortMetric(c.metric()), num(c.tol()));
        }
        for (Cell c : cells) if (c.kernel().equals(kernel)) return shortMetric(c.metric()) + " " + num(c.tol());
        return "";
    }

    private static String shortMetric(String m) {
        return switch (m) {
            case "norm-relative" -> "norm";
            case "norm-relative on the change" -> "delta";
            case "mismatched elements" -> "exact";
            default -> "elem";
        };
    }

    private static String cellText(Cell c) {
        if (c == null) return "-";
        if (c.message() != null) return "FAIL (error)";
        return String.format(Locale.ROOT, "%s %s %s ms", num(c.error()), c.pass() ? "pass" : "FAIL", ms(c.medianMs()));
    }

    static String num(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return "inf";
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.1e", v);
    }

    static String ms(double v) {
        if (!Double.isFinite(v)) return "-";
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 1 ? String.format(Locale.ROOT, "%.2f", v)
                : String.format(Locale.ROOT, "%.3f", v);
    }

    public String table() {
        List<String> ks = kernels();
        int kw = Math.max(6, ks.stream().mapToInt(String::length).max().orElse(6));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-" + kw + "s  %-12s", "kernel", "tolerance"));
        for (String d : devices.keySet()) sb.append(String.format(Locale.ROOT, "  %-28s", d));
        sb.append('\n');
        for (String k : ks) {
            sb.append(String.format(Locale.ROOT, "%-" + kw + "s  %-12s", k, tolerance(k)));
            for (String d : devices.keySet()) sb.append(String.format(Locale.ROOT, "  %-28s", cellText(cell(k, d))));
            sb.append('\n');
        }
        devices.forEach((id, label) -> sb.append(id).append(": ").append(label).append('\n'));
        for (String f : failures()) sb.append(f).append('\n');
        for (String s : notRun) sb.append(s).append('\n');
        return sb.toString();
    }

    /** One line per failing cell: which output, or the exception's message. */
    public List<String> failures() {
        List<String> out = new ArrayList<>();
        for (Cell c : cells) {
            if (c.pass()) continue;
            if (c.message() != null) out.add("FAIL " + c.kernel() + " on " + c.device() + ": " + c.message());
            else {
                for (Cell.Output o : c.outputs()) {
                    if (!o.pass()) {
                        out.add(String.format(Locale.ROOT, "FAIL %s on %s: %s error %s > %s (%s)", c.kernel(), c.device(),
                                o.name(), num(o.error()), num(o.tol()), o.metric()));
                    }
                }
            }
        }
        return out;
    }

    public String markdown() {
        List<String> ks = kernels();
        StringBuilder sb = new StringBuilder("# Squall kernel matrix\n\n");
        sb.append(summary()).append(". Each cell: error of the output nearest its tolerance, pass/FAIL, median time of ")
                .append(repeat).append(" runs of the stage (after one warm-up run).\n\n");
        sb.append("| kernel | tolerance |");
        for (String d : devices.keySet()) sb.append(' ').append(d).append(" |");
        sb.append("\n|---|---|");
        for (int i = 0; i < devices.size(); i++) sb.append("---|");
        sb.append('\n');
        for (String k : ks) {
            sb.append("| ").append(k).append(" | ").append(tolerance(k)).append(" |");
            for (String d : devices.keySet()) sb.append(' ').append(cellText(cell(k, d))).append(" |");
            sb.append('\n');
        }
        sb.append("\nDevices:\n\n");
        devices.forEach((id, label) -> sb.append("- `").append(id).append("`: ").append(label).append('\n'));
        List<String> f = failures();
        if (!f.isEmpty()) {
            sb.append("\nFailures:\n\n");
            for (String s : f) sb.append("- ").append(s).append('\n');
        }
        if (!notRun.isEmpty()) {
            sb.append("\nNot run:\n\n");
            for (String s : notRun) sb.append("- ").append(s).append('\n');
        }
        sb.append("\nTolerances (elem: max |got - ref| / (|ref| + 0.1 RMS(ref)); norm: ||got - ref|| / ||ref||; ")
                .append("delta: norm on the change an in-place update made; exact: ")
                .append("the number of int elements that differ):\n\n| kernel | output | metric | tolerance | why |\n|---|---|---|---|---|\n");
        Set<String> seen = new LinkedHashSet<>();
        for (Cell c : cells) {
            for (Cell.Output o : c.outputs()) {
                if (seen.add(c.kernel() + "/" + o.name())) {
                    sb.append("| ").append(c.kernel()).append(" | ").append(o.name()).append(" | ").append(o.metric())
                            .append(" | ").append(num(o.tol())).append(" | ").append(o.why()).append(" |\n");
                }
            }
        }
        return sb.toString();
    }

    public String json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("summary", summary());
        root.put("repeat", (long) repeat);
        List<Object> devs = new ArrayList<>();
        devices.forEach((id, label) -> devs.add(ordered("id", id, "label", label)));
        root.put("devices", devs);
        root.put("not_run", new ArrayList<Object>(notRun));
        List<Object> rows = new ArrayList<>();
        for (Cell c : cells) {
            Map<String, Object> m = ordered("kernel", c.kernel(), "device", c.device(), "pass", c.pass());
            m.put("error", number(c.error()));
            m.put("tolerance", number(c.tol()));
            m.put("metric", c.metric());
            m.put("worst_output", c.worst());
            m.put("first_ms", number(c.firstMs()));
            m.put("median_ms", number(c.medianMs()));
            m.put("message", c.message());
            List<Object> outs = new ArrayList<>();
            for (Cell.Output o : c.outputs()) {
                Map<String, Object> om = ordered("name", o.name(), "metric", o.metric(), "tolerance", number(o.tol()));
                om.put("error", number(o.error()));
                om.put("pass", o.pass());
                om.put("why", o.why());
                outs.add(om);
            }
            m.put("outputs", outs);
            rows.add(m);
        }
        root.put("cells", rows);
        return Json.writePretty(root);
    }

    /** JSON has no NaN or infinity: those become null (no value: the cell threw) or the string "inf". */
    private static Object number(double v) {
        if (Double.isNaN(v)) return null;
        if (Double.isInfinite(v)) return "inf";
        return v;
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
