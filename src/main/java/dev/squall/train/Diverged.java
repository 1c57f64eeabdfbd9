package dev.squall.train;

import dev.squall.model.Transformer;
import dev.squall.program.Backend;
import dev.squall.program.StepProgram;
import dev.squall.program.StepProgram.Param;

/** A non-finite loss or gradient: names the step and the first place the values went bad. */
public final class Diverged extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final int step;

    Diverged(int step, String message) {
        super(message);
        this.step = step;
    }

    static Diverged atLoss(int step, double loss, StepProgram program, Transformer model) {
        String where = firstNonFiniteMetric(program.metricNames, program.metrics.f);
        return new Diverged(step, "loss is " + loss + " at step " + (step + 1) + "; first non-finite values in "
                + (where != null ? where : "the head (final norm, logits or loss)") + "; lower --lr or raise warm-up");
    }

    /**
     * A finite loss can hide a blow-up: a norm rescales a hidden state of 1e30 to unit size, while
     * its RMS statistic is already infinite. Any non-finite per-step metric stops the run too.
     */
    static Diverged atMetric(int step, double loss, String where) {
        return new Diverged(step, "a training statistic is not finite at step " + (step + 1) + " (loss " + loss
                + "): first non-finite values in " + where + "; lower --lr or raise warm-up");
    }

    /** "layer L (metric = value)" or "metric = value" for the first non-finite value, or null when all are finite. */
    static String firstNonFiniteMetric(java.util.List<String> names, float[] values) {
        for (int i = 0; i < names.size(); i++) {
            if (Float.isFinite(values[i])) continue;
            String name = names.get(i);
            int dot = name.indexOf('.');
            if (name.startsWith("layer") && dot > 5) {
                return "layer " + name.substring(5, dot) + " (" + name.substring(dot + 1) + " = " + values[i] + ")";
            }
            return name + " = " + values[i];
        }
        return null;
    }

    static Diverged atGradient(int step, StepProgram program, Backend backend) {
        String where = "an unknown tensor";
        for (Param p : program.params()) {
            backend.download(p.grad());
            boolean bad = false;
            for (float v : p.grad().f) if (!Float.isFinite(v)) { bad = true; break; }
            if (bad) { where = p.name(); break; }
        }
        return new Diverged(step, "gradient norm is not finite at step " + (step + 1) + "; first non-finite gradient in "
                + where + "; lower --lr or raise warm-up");
    }
}
