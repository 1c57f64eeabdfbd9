package dev.squall.cli;

import dev.squall.model.ConfigException;
import dev.squall.plot.LineChart;
import dev.squall.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Draw a run's metrics as PNG: loss.png (train and validation loss), "
                + "grad_norm.png, lr.png, stability.png and attention_z.png (per-layer hidden RMS, attention Z), "
                + "and for MoE runs moe.png (expert load imbalance, router Z, aux_loss and z_loss).")
final class PlotCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A directory written by squall train.")
    Path runDir;

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(runDir.resolve(MetricsLog.FILE))) {
            throw new ConfigException(runDir + " has no " + MetricsLog.FILE + "; pass a directory written by squall train");
        }
        for (Path p : plotRun(runDir)) System.out.println("wrote " + p);
        return 0;
    }

    /** Writes the run's plots and returns their paths. */
    static List<Path> plotRun(Path runDir) throws IOException {
        List<Map<String, Object>> rows = MetricsLog.read(runDir);
        List<Path> written = new ArrayList<>();
        Series train = series(rows, "loss"), val = series(rows, "val_loss");
        Path loss = runDir.resolve("loss.png");
        new LineChart("Loss (nats per byte)", "step", "loss")
                .series("train", train.x, train.y).series("validation", val.x, val.y).save(loss, 900, 540);
        written.add(loss);
        Series gn = series(rows, "grad_norm");
        Path grad = runDir.resolve("grad_norm.png");
        new LineChart("Gradient norm (before clipping)", "step", "norm").logY(true).series("grad_norm", gn.x, gn.y)
                .save(grad, 900, 540);
        written.add(grad);
        Series lr = series(rows, "lr");
        Path lrPng = runDir.resolve("lr.png");
        new LineChart("Learning rate", "step", "lr").series("lr", lr.x, lr.y).save(lrPng, 900, 540);
        written.add(lrPng);
        LineChart stability = new LineChart("Hidden-state RMS per layer (SPEC 6.8)", "step", "RMS");
        LineChart z = new LineChart("Attention Z-value per layer (mean logsumexp^2)", "step", "Z");
        for (int l = 0; ; l++) {
            Series s = series(rows, "layer" + l + ".hidden_rms");
            if (s.x.length == 0) break;
            stability.series("layer " + l, s.x, s.y);
            Series zs = series(rows, "layer" + l + ".attn_z");
            z.series("layer " + l, zs.x, zs.y);
        }
        Path st = runDir.resolve("stability.png"), zp = runDir.resolve("attention_z.png");
        stability.save(st, 900, 540);
        z.save(zp, 900, 540);
        written.add(st);
        written.add(zp);
        if (rows.stream().anyMatch(r -> r.containsKey("aux_loss"))) written.add(plotMoe(rows, runDir.resolve("moe.png")));
        return written;
    }

    /**
     * MoE runs: one PNG of three panels against step: expert load imbalance (max/mean of the counts)
     * per MoE block, router Z-value per block (SPEC §6.8), and the weighted router losses.
     */
    static Path plotMoe(List<Map<String, Object>> rows, Path file) throws IOException {
        LineChart imbalance = new LineChart("Expert load imbalance per MoE block (max / mean of assignments)", "step", "max/mean");
        LineChart routerZ = new LineChart("Router Z-value per MoE block (mean logsumexp^2)", "step", "Z");
        for (int l = 0; ; l++) {
            if (series(rows, "layer" + l + ".hidden_rms").x.length == 0) break;
            Series im = series(rows, "layer" + l + ".load_max_mean");
            if (im.x.length == 0) continue;
            imbalance.series("layer " + l, im.x, im.y);
            Series z = series(rows, "layer" + l + ".router_z");
            routerZ.series("layer " + l, z.x, z.y);
        }
        Series aux = series(rows, "aux_loss"), zl = series(rows, "z_loss");
        LineChart losses = new LineChart("Router losses (weighted, summed over MoE blocks)", "step", "loss")
                .series("aux_loss", aux.x, aux.y).series("z_loss", zl.x, zl.y);
        LineChart.saveStacked(file, 900, 360, imbalance, routerZ, losses);
        return file;
    }

    record Series(double[] x, double[] y) {}

    static Series series(List<Map<String, Object>> rows, String key) {
        List<double[]> pts = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            if (r.get(key) instanceof Number v && r.get("step") instanceof Number s) {
                pts.add(new double[] {s.doubleValue(), v.doubleValue()});
            }
        }
        double[] x = new double[pts.size()], y = new double[pts.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = pts.get(i)[0];
            y[i] = pts.get(i)[1];
        }
        return new Series(x, y);
    }
}
