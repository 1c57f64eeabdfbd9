package dev.squall.cli;

import dev.squall.io.Json;
import dev.squall.model.ConfigException;
import dev.squall.model.ConfigFields;
import dev.squall.model.ModelConfig;
import dev.squall.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The model and training settings every command shares. Precedence, lowest first: the preset,
 * the --config file, the named flags, then --set key=value pairs (any config key).
 */
final class ModelOptions {
    @Option(names = "--preset", paramLabel = "NAME", description = "tiny or small (default: small).")
    String preset;

    @Option(names = "--config", paramLabel = "FILE",
            description = "JSON file: {\"model\": {...}, \"train\": {...}} or flat keys (see squall info for the keys).")
    Path config;

    @Option(names = "--norm", paramLabel = "KIND", description = "layernorm | rmsnorm | dyt | derf | bhyt | bhyt-star.")
    String norm;

    @Option(names = "--placement", paramLabel = "KIND",
            description = "pre | post | hybridnorm | hybridnorm-star | deepnorm (Post-Norm, residual weighted (2L)^(1/4))"
                    + " | mixln (Post-Norm in the first mixln_post_fraction of blocks, default 0.25, then Pre-Norm).")
    String placement;

    @Option(names = "--attn-norm", paramLabel = "KIND", description = "none | qk | qkv (per-head RMSNorm before RoPE).")
    String attnNorm;

    @Option(names = "--experts", paramLabel = "E",
            description = "Routed experts per MoE block (0 = dense FFNs, the default); see docs/MODEL.md \"MoE sublayer\".")
    Integer experts;

    @Option(names = "--top-k", paramLabel = "K", description = "Experts per token, the shared expert counted (default 2).")
    Integer topK;

    @Option(names = "--router", paramLabel = "KIND",
            description = "softmax-topk (OLMoE, default) | topk-softmax | sqrtgate (HyperP's SqrtGate).")
    String router;

    @Option(names = "--shared-expert", description = "Add one always-active expert to every MoE block.")
    Boolean sharedExpert;

    @Option(names = "--moe-every", paramLabel = "N", description = "Every N-th block is an MoE block (default 1: all).")
    Integer moeEvery;

    @Option(names = "--aux-weight", paramLabel = "W", description = "Switch load-balancing loss weight (default 0.01).")
    Double auxWeight;

    @Option(names = "--z-weight", paramLabel = "W", description = "Router z-loss weight (default 0: logged only).")
    Double zWeight;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the initial weights.")
    Long seed;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps.")
    Integer steps;

    @Option(names = "--batch", paramLabel = "N", description = "Sequences per micro-batch.")
    Integer batch;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate.")
    Double lr;

    @Option(names = "--optimizer", paramLabel = "KIND",
            description = "adamw | muon | hyperp (Muon with Newton-Schulz; HyperP = MuonH on the Frobenius sphere).")
    String optimizer;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Any model or training key, e.g. --set d_model=128 --set warmup_steps=20 (repeatable).")
    List<String> sets = new ArrayList<>();

    ModelConfig model;
    TrainConfig train;

    /** The preset named, or the default one. */
    String presetName() { return preset != null ? preset : "small"; }

    /** Resolves presets, file, flags and --set into validated configurations. */
    void resolve() throws IOException {
        resolveOnto(ModelConfig.preset(presetName()), TrainConfig.preset(presetName()));
    }

    /**
     * Applies the --config file, the named flags and --set (in that order) on top of {@code baseModel}
     * and {@code baseTrain} instead of a preset: how --resume starts from the run's own
     * configuration, so that only the settings a user wants to change need to be given.
     */
    @SuppressWarnings("unchecked")
    void resolveOnto(ModelConfig baseModel, TrainConfig baseTrain) throws IOException {
        model = baseModel;
        train = baseTrain;
        if (config != null) {
            if (!Files.isReadable(config)) throw new ConfigException("--config: cannot read " + config);
            Object parsed = Json.parse(Files.readString(config), config.toString());
            if (!(parsed instanceof Map<?, ?> top)) throw new ConfigException(config + ": expected a JSON object");
            Map<String, Object> m = (Map<String, Object>) top;
            if (m.containsKey("model") || m.containsKey("train")) {
                for (String k : m.keySet()) {
                    if (!k.equals("model") && !k.equals("train")) {
                        throw new ConfigException(config + ": unknown section '" + k + "'; use \"model\" and \"train\"");
                    }
                }
                if (m.get("model") instanceof Map<?, ?> mm) ConfigFields.apply(model, (Map<String, Object>) mm, config.toString());
                if (m.get("train") instanceof Map<?, ?> tm) ConfigFields.apply(train, (Map<String, Object>) tm, config.toString());
            } else {
                for (Map.Entry<String, Object> e : m.entrySet()) setAny(e.getKey(), String.valueOf(e.getValue()), config.toString());
            }
        }
        if (norm != null) ConfigFields.set(model, "norm", norm);
        if (placement != null) ConfigFields.set(model, "placement", placement);
        if (attnNorm != null) ConfigFields.set(model, "attn_norm", attnNorm);
        if (experts != null) model.experts = experts;
        if (topK != null) model.topK = topK;
        if (router != null) ConfigFields.set(model, "router", router);
        if (sharedExpert != null) model.sharedExpert = sharedExpert;
        if (moeEvery != null) model.moeEvery = moeEvery;
        if (auxWeight != null) model.auxWeight = auxWeight.floatValue();
        if (zWeight != null) model.zWeight = zWeight.floatValue();
        if (seed != null) model.seed = seed;
        if (steps != null) train.steps = steps;
        if (batch != null) train.batch = batch;
        if (lr != null) train.lr = lr;
        if (optimizer != null) ConfigFields.set(train, "optimizer", optimizer);
        for (String kv : sets) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new ConfigException("--set: expected KEY=VALUE, got '" + kv + "'");
            setAny(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim(), "--set " + kv.substring(0, eq).trim());
        }
        model.validate();
        train.validate();
    }

    /** Sets a model or training key; {@code source} (a file, "--set KEY") is what an error names. */
    private void setAny(String key, String value, String source) {
        if (ConfigFields.has(model, key)) ConfigFields.set(model, key, value, source);
        else if (ConfigFields.has(train, key)) ConfigFields.set(train, key, value, source);
        else {
            throw new ConfigException(source + ": unknown setting '" + key + "'; model keys: "
                    + String.join(", ", ConfigFields.toMap(model).keySet()) + "; training keys: "
                    + String.join(", ", ConfigFields.toMap(train).keySet()));
        }
    }
}
