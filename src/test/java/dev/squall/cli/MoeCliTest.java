package dev.squall.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.io.Json;
import dev.squall.train.MetricsLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MoE flags as a user types them: a run logs the router metrics and plots them; info shows the MoE shape; bad K' is one line. */
class MoeCliTest {
    @TempDir Path dir;

    @Test
    void moeRunLogsRouterMetricsAndPlotsThem() throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "hello squall, hello world. ".repeat(400));
        Path runDir = dir.resolve("run");
        CliTest.Run r = CliTest.run("train", "--preset", "tiny", "--data", text.toString(), "--out", runDir.toString(),
                "--set", "seq_len=32", "--set", "d_model=32", "--set", "eval_every=4", "--set", "eval_batches=2",
                "--steps", "4", "--experts", "4", "--top-k", "3", "--router", "sqrtgate", "--shared-expert",
                "--moe-every", "2", "--aux-weight", "0.1", "--z-weight", "0.001", "--optimizer", "hyperp");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("moe: 4 experts"), r.out());
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) ((Map<String, Object>) Json.parse(
                Files.readString(runDir.resolve("config.json")))).get("model");
        assertEquals(4L, config.get("experts"));
        assertEquals("sqrtgate", config.get("router"));
        assertEquals(true, config.get("shared_expert"));
        // hyperp's depth-muP default, recorded as the number: 1/sqrt(2L), L = 2
        assertEquals(0.5, ((Number) config.get("branch_scale")).doubleValue(), 1e-12);
        List<Map<String, Object>> rows = MetricsLog.read(runDir);
        Map<String, Object> step = rows.stream().filter(m -> m.containsKey("loss")).findFirst().orElseThrow();
        for (String key : new String[] {"aux_loss", "z_loss", "layer1.aux_loss", "layer1.z_loss", "layer1.router_z",
                "layer1.load_max_mean", "layer1.load_cv", "layer1.expert0_load", "layer1.expert3_load"}) {
            assertTrue(step.get(key) instanceof Number, key + " missing from " + step.keySet());
        }
        assertFalse(step.containsKey("layer0.aux_loss"), "block 0 is dense with moe_every 2");
        double loads = 0;
        for (int e = 0; e < 4; e++) loads += ((Number) step.get("layer1.expert" + e + "_load")).doubleValue();
        assertEquals(1.0, loads, 1e-6, "load fractions c_e/(N K') sum to 1");
        assertTrue(Files.size(runDir.resolve("moe.png")) > 1000, "moe.png");

        CliTest.Run plot = CliTest.run("plot", runDir.toString());
        assertEquals(0, plot.code(), plot.err());
        assertTrue(plot.out().contains("moe.png"), plot.out());

        // The checkpoint carries the MoE shape and the resolved branch_scale: eval and generate rebuild it.
        CliTest.Run eval = CliTest.run("eval", runDir.toString(), "--batches", "2");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().matches("(?s).*step=4 val_loss=[0-9.]+.*"), eval.out());
        CliTest.Run onText = CliTest.run("eval", runDir.toString(), "--data", text.toString(), "--windows", "8");
        assertEquals(0, onText.code(), onText.err());
        assertTrue(onText.out().matches("(?s).*step=4 loss=[0-9.]+ loss_per_byte=[0-9.]+ tokens=\\d+ windows=8 .*"), onText.out());
        CliTest.Run gen = CliTest.run("generate", runDir.toString(), "--prompt", "hello", "--max-tokens", "10", "--temperature", "0");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().startsWith("hello"), gen.out());
    }

    @Test
    void infoShowsTotalAndActiveParameters() {
        CliTest.Run r = CliTest.run("info", "--preset", "tiny", "--experts", "8", "--top-k", "2", "--router", "topk-softmax");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*moe: 2 of 2 blocks, 8 experts of hidden 88, 2 routed per token, router topk-softmax;"
                + " [0-9,]+ parameters in total, [0-9,]+ active per token.*"), r.out());
    }

    @Test
    void routedExpertsOutOfRangeIsOneLineNamingTopK() {
        CliTest.Run r = CliTest.run("train", "--preset", "tiny", "--experts", "4", "--top-k", "1", "--shared-expert");
        assertEquals(Main.BAD_INPUT, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("top_k") && r.err().contains("shared_expert"), r.err());

        CliTest.Run big = CliTest.run("train", "--preset", "tiny", "--experts", "4", "--top-k", "5");
        assertEquals(Main.BAD_INPUT, big.code());
        assertTrue(big.err().contains("top_k") && big.err().contains("1..4"), big.err());

        CliTest.Run router = CliTest.run("train", "--preset", "tiny", "--experts", "4", "--router", "switch");
        assertEquals(Main.BAD_INPUT, router.code());
        assertTrue(router.err().contains("switch") && router.err().contains("sqrtgate"), router.err());
    }
}
