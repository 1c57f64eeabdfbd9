package dev.squall.train;

import dev.squall.program.Buffer;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Hyper;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.StepProgram.Param;
import dev.squall.program.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW over a step program's parameters with global-norm clipping, as one stage: sum the squared
 * gradients, derive the clip scale, update every tensor. The per-step values (learning rate, step
 * count) live in small "hyper" buffers the host rewrites each step, never in task constants, so an
 * accelerator backend can keep its compiled stage.
 */
public final class AdamWOptimizer implements Optimizer {
    public final Stage stage = new Stage("optimizer");
    public final Buffer gradSq;
    final Buffer hyperDecay, hyperNoDecay;
    final List<Buffer> state = new ArrayList<>();
    final TrainConfig cfg;

    public AdamWOptimizer(StepProgram program, TrainConfig cfg) {
        this.cfg = cfg;
        gradSq = program.floats("optim.grad_sq", Role.OUTPUT, 1);
        hyperDecay = program.floats("optim.hyper.decay", Role.INPUT, Hyper.SIZE);
        hyperNoDecay = program.floats("optim.hyper.no_decay", Role.INPUT, Hyper.SIZE);
        Optimizer.addClipping(stage, program, gradSq, new Buffer[] {hyperDecay, hyperNoDecay}, cfg.gradClip);
        for (Param p : program.params()) {
            Buffer[] mv = Optimizer.adamMoments(program, p, state);
            stage.add(new Task.AdamWUpdate(p.value(), p.grad(), mv[0], mv[1], p.decay() ? hyperDecay : hyperNoDecay));
        }
    }

    /** Writes the step's hyperparameters (step is 0-based; Adam's bias correction uses step + 1). */
    @Override public void prepare(int step) {
        float lr = (float) cfg.learningRate(step);
        Hyper.setAdamW(hyperDecay.f, lr, (float) cfg.beta1, (float) cfg.beta2, (float) cfg.adamEps,
                (float) cfg.weightDecay, step + 1, 1f);
        Hyper.setAdamW(hyperNoDecay.f, lr, (float) cfg.beta1, (float) cfg.beta2, (float) cfg.adamEps, 0f, step + 1, 1f);
    }

    @Override public Stage stage() { return stage; }

    @Override public Buffer[] hypers() { return new Buffer[] {hyperDecay, hyperNoDecay}; }

    @Override public List<Buffer> state() { return state; }

    @Override public Buffer gradSq() { return gradSq; }
}
