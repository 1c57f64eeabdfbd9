package dev.squall.parity;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.io.SafeTensors;
import dev.squall.jvm.JvmBackend;
import dev.squall.model.AttnNorm;
import dev.squall.model.ConfigFields;
import dev.squall.model.ModelConfig;
import dev.squall.model.NormKind;
import dev.squall.model.Placement;
import dev.squall.model.RouterKind;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram.Param;
import dev.squall.program.StepProgram;
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
 * written from docs/SPEC.md and docs/MODEL.md), llm.c's test_gpt2 style: same weights and batch give
 * the same logits, loss and every parameter gradient, and ten optimizer steps give the same losses.
 * Every norm kind x the placements of SPEC §1.4 and §5.2, with the attention norm, GQA and tied/untied
 * heads varied across the cases (AdamW); three norm kinds each under deepnorm and mixln
 * ({@link #neighbourPlacementConfigs}); then MoE cases ({@link #moeConfigs}) that also compare the router losses and
 * train with muon or hyperp. PyTorch runs in float64, so the differences are Squall's float32 rounding.
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
                List<float[]> grads, double[] losses, double auxLoss, double zLoss, double[] routerZ) {
        @Override public String toString() { return name; }
    }

    static Stream<Case> cases() { return CASES.stream(); }

    static List<ModelConfig> configs() {
        List<ModelConfig> out = new ArrayList<>();
        int i = 0;
        for (NormKind n : NormKind.values()) {
            for (Placement p : Placement.values()) {
                if (p == Placement.DEEPNORM || p == Placement.MIXLN) continue; // a few cases each, below
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
        out.addAll(neighbourPlacementConfigs());
        return out;
    }

    /**
     * DeepNorm and Mix-LN (SPEC §11), three norm kinds each. Mix-LN runs four blocks at its default
     * fraction 0.25, so block 0 is Post-Norm and blocks 1-3 Pre-Norm (BHyT's variance approximation in
     * those); DeepNorm's residual weight is (2L)^(1/4) and its checkpoint carries DeepNet's init.
     */
    static List<ModelConfig> neighbourPlacementConfigs() {
        List<ModelConfig> out = new ArrayList<>();
        Object[][] specs = {
                // placement, norm, attn norm, kv heads, tied, layers
                {Placement.DEEPNORM, NormKind.RMSNORM, AttnNorm.NONE, 2, true, 2},
                {Placement.DEEPNORM, NormKind.LAYERNORM, AttnNorm.QK, 4, false, 3},
                {Placement.DEEPNORM, NormKind.BHYT, AttnNorm.NONE, 4, true, 2},
                {Placement.MIXLN, NormKind.RMSNORM, AttnNorm.QKV, 2, true, 4},
                {Placement.MIXLN, NormKind.DYT, AttnNorm.NONE, 4, false, 4},
                {Placement.MIXLN, NormKind.BHYT, AttnNorm.NONE, 4, true, 4},
        };
        int i = 0;
        for (Object[] s : specs) {
            ModelConfig c = new ModelConfig();
            c.vocabSize = 64;
            c.dModel = 32;
            c.nLayers = (Integer) s[5];
            c.nHeads = 4;
            c.nKvHeads = (Integer) s[3];
            c.ffnHidden = 48;
            c.seqLen = 16;
            c.placement = (Placement) s[0];
            c.norm = (NormKind) s[1];
            c.attnNorm = (AttnNorm) s[2];
            c.tiedEmbeddings = (Boolean) s[4];
            c.initStd = 0.08;
            c.seed = 200 + i++;
            out.add(c);
        }
        return out;
    }

    /** An MoE configuration and the optimizer it trains with. */
    record MoeSpec(String name, ModelConfig model, String optimizer) {}

    /**
     * Mixture-of-experts cases (MODEL.md "MoE sublayer", "Router losses", "Optimizers"): every router
     * kind with and without the shared expert, MoE on every other block, GQA with QK norm, and the
     * muon and hyperp optimizers (hyperp with an untied head and its default branch_scale 1/sqrt(2L)).
     */
    static List<MoeSpec> moeConfigs() {
        List<MoeSpec> out = new ArrayList<>();
        String[][] specs = {
                // name, router, shared, top_k, moe_every, placement, attn_norm, kv heads, tied, optimizer
                {"softmax-topk", "softmax-topk", "false", "2", "1", "pre", "none", "4", "true", "adamw"},
                {"softmax-topk-shared", "softmax-topk", "true", "3", "1", "pre", "none", "4", "true", "adamw"},
                {"topk-softmax", "topk-softmax", "false", "2", "1", "hybridnorm", "qkv", "4", "true", "adamw"},
                {"topk-softmax-shared", "topk-softmax", "true", "3", "1", "pre", "none", "4", "false", "adamw"},
                {"sqrtgate", "sqrtgate", "false", "2", "1", "post", "none", "4", "true", "adamw"},
                {"sqrtgate-shared", "sqrtgate", "true", "3", "1", "pre", "none", "4", "true", "adamw"},
                {"sqrtgate-every2", "sqrtgate", "false", "2", "2", "pre", "none", "4", "true", "adamw"},
                {"softmax-topk-gqa-qk", "softmax-topk", "true", "3", "1", "pre", "qk", "2", "true", "adamw"},
                {"sqrtgate-shared-hyperp-untied", "sqrtgate", "true", "3", "1", "pre", "qk", "2", "false", "hyperp"},
                {"topk-softmax-muon", "topk-softmax", "false", "2", "2", "hybridnorm-star", "none", "4", "true", "muon"},
        };
        int i = 0;
        for (String[] s : specs) {
            ModelConfig c = new ModelConfig();
            c.vocabSize = 64;
            c.dModel = 32;
            c.nLayers = 2;
            c.nHeads = 4;
            c.nKvHeads = Integer.parseInt(s[7]);
            c.ffnHidden = 48;
            c.seqLen = 16;
            c.norm = NormKind.RMSNORM;
            c.placement = Placement.parse(s[5]);
            c.attnNorm = AttnNorm.parse(s[6]);
            c.tiedEmbeddings = Boolean.parseBoolean(s[8]);
            c.initStd = 0.08;
            c.seed = 300 + i++;
            c.experts = 6;
            c.router = RouterKind.parse(s[1]);
            c.sharedExpert = Boolean.parseBoolean(s[2]);
            c.topK = Integer.parseInt(s[3]);
            c.moeEvery = Integer.parseInt(s[4]);
            c.auxWeight = 0.1f;
            c.zWeight = i % 2 == 0 ? 1e-2f : 0f;
            out.add(new MoeSpec("moe-" + s[0], c, s[9]));
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
            CASES.add(squall(name, dir, c, "adamw", data));
        }
        for (MoeSpec m : moeConfigs()) {
            CASES.add(squall(m.name(), Files.createDirectories(root.resolve(m.name())), m.model(), m.optimizer(), data));
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
    static Case squall(String name, Path dir, ModelConfig c, String optimizer, Path data) throws IOException {
        TrainConfig tc = TrainConfig.preset("tiny");
        ConfigFields.set(tc, "optimizer", optimizer);
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
        float[] metrics = t.model.metricValues();
        double aux = Double.NaN, z = Double.NaN;
        List<Double> routerZ = new ArrayList<>();
        for (int i = 0; i < p.metricNames.size(); i++) {
            String m = p.metricNames.get(i);
            if (m.equals("aux_loss")) aux = metrics[i];
            if (m.equals("z_loss")) z = metrics[i];
            if (m.endsWith(".router_z")) routerZ.add((double) metrics[i]);
        }
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
        return new Case(name, dir, c, logits, loss, names, grads, losses, aux, z,
                routerZ.stream().mapToDouble(Double::doubleValue).toArray());
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
        System.out.printf("%s: logits max error %.3g of max %.3g%n", k.name(), maxDiff, maxRef);
        assertTrue(maxDiff / maxRef < 1e-4, String.format("logits: max error %.3g of max %.3g", maxDiff, maxRef));
        double refLoss = anyFloat(ref, "loss")[0];
        assertEquals(refLoss, k.loss(), 1e-5, "loss");
    }

    /** MoE cases: the weighted router losses and each block's unweighted router Z-value, as the loss. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void routerLossesMatch(Case k) throws IOException {
        SafeTensors ref = reference(k);
        if (k.model().experts == 0) {
            if (ref.contains("aux_loss")) assertEquals(0.0, anyFloat(ref, "aux_loss")[0], 0.0, "dense aux_loss");
            return;
        }
        System.out.printf("%s: aux_loss %.6g vs %.6g, z_loss %.6g vs %.6g%n", k.name(), k.auxLoss(),
                anyFloat(ref, "aux_loss")[0], k.zLoss(), anyFloat(ref, "z_loss")[0]);
        assertEquals(anyFloat(ref, "aux_loss")[0], k.auxLoss(), 1e-5, "aux_loss");
        assertEquals(anyFloat(ref, "z_loss")[0], k.zLoss(), 1e-5, "z_loss");
        Object parsed = dev.squall.io.Json.parse(ref.metadata().get("router_z"));
        List<?> refZ = (List<?>) parsed;
        assertEquals(refZ.size(), k.routerZ().length, "MoE blocks");
        for (int i = 0; i < refZ.size(); i++) {
            assertEquals(((Number) refZ.get(i)).doubleValue(), k.routerZ()[i], 1e-5, "router_z of MoE block " + i);
        }
    }

    /** ||squall - ref|| / ||ref|| per parameter tensor. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyGradientMatches(Case k) throws IOException {
        SafeTensors ref = reference(k);
        StringBuilder bad = new StringBuilder();
        double worst = 0;
        String worstName = "";
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
            if (rel > worst) {
                worst = rel;
                worstName = name;
            }
            if (!(rel < 1e-3)) bad.append(String.format("%n  %s: relative error %.3g (|ref| %.3g)", name, rel, Math.sqrt(den)));
        }
        System.out.printf("%s: worst gradient relative error %.3g (%s)%n", k.name(), worst, worstName);
        assertEquals("", bad.toString(), "gradients that differ from PyTorch:");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void tenOptimizerStepsGiveTheSameLosses(Case k) throws IOException {
        double[] e = anyFloat(reference(k), "losses");
        assertEquals(STEPS, e.length);
        double worst = 0;
        for (int s = 0; s < STEPS; s++) worst = Math.max(worst, Math.abs(e[s] - k.losses()[s]) / Math.abs(e[s]));
        System.out.printf("%s: %d steps, worst relative loss difference %.3g (loss %.4f -> %.4f)%n", k.name(), STEPS, worst,
                e[0], e[STEPS - 1]);
        for (int s = 0; s < STEPS; s++) {
            assertEquals(e[s], k.losses()[s], 1e-4 * Math.abs(e[s]), "loss of step " + (s + 1));
        }
    }
}
