package dev.squall.train;

import dev.squall.model.ConfigException;
import dev.squall.model.ConfigFields;

/**
 * How a model is trained: batch, schedule, AdamW, clipping, evaluation and checkpoint cadence.
 * Field names map to snake_case keys like {@link dev.squall.model.ModelConfig}'s. Defaults are the
 * {@code small} preset's (the reference config of the README).
 */
public final class TrainConfig {
    public int batch = 8;
    public int steps = 1000;
    public int accumSteps = 1;
    public double lr = 3e-3;
    /** The schedule decays to lr * min_lr_fraction. */
    public double minLrFraction = 0.1;
    public int warmupSteps = 50;
    public Schedule schedule = Schedule.COSINE;
    public double beta1 = 0.9;
    public double beta2 = 0.95;
    public double adamEps = 1e-8;
    /** Applied to matrices only (embeddings, gains and scalars are not decayed). */
    public double weightDecay = 0.1;
    /** Global gradient-norm clip; 0 disables it. */
    public double gradClip = 1.0;
    public int evalEvery = 100;
    public int evalBatches = 16;
    public int checkpointEvery = 250;
    /** Seed of the batch sampler (the model's weights use the model seed). */
    public long dataSeed = 42;
    /** At most this many bytes of text are loaded. */
    public long dataCapBytes = 64L << 20;
    /** adamw, muon or hyperp (MODEL.md "Optimizers"). */
    public OptimizerKind optimizer = OptimizerKind.ADAMW;
    /** Muon's peak learning rate for the matrices (the rest use lr). */
    public double muonLr = 0.02;
    /** Nesterov momentum of Muon and MuonH. */
    public double muonMomentum = 0.95;
    /** HyperP's LR transfer base (SPEC §6.5): tokens per step B0, depth d0 and run tokens T0. */
    public long hyperpBaseBatch = 1L << 21;
    public int hyperpBaseDepth = 8;
    public double hyperpBaseTokens = 10.4e9;

    public enum OptimizerKind {
        ADAMW("adamw"), MUON("muon"), HYPERP("hyperp");

        public final String cli;

        OptimizerKind(String cli) { this.cli = cli; }

        public static OptimizerKind parse(String s) {
            for (OptimizerKind v : values()) if (v.cli.equalsIgnoreCase(s.trim())) return v;
            throw new ConfigException("optimizer: unknown value '" + s + "'; use adamw, muon or hyperp");
        }

        @Override public String toString() { return cli; }
    }

    public enum Schedule {
        COSINE("cosine"), LINEAR("linear"), CONSTANT("constant");

        public final String cli;

        Schedule(String cli) { this.cli = cli; }

        public static Schedule parse(String s) {
            for (Schedule v : values()) if (v.cli.equalsIgnoreCase(s.trim())) return v;
            throw new ConfigException("schedule: unknown value '" + s + "'; use cosine, linear or constant");
        }

        @Override public String toString() { return cli; }
    }

    public static TrainConfig preset(String name) {
        TrainConfig t = new TrainConfig();
        switch (name) {
            case "tiny" -> {
                t.batch = 4;
                t.steps = 200;
                t.warmupSteps = 10;
                t.evalEvery = 50;
                t.evalBatches = 4;
                t.checkpointEvery = 100;
            }
            case "small" -> { }
            default -> throw new ConfigException("preset: unknown preset '" + name + "'; use tiny or small");
        }
        return t;
    }

