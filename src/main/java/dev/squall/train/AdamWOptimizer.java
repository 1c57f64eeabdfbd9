package dev.squall.train;

import dev.squall.kernels.AdamW;
import dev.squall.program.Buffer;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.StepProgram.Param;
import dev.squall.program.Task;
import dev.squall.program.Task.Summary;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW over a step program's parameters with global-norm clipping, as one stage: sum the squared
 * gradients, derive the clip scale, update every tensor. The per-step values (learning rate, step
 * count) live in small "hyper" buffers the host rewrites each step, never in task constants, so an
 * accelerator backend can keep its compiled stage.
 */
public final class AdamWOptimizer {
    public final Stage stage = new Stage("optimizer");
    public final Buffer gradSq;
    final Buffer hyperDecay, hyperNoDecay;
    final List<Buffer> state = new ArrayList<>();
    final TrainConfig cfg;

    public AdamWOptimizer(StepProgram program, TrainConfig cfg) {
        this.cfg = cfg;
        gradSq = program.floats("optim.grad_sq", Role.OUTPUT, 1);
        hyperDecay = program.floats("optim.hyper.decay", Role.INPUT, AdamW.HYPER_SIZE);
        hyperNoDecay = program.floats("optim.hyper.no_decay", Role.INPUT, AdamW.HYPER_SIZE);
        stage.add(new Task.Zero(gradSq));
        for (Param p : program.params()) {
            stage.add(new Task.Summarize(Summary.ADD_SUM_SQUARES, gradSq, 0, p.grad(), p.value().size(), 1));
        }
        stage.add(new Task.ClipScale(gradSq, new Buffer[] {hyperDecay, hyperNoDecay}, (float) cfg.gradClip));
        for (Param p : program.params()) {
            Buffer m = program.floats(p.name() + ".adam_m", Role.OPTIMIZER, p.value().shape);
            Buffer v = program.floats(p.name() + ".adam_v", Role.OPTIMIZER, p.value().shape);
            state.add(m);
            state.add(v);
            stage.add(new Task.AdamWUpdate(p.value(), p.grad(), m, v, p.decay() ? hyperDecay : hyperNoDecay));
        }
    }

    /** Writes the step's hyperparameters (step is 0-based; Adam's bias correction uses step + 1). */
    public void prepare(int step) {
        float lr = (float) cfg.learningRate(step);
        for (Buffer h : new Buffer[] {hyperDecay, hyperNoDecay}) {
            h.f[AdamW.LR] = lr;
            h.f[AdamW.BETA1] = (float) cfg.beta1;
            h.f[AdamW.BETA2] = (float) cfg.beta2;
            h.f[AdamW.EPS] = (float) cfg.adamEps;
            h.f[AdamW.WEIGHT_DECAY] = h == hyperDecay ? (float) cfg.weightDecay : 0f;
            h.f[AdamW.STEP] = step + 1;
            h.f[AdamW.GRAD_SCALE] = 1f;
        }
    }

    public Buffer[] hypers() { return new Buffer[] {hyperDecay, hyperNoDecay}; }

    public List<Buffer> state() { return state; }
}
