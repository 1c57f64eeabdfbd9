package dev.squall.train;

import dev.squall.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object per line in {@code RUN_DIR/metrics.jsonl}: a line per training step and one per
 * validation. On resume, lines past the checkpoint's step are dropped, so the file always describes
 * the run that the checkpoint continues. JSON has no NaN or Infinity: a non-finite number is written
 * as {@code null} (the plot and compare commands skip it), so writing a diverging step never fails.
 */
public final class MetricsLog implements AutoCloseable {
    public static final String FILE = "metrics.jsonl";
    private final BufferedWriter out;

    public MetricsLog(Path runDir, int resumeStep) throws IOException {
        Path file = runDir.resolve(FILE);
        if (resumeStep >= 0 && Files.exists(file)) {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                Object step = parse(line).get("step");
                if (step instanceof Number n && n.longValue() <= resumeStep) kept.add(line);
            }
            Files.write(file, kept, StandardCharsets.UTF_8);
        } else {
            Files.deleteIfExists(file);
        }
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    public void step(Trainer.StepResult r, List<String> metricNames) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", r.step());
        m.put("loss", finite(r.loss()));
        m.put("lr", finite(r.lr()));
        m.put("grad_norm", finite(r.gradNorm()));
        m.put("tokens_per_s", finite(r.tokensPerSecond()));
        for (int i = 0; i < metricNames.size(); i++) m.put(metricNames.get(i), finite(r.metrics()[i]));
        write(m);
    }

    public void validation(int step, double valLoss) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("val_loss", finite(valLoss));
        write(m);
    }

    /** The number, or null where JSON has no form for it. */
    static Double finite(double v) { return Double.isFinite(v) ? v : null; }

    private void write(Map<String, Object> m) throws IOException {
        out.write(Json.write(m));
        out.write('\n');
        out.flush();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(String line) {
        return (Map<String, Object>) Json.parse(line);
    }

    /** Every line of a run's metrics file, parsed. */
    public static List<Map<String, Object>> read(Path runDir) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(FILE), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) rows.add(parse(line));
        }
        return rows;
    }

    @Override public void close() throws IOException { out.close(); }
}
