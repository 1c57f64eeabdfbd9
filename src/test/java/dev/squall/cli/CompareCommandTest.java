package dev.squall.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.io.Json;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** squall compare over run directories laid out as squall train writes them. */
class CompareCommandTest {
    @TempDir Path dir;

    /** A finished run: config.json in model/train sections, summary.json, and one metrics line per step. */
    Path fakeRun(String name, int dModel, double lr, String router, Double valLoss, int steps) throws Exception {
        Path run = dir.resolve(name);
        Files.createDirectories(run);
        Map<String, Object> model = new LinkedHashMap<>(), train = new LinkedHashMap<>(), config = new LinkedHashMap<>();
        model.put("d_model", dModel);
        model.put("router", router);
        train.put("lr", lr);
        train.put("steps", steps);
        config.put("model", model);
        config.put("train", train);
        config.put("backend", "jvm");
        Files.writeString(run.resolve("config.json"), Json.writePretty(config));
        StringBuilder metrics = new StringBuilder("{\"step\":0,\"val_loss\":5.5}\n");
        for (int s = 1; s <= steps; s++) {
            metrics.append("{\"step\":").append(s).append(",\"loss\":").append(3.0 - s * 0.01)
                    .append(",\"layer1.ffn_out_rms\":").append(s).append("}\n");
        }
        Files.writeString(run.resolve("metrics.jsonl"), metrics);
        if (valLoss != null) {
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("steps", steps);
            summary.put("val_loss", valLoss);
            Files.writeString(run.resolve("summary.json"), Json.writePretty(summary));
        }
        return run;
    }

