package dev.squall.train;

import dev.squall.model.ConfigException;

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

    public TrainConfig validate() {
        if (batch <= 0) throw new ConfigException("batch: must be a positive integer, got " + batch);
        if (steps <= 0) throw new ConfigException("steps: must be a positive integer, got " + steps);
        if (accumSteps <= 0) throw new ConfigException("accum_steps: must be a positive integer, got " + accumSteps);
        if (!(lr > 0)) throw new ConfigException("lr: must be > 0, got " + lr);
        if (!(minLrFraction >= 0 && minLrFraction <= 1)) {
            throw new ConfigException("min_lr_fraction: must be in [0, 1], got " + minLrFraction);
        }
        if (warmupSteps < 0) throw new ConfigException("warmup_steps: must be >= 0, got " + warmupSteps);
        if (!(beta1 >= 0 && beta1 < 1)) throw new ConfigException("beta1: must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new ConfigException("beta2: must be in [0, 1), got " + beta2);
        if (!(adamEps > 0)) throw new ConfigException("adam_eps: must be > 0, got " + adamEps);
        if (!(weightDecay >= 0)) throw new ConfigException("weight_decay: must be >= 0, got " + weightDecay);
        if (!(gradClip >= 0)) throw new ConfigException("grad_clip: must be >= 0 (0 = off), got " + gradClip);
        if (evalEvery <= 0) throw new ConfigException("eval_every: must be a positive integer, got " + evalEvery);
        if (evalBatches <= 0) throw new ConfigException("eval_batches: must be a positive integer, got " + evalBatches);
        if (checkpointEvery <= 0) {
            throw new ConfigException("checkpoint_every: must be a positive integer, got " + checkpointEvery);
        }
        if (dataCapBytes <= 0) throw new ConfigException("data_cap_bytes: must be positive, got " + dataCapBytes);
        return this;
    }

    public TrainConfig copy() {
        TrainConfig t = new TrainConfig();
        dev.squall.model.ConfigFields.copy(this, t);
        return t;
    }
}
