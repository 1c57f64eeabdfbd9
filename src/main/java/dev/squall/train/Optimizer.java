package dev.squall.train;

import dev.squall.model.ModelConfig;
import dev.squall.program.Buffer;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.StepProgram.Param;
import dev.squall.program.Task;
import dev.squall.program.Task.Summary;
import java.util.List;

/**
 * One optimizer step as one stage over a step program's parameters (MODEL.md "Training step",
 * "Optimizers"). The host writes only the small hyper arrays each step; every norm, moment and
 * direction stays where the stage runs.
 */
public interface Optimizer {
    /** The tasks of one step: clipping statistic, clip scale, then every tensor's update. */
    Stage stage();

    /** Writes the step's hyperparameters into {@link #hypers()} (step is 0-based). */
    void prepare(int step);

    /** The per-step arrays the host rewrites and uploads before each {@link #stage()}. */
    Buffer[] hypers();

    /** Persistent optimizer state (moments, momentum), all with {@link Role#OPTIMIZER}. */
    List<Buffer> state();

    /** The squared global gradient norm of the last step, before clipping, in {@code [0]}. */
    Buffer gradSq();

    /** The optimizer a training configuration names, with its peak learning rate. */
    static Optimizer create(StepProgram program, TrainConfig cfg, ModelConfig model) {
        return switch (cfg.optimizer) {
            case ADAMW -> new AdamWOptimizer(program, cfg);
            case MUON -> new MuonOptimizer(program, cfg);
            case HYPERP -> new HyperPOptimizer(program, cfg, HyperPOptimizer.transferredLr(cfg, model.nLayers, model.seqLen));
        };
    }

    /** Is this parameter one of the matrices Muon and MuonH own: rank >= 2 except the embedding and LM head. */
    static boolean isMatrix(Param p) {
        return p.value().shape.length >= 2 && !p.name().equals("tok_emb") && !p.name().equals("lm_head");
    }

    /** Adam's moments of one tensor ({@code name.adam_m}, {@code name.adam_v}), registered as optimizer state. */
    static Buffer[] adamMoments(StepProgram program, StepProgram.Param p, List<Buffer> state) {
        Buffer m = program.floats(p.name() + ".adam_m", Buffer.Role.OPTIMIZER, p.value().shape);
        Buffer v = program.floats(p.name() + ".adam_v", Buffer.Role.OPTIMIZER, p.value().shape);
        state.add(m);
        state.add(v);
        return new Buffer[] {m, v};
    }

    /** The global-norm clipping prologue every optimizer stage starts with; {@code gradSq} must be an OUTPUT buffer. */
    static void addClipping(Stage stage, StepProgram program, Buffer gradSq, Buffer[] hypers, double gradClip) {
        stage.add(new Task.Zero(gradSq));
        for (Param p : program.params()) {
            stage.add(new Task.Summarize(Summary.ADD_SUM_SQUARES, gradSq, 0, p.grad(), p.value().size(), 1));
        }
        stage.add(new Task.ClipScale(gradSq, hypers, (float) gradClip));
    }
}