    @Test
    void sweepGroupsByWidthWithTableCsvAndPlot() throws Exception {
        Path a = fakeRun("w64-lr1", 64, 1e-3, "sqrtgate", 2.5, 10), b = fakeRun("w64-lr2", 64, 1e-2, "sqrtgate", 2.1, 10);
        Path c = fakeRun("w256-lr1", 256, 1e-3, "sqrtgate", 2.0, 10), d = fakeRun("w256-lr2", 256, 1e-2, "sqrtgate", 2.2, 10);
        Path png = dir.resolve("out/sweep.png");
        // Runs out of order, and the wider group first: the table sorts both.
        CliTest.Run r = CliTest.run("compare", d.toString(), a.toString(), c.toString(), b.toString(),
                "--x", "lr", "--y", "val_loss", "--group", "d_model", "--log-x", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        String table = """
                | lr | d_model=64 | d_model=256 |
                |---|---|---|
                | 0.001 | 2.5 | 2 |
                | 0.01 | 2.1 | 2.2 |
                | lowest at | lr=0.01 | lr=0.001 |
                """;
        assertTrue(r.out().startsWith(table), r.out());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(900, img.getWidth());
        List<String> csv = Files.readAllLines(dir.resolve("out/sweep.csv"));
        assertEquals("run,d_model,lr,val_loss", csv.get(0));
        assertEquals(5, csv.size(), csv.toString());
        assertEquals(a + ",64,0.001,2.5", csv.get(1));
        assertEquals(c + ",256,0.001,2.0", csv.get(3));
    }

    @Test
    void metricsKeyIsTheMeanOverTheLastFractionOfSteps() throws Exception {
        Path a = fakeRun("sg", 64, 1e-3, "sqrtgate", 2.0, 10), b = fakeRun("tk", 64, 1e-3, "topk-softmax", 2.0, 100);
        CliTest.Run r = CliTest.run("compare", a.toString(), b.toString(), "--x", "d_model", "--y", "layer1.ffn_out_rms",
                "--group", "router", "--tail", "0.2", "--out", dir.resolve("rms.png").toString());
        assertEquals(0, r.code(), r.err());
        // Steps 9 and 10 of 10 (values 9, 10); steps 81..100 of 100; a string group sorts by name.
        assertTrue(r.out().startsWith("| d_model | router=sqrtgate | router=topk-softmax |\n|---|---|---|\n| 64 | 9.5 | 90.5 |"),
                r.out());
        assertEquals(100.0, CompareCommand.tailMean(List.of(Map.of("step", 7L, "x", 1.0), Map.of("step", 8L, "x", 100.0)), "x", 0.01),
                "at least the last step");
        assertTrue(Double.isNaN(CompareCommand.tailMean(List.of(Map.of("step", 1L)), "x", 0.2)));
    }

    @Test
    void anUnfinishedRunIsAGapNotAnError() throws Exception {
        Path ok = fakeRun("ok", 64, 1e-3, "sqrtgate", 2.0, 10), diverged = fakeRun("diverged", 64, 1.0, "sqrtgate", null, 10);
        CliTest.Run r = CliTest.run("compare", ok.toString(), diverged.toString(), "--x", "lr", "--y", "val_loss",
                "--out", dir.resolve("c.png").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| 1 | n/a |"), r.out());
        assertTrue(r.err().contains("diverged") && r.err().contains("no summary.json"), r.err());
        assertTrue(Files.readString(dir.resolve("c.csv")).contains(diverged + ",,1.0,\n"));
    }

    @Test
    void yMaxLeavesABlownUpRunOutOfThePlotButNotTheTable() throws Exception {
        Path ok = fakeRun("ok", 64, 1e-3, "sqrtgate", 2.0, 10), blown = fakeRun("blown", 64, 1e-2, "sqrtgate", 7.5, 10);
        Path png = dir.resolve("y.png");
        CliTest.Run r = CliTest.run("compare", ok.toString(), blown.toString(), "--x", "lr", "--y", "val_loss",
                "--y-max", "3", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| 0.01 | 7.5 |"), r.out());
        assertTrue(Files.readString(dir.resolve("y.csv")).contains(",0.01,7.5\n"));
        assertTrue(Files.exists(png));
    }

    @Test
    void badInputIsOneLineNamingIt() throws Exception {
        Path run = fakeRun("run", 64, 1e-3, "sqrtgate", 2.0, 10);
        String png = dir.resolve("x.png").toString();
        assertOneLine(CliTest.run("compare", dir.resolve("nope").toString(), "--x", "lr", "--y", "val_loss", "--out", png),
                "no such run directory");
        assertOneLine(CliTest.run("compare", dir.toString(), "--x", "lr", "--y", "val_loss", "--out", png), "has no config.json");
        assertOneLine(CliTest.run("compare", run.toString(), "--x", "width", "--y", "val_loss", "--out", png),
                "no configuration key 'width'");
        assertOneLine(CliTest.run("compare", run.toString(), "--x", "lr", "--y", "val_los", "--out", png),
                "val_los is in neither summary.json");
        assertOneLine(CliTest.run("compare", run.toString(), "--x", "router", "--y", "val_loss", "--out", png), "not a number");
        assertOneLine(CliTest.run("compare", run.toString(), "--x", "lr", "--y", "val_loss", "--group", "experts", "--out", png),
                "no configuration key 'experts'");
        assertOneLine(CliTest.run("compare", run.toString(), "--x", "lr", "--y", "val_loss", "--tail", "0", "--out", png),
                "--tail");
        assertFalse(Files.exists(Path.of(png)), "no plot after an error");
    }

    private static void assertOneLine(CliTest.Run r, String expected) {
        assertEquals(Main.BAD_INPUT, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void readsWhatTrainWrites() throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "hello squall, hello world. ".repeat(400));
        for (int width : new int[] {16, 32}) {
            CliTest.Run t = CliTest.run("train", "--preset", "tiny", "--data", text.toString(), "--out",
                    dir.resolve("w" + width).toString(), "--steps", "3", "--set", "seq_len=16", "--set", "d_model=" + width,
                    "--set", "eval_batches=1", "--set", "n_layers=1");
            assertEquals(0, t.code(), t.err());
        }
        CliTest.Run r = CliTest.run("compare", dir.resolve("w16").toString(), dir.resolve("w32").toString(), "--x", "d_model",
                "--y", "layer0.hidden_rms", "--group", "optimizer", "--out", dir.resolve("w.png").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s)\\| d_model \\| optimizer=adamw \\|\n\\|---\\|---\\|\n\\| 16 \\| [0-9.]+ \\|\n\\| 32 \\| [0-9.]+ \\|\n.*"),
                r.out());
    }
}
