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
 * {@code optimizer = muon} (MODEL.md "Optimizers"): the matrices (every rank >= 2 parameter except
 * {@code tok_emb} and {@code lm_head}) take Nesterov momentum, NS5 and the shape-scaled Muon update
 * at {@code muon_lr}; everything else takes AdamW at {@code lr}. Both follow the schedule's factor;
 * weight decay {@code weight_decay} on the matrices, and on AdamW's decayed tensors as under adamw.
 * Clipping comes first, over every gradient.
 */
public final class MuonOptimizer implements Optimizer {
    final Stage stage = new Stage("optimizer");
    final Buffer gradSq, hyperDecay, hyperNoDecay, hyperMuon;
    final List<Buffer> state = new ArrayList<>();
    final TrainConfig cfg;

    public MuonOptimizer(StepProgram program, TrainConfig cfg) {
        this.cfg = cfg;
        gradSq = program.floats("optim.grad_sq", Role.OUTPUT, 1);
        hyperDecay = program.floats("optim.hyper.decay", Role.INPUT, Hyper.SIZE);
        hyperNoDecay = program.floats("optim.hyper.no_decay", Role.INPUT, Hyper.SIZE);
        hyperMuon = program.floats("optim.hyper.muon", Role.INPUT, Hyper.SIZE);
        Optimizer.addClipping(stage, program, gradSq, hypers(), cfg.gradClip);
        List<Param> matrices = program.params().stream().filter(Optimizer::isMatrix).toList();
        MuonDirections directions = new MuonDirections(program, matrices, 1);
        for (Param p : program.params()) {
            if (matrices.contains(p)) {
                state.add(directions.addDirection(stage, program, p, hyperMuon));
                int[] d = MuonDirections.dims(p);
                stage.add(new Task.MuonUpdate(p.value(), directions.ortho, hyperMuon, p.value().size(),
                        Task.MuonUpdate.shapeFactor(d[1], d[2])));
            } else {
                Buffer[] mv = Optimizer.adamMoments(program, p, state);
                stage.add(new Task.AdamWUpdate(p.value(), p.grad(), mv[0], mv[1], p.decay() ? hyperDecay : hyperNoDecay));
            }
        }
    }

    @Override public void prepare(int step) {
        double factor = cfg.scheduleFactor(step);
        float lr = (float) (cfg.lr * factor);
        Hyper.setAdamW(hyperDecay.f, lr, (float) cfg.beta1, (float) cfg.beta2, (float) cfg.adamEps,
                (float) cfg.weightDecay, step + 1, 1f);
        Hyper.setAdamW(hyperNoDecay.f, lr, (float) cfg.beta1, (float) cfg.beta2, (float) cfg.adamEps, 0f, step + 1, 1f);
        Hyper.setMuon(hyperMuon.f, (float) (cfg.muonLr * factor), (float) cfg.muonMomentum, (float) cfg.weightDecay,
                step + 1, 1f);
    }

    @Override public Stage stage() { return stage; }

    @Override public Buffer[] hypers() { return new Buffer[] {hyperDecay, hyperNoDecay, hyperMuon}; }

    @Override public List<Buffer> state() { return state; }

    @Override public Buffer gradSq() { return gradSq; }
}
