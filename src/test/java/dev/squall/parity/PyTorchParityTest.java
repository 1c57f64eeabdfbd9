package dev.squall.parity;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.io.SafeTensors;
import dev.squall.model.AttnNorm;
import dev.squall.model.ModelConfig;
import dev.squall.model.NormKind;
import dev.squall.model.Placement;
import dev.squall.program.JvmBackend;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.StepProgram.Param;
import dev.squall.train.Checkpoint;
import dev.squall.train.TinyRuns;
import dev.squall.train.TrainConfig;
import dev.squall.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Squall against an independent PyTorch implementation ({@code tools/reference/squall_ref.py},
 * written from SPEC.md and docs/MODEL.md), llm.c's test_gpt2 style: same weights and batch give
 * the same logits, loss and every parameter gradient, and ten AdamW steps give the same losses.
 * Every norm kind x placement, with the attention norm, GQA and tied/untied heads varied across
 * the cases. PyTorch runs in float64, so the differences are Squall's float32 rounding.
 *
 * <p>Needs Debian's python3-torch ({@code .ci/run} installs it); without it these tests fail and
 * say so. They are never skipped.
 */
class PyTorchParityTest {
    static final Path SCRIPT = Path.of("tools", "reference", "squall_ref.py");
    static final String PYTHON = "/usr/bin/python3";
    static final int STEPS = 10;

    @TempDir static Path root;
    static final List<Case> CASES = new ArrayList<>();

    /** One configuration and what Squall computed for it. */
    record Case(String name, Path dir, ModelConfig model, float[] logits, double loss, List<String> params,
                List<float[]> grads, double[] losses) {
        @Override public String toString() { return name; }
    }

    static Stream<Case> cases() { return CASES.stream(); }

    static List<ModelConfig> configs() {
        List<ModelConfig> out = new ArrayList<>();
        int i = 0;
        for (NormKind n : NormKind.values()) {
            for (Placement p : Placement.values()) {
                ModelConfig c = new ModelConfig();
                c.vocabSize = 64;
                c.dModel = 32;
                c.nLayers = 2;
                c.nHeads = 4;
                c.nKvHeads = i % 2 == 0 ? 2 : 4;
                c.ffnHidden = 48;
                c.seqLen = 16;
                c.norm = n;
                c.placement = p;
                c.attnNorm = AttnNorm.values()[i % 3];
                c.tiedEmbeddings = i % 4 != 3;
                c.initStd = 0.08;
                c.seed = 100 + i;
                out.add(c);
                i++;
            }
        }
        return out;
    }

