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
        float[] m = program.metrics.f;
        String where = "the head (final norm, logits or loss)";
        for (int i = 0; i < m.length; i++) {
            if (!Float.isFinite(m[i])) {
                String name = program.metricNames.get(i);
                int dot = name.indexOf('.');
                where = "layer " + name.substring(5, dot) + " (" + name.substring(dot + 1) + " = " + m[i] + ")";
                break;
            }
        }
        return new Diverged(step, "loss is " + loss + " at step " + (step + 1) + "; first non-finite values in " + where
                + "; lower --lr or raise warm-up");
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