    /** Learning rate at {@code step} (0-based): linear warm-up, then the decay to the floor. */
    public double learningRate(int step) {
        if (step < warmupSteps) return lr * (step + 1) / warmupSteps;
        double floor = lr * minLrFraction;
        int decaySteps = Math.max(1, steps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        return switch (schedule) {
            case COSINE -> floor + (lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
            case LINEAR -> lr - (lr - floor) * progress;
            case CONSTANT -> lr;
        };
    }

    /**
     * The schedule's multiplier of a peak learning rate at {@code step} (0-based), lr(s) / lr: every
     * group of an optimizer (AdamW's lr, Muon's muon_lr, HyperP's transferred rate) follows it.
     * {@link #learningRate} keeps its own arithmetic so AdamW runs stay bit-identical to before.
     */
    public double scheduleFactor(int step) {
        if (step < warmupSteps) return (double) (step + 1) / warmupSteps;
        int decaySteps = Math.max(1, steps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        return switch (schedule) {
            case COSINE -> minLrFraction + (1 - minLrFraction) * 0.5 * (1 + Math.cos(Math.PI * progress));
            case LINEAR -> 1 - (1 - minLrFraction) * progress;
            case CONSTANT -> 1;
        };
    }

    /** Above this a peak learning rate is a typo, not a setting: AdamW and Muon rates for these models are 1e-4 to 0.1. */
    public static final double MAX_LR = 1.0;

    public TrainConfig validate() {
        ConfigFields.requireFinite(this);
        if (batch <= 0) throw new ConfigException("batch: must be a positive integer, got " + batch);
        if (steps <= 0) throw new ConfigException("steps: must be a positive integer, got " + steps);
        if (accumSteps <= 0) throw new ConfigException("accum_steps: must be a positive integer, got " + accumSteps);
        if (!(lr > 0 && lr <= MAX_LR)) {
            throw new ConfigException("lr: must be in (0, " + MAX_LR + "], got " + lr + " (typical rates are 1e-4 to 1e-2)");
        }
        if (!(minLrFraction >= 0 && minLrFraction <= 1)) {
            throw new ConfigException("min_lr_fraction: must be in [0, 1], got " + minLrFraction);
        }
        if (warmupSteps < 0) throw new ConfigException("warmup_steps: must be >= 0, got " + warmupSteps);
        if (!(beta1 >= 0 && beta1 < 1)) throw new ConfigException("beta1: must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new ConfigException("beta2: must be in [0, 1), got " + beta2);
        if (!(adamEps > 0)) throw new ConfigException("adam_eps: must be > 0, got " + adamEps);
        if (!(weightDecay >= 0 && weightDecay * lr < 1)) {
            throw new ConfigException("weight_decay: must be >= 0 with weight_decay * lr < 1 (each step shrinks weights by"
                    + " that factor), got " + weightDecay);
        }
        if (!(gradClip >= 0)) throw new ConfigException("grad_clip: must be >= 0 (0 = off), got " + gradClip);
        if (evalEvery <= 0) throw new ConfigException("eval_every: must be a positive integer, got " + evalEvery);
        if (evalBatches <= 0) throw new ConfigException("eval_batches: must be a positive integer, got " + evalBatches);
        if (checkpointEvery <= 0) {
            throw new ConfigException("checkpoint_every: must be a positive integer, got " + checkpointEvery);
        }
        if (dataCapBytes <= 0) throw new ConfigException("data_cap_bytes: must be positive, got " + dataCapBytes);
        if (optimizer == null) throw new ConfigException("optimizer: must be set; use adamw, muon or hyperp");
        if (!(muonLr > 0 && muonLr <= MAX_LR)) {
            throw new ConfigException("muon_lr: must be in (0, " + MAX_LR + "], got " + muonLr + " (Muon's usual rate is 0.02)");
        }
        if (!(muonMomentum >= 0 && muonMomentum < 1)) {
            throw new ConfigException("muon_momentum: must be in [0, 1), got " + muonMomentum);
        }
        if (hyperpBaseBatch <= 0) throw new ConfigException("hyperp_base_batch: must be positive, got " + hyperpBaseBatch);
        if (hyperpBaseDepth <= 0) throw new ConfigException("hyperp_base_depth: must be positive, got " + hyperpBaseDepth);
        if (!(hyperpBaseTokens > 0)) throw new ConfigException("hyperp_base_tokens: must be > 0, got " + hyperpBaseTokens);
        return this;
    }

    public TrainConfig copy() {
        TrainConfig t = new TrainConfig();
        dev.squall.model.ConfigFields.copy(this, t);
        return t;
    }
}
