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

/**
 * The deepnorm and mixln placements as a user types them: a run records the placement and logs the
 * per-layer stability metrics; the checkpoint rebuilds for eval and generation; info explains the
 * placement; a bad Mix-LN fraction is one line.
 */
class PlacementCliTest {
    @TempDir Path dir;

    CliTest.Run train(Path runDir, String... more) throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "hello squall, hello world. ".repeat(400));
        List<String> args = new java.util.ArrayList<>(List.of("train", "--preset", "tiny", "--data", text.toString(),
                "--out", runDir.toString(), "--set", "seq_len=32", "--set", "d_model=32", "--set", "eval_every=4",
                "--set", "eval_batches=2", "--steps", "4"));
        args.addAll(List.of(more));
        return CliTest.run(args.toArray(String[]::new));
    }

    @Test
    void deepnormAndMixlnRunsRecordThePlacementLogEveryLayerAndReload() throws Exception {
        for (String[] flags : new String[][] {{"--placement", "deepnorm"},
                {"--placement", "mixln", "--set", "mixln_post_fraction=0.5", "--norm", "dyt"}}) {
            Path runDir = dir.resolve(flags[1]);
            CliTest.Run r = train(runDir, flags);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains(flags[1] + " placement"), r.out());
            @SuppressWarnings("unchecked")
            Map<String, Object> config = (Map<String, Object>) ((Map<String, Object>) Json.parse(
                    Files.readString(runDir.resolve("config.json")))).get("model");
            assertEquals(flags[1], config.get("placement"));
            Map<String, Object> step = MetricsLog.read(runDir).stream().filter(m -> m.containsKey("loss")).findFirst().orElseThrow();
            for (int l = 0; l < 2; l++) {
                for (String m : new String[] {"attn_out_rms", "ffn_out_rms", "hidden_rms", "attn_z", "outlier_pct"}) {
                    Object v = step.get("layer" + l + "." + m);
                    assertTrue(v instanceof Number && Double.isFinite(((Number) v).doubleValue()), "layer" + l + "." + m + " " + v);
                }
            }
            CliTest.Run eval = CliTest.run("eval", runDir.toString(), "--batches", "2");
            assertEquals(0, eval.code(), eval.err());
            CliTest.Run gen = CliTest.run("generate", runDir.toString(), "--prompt", "hello", "--max-tokens", "8",
                    "--temperature", "0");
            assertEquals(0, gen.code(), gen.err());
            assertTrue(gen.out().startsWith("hello"), gen.out());
        }
    }

    @Test
    void infoExplainsThePlacement() {
        CliTest.Run deep = CliTest.run("info", "--preset", "tiny", "--placement", "deepnorm");
        assertEquals(0, deep.code(), deep.err());
        // tiny has 2 blocks: alpha = 4^(1/4), beta = 16^(-1/4)
        assertTrue(deep.out().contains("placement: deepnorm") && deep.out().contains("= 1.414")
                && deep.out().contains("= 0.5000 "), deep.out());
        CliTest.Run mix = CliTest.run("info", "--preset", "small", "--set", "n_layers=8", "--placement", "mixln");
        assertEquals(0, mix.code(), mix.err());
        assertTrue(mix.out().contains("placement: mixln, 2 of 8 blocks Post-Norm (blocks 0-1)"), mix.out());
        assertTrue(mix.out().contains("mixln_post_fraction"), mix.out());
    }

    @Test
    void aMixlnFractionOutsideTheUnitIntervalIsOneLine() {
        CliTest.Run r = CliTest.run("info", "--preset", "tiny", "--placement", "mixln", "--set", "mixln_post_fraction=2");
        assertEquals(Main.BAD_INPUT, r.code(), r.out());
        assertTrue(r.err().contains("mixln_post_fraction: must be in [0, 1]"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