    @BeforeAll
    static void runBothImplementations() throws Exception {
        requirePyTorch();
        Path data = Files.createDirectories(root.resolve("data"));
        for (ModelConfig c : configs()) {
            String name = c.norm + "-" + c.placement + "-" + c.attnNorm + (c.tiedEmbeddings ? "" : "-untied")
                    + (c.nKvHeads < c.nHeads ? "-gqa" : "");
            Path dir = Files.createDirectories(root.resolve(name));
            CASES.add(squall(name, dir, c, data));
        }
        List<String> cmd = new ArrayList<>(List.of(PYTHON, SCRIPT.toString()));
        for (Case k : CASES) cmd.add(k.dir().toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the PyTorch reference did not finish in 10 minutes");
        assertEquals(0, p.exitValue(), "the PyTorch reference failed:\n" + out);
    }

    static void requirePyTorch() throws IOException, InterruptedException {
        assertTrue(Files.exists(SCRIPT), SCRIPT + " is missing");
        String why;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            why = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() == 0) return;
        } catch (IOException e) {
            why = e.getMessage();
        }
        fail("PyTorch parity tests need PyTorch for " + PYTHON + " (" + why.lines().reduce((a, b) -> b).orElse("")
                + "): install Debian's python3-torch (apt-get update && apt-get install python3-torch); .ci/run does this");
    }

    /** Writes the case's checkpoint and batch, and computes Squall's logits, loss, gradients and 10 losses. */
    static Case squall(String name, Path dir, ModelConfig c, Path data) throws IOException {
        TrainConfig tc = TrainConfig.preset("tiny");
        tc.batch = 2;
        tc.steps = STEPS;
        tc.warmupSteps = 2;
        tc.lr = 3e-3;
        tc.gradClip = 0.5; // low enough that clipping acts on some steps
        Trainer t = new Trainer(c, tc, new JvmBackend(), TinyRuns.corpus(data));
        StepProgram p = t.program;
        SplittableRandom rng = new SplittableRandom(c.seed);
        // Move gains and scalars off their initial values so every parameter matters.
        for (Param q : p.params()) {
            if (!q.decay() && !q.name().equals("tok_emb")) {
                for (int i = 0; i < q.value().size(); i++) q.value().f[i] *= (float) (1 + 0.4 * (rng.nextDouble() - 0.5));
            }
        }
        int[] tokens = new int[p.tokens.size()], targets = new int[p.targets.size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rng.nextInt(c.vocabSize);
            targets[i] = rng.nextInt(c.vocabSize);
        }
        Checkpoint.save(dir.resolve("checkpoint.safetensors"), t);
        new SafeTensors.Writer().add("tokens", tokens, tc.batch, c.seqLen).add("targets", targets, tc.batch, c.seqLen)
                .writeAtomically(dir.resolve("batch.safetensors"));

        JvmBackend jvm = new JvmBackend();
        System.arraycopy(tokens, 0, p.tokens.i, 0, tokens.length);
        System.arraycopy(targets, 0, p.targets.i, 0, targets.length);
        for (Stage s : p.forward) jvm.run(s);
        float[] logits = t.model.logits().f.clone();
        jvm.run(p.zeroGrad);
        jvm.run(p.trainLoss);
        double loss = p.loss.f[0];
        for (Stage s : p.backward) jvm.run(s);
        List<String> names = new ArrayList<>();
        List<float[]> grads = new ArrayList<>();
        for (Param q : p.params()) {
            names.add(q.name());
            grads.add(q.grad().f.clone());
        }
        double[] losses = new double[STEPS];
        for (int s = 0; s < STEPS; s++) {
            losses[s] = t.trainStep((tk, tg) -> {
                System.arraycopy(tokens, 0, tk, 0, tokens.length);
                System.arraycopy(targets, 0, tg, 0, targets.length);
            }).loss();
        }
        return new Case(name, dir, c, logits, loss, names, grads, losses);
    }

    static SafeTensors reference(Case k) throws IOException {
        return SafeTensors.read(k.dir().resolve("reference.safetensors"));
    }

    static double[] anyFloat(SafeTensors st, String name) {
        if (st.dtype(name).equals("F64")) return st.doubles(name);
        float[] f = st.floats(name);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** max |squall - ref| / max |ref|: relative to the scale of the logits, so near-zero logits do not blow it up. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void logitsAndLossMatch(Case k) throws IOException {
        SafeTensors ref = reference(k);
        double[] e = anyFloat(ref, "logits");
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < e.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(k.logits()[i] - e[i]));
            maxRef = Math.max(maxRef, Math.abs(e[i]));
        }
        assertTrue(maxDiff / maxRef < 1e-4, String.format("logits: max error %.3g of max %.3g", maxDiff, maxRef));
        double refLoss = anyFloat(ref, "loss")[0];
        assertEquals(refLoss, k.loss(), 1e-5, "loss");
    }

    /** ||squall - ref|| / ||ref|| per parameter tensor. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyGradientMatches(Case k) throws IOException {
        SafeTensors ref = reference(k);
        StringBuilder bad = new StringBuilder();
        for (int j = 0; j < k.params().size(); j++) {
            String name = k.params().get(j);
            assertTrue(ref.contains("grad." + name), "the reference has no gradient for " + name);
            double[] e = anyFloat(ref, "grad." + name);
            float[] a = k.grads().get(j);
            double num = 0, den = 0;
            for (int i = 0; i < e.length; i++) {
                num += (a[i] - e[i]) * (a[i] - e[i]);
                den += e[i] * e[i];
            }
            double rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
            if (!(rel < 1e-3)) bad.append(String.format("%n  %s: relative error %.3g (|ref| %.3g)", name, rel, Math.sqrt(den)));
        }
        assertEquals("", bad.toString(), "gradients that differ from PyTorch:");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void tenAdamWStepsGiveTheSameLosses(Case k) throws IOException {
        double[] e = anyFloat(reference(k), "losses");
        assertEquals(STEPS, e.length);
        for (int s = 0; s < STEPS; s++) {
            assertEquals(e[s], k.losses()[s], 1e-4 * Math.abs(e[s]), "loss of step " + (s + 1));
        }
    }
}
