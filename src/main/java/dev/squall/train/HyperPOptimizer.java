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
 * {@code optimizer = hyperp} (MODEL.md "Optimizers", SPEC §6.1-§6.5): MuonH on the matrices, every
 * one kept on the Frobenius sphere of its initial radius (one radius per expert stack); an untied
 * {@code lm_head} takes Adam on the sphere; {@code tok_emb}, gains and scalars take AdamW without
 * weight decay. Every group runs at the transferred rate η times the schedule's factor. The
 * {@link Trainer} forces what HyperP fixes (no warm-up, linear decay to 0.1·η, weight decay 0).
 */
public final class HyperPOptimizer implements Optimizer {
    final Stage stage = new Stage("optimizer");
    final Buffer gradSq, hyperAdam, hyperMuon, norms;
    final List<Buffer> state = new ArrayList<>();
    final TrainConfig cfg;
    /** η, the peak rate from the transfer rule. */
    public final double peakLr;

    public HyperPOptimizer(StepProgram program, TrainConfig cfg, double peakLr) {
        this.cfg = cfg;
        this.peakLr = peakLr;
        gradSq = program.floats("optim.grad_sq", Role.OUTPUT, 1);
        hyperAdam = program.floats("optim.hyper.adam", Role.INPUT, Hyper.SIZE);
        hyperMuon = program.floats("optim.hyper.muon", Role.INPUT, Hyper.SIZE);
        norms = program.floats("optim.sphere.norms", Role.ACTIVATION, Hyper.SphereNorms.SIZE);
        Optimizer.addClipping(stage, program, gradSq, hypers(), cfg.gradClip);
        List<Param> matrices = program.params().stream().filter(Optimizer::isMatrix).toList();
        int largest = 1;
        for (Param p : program.params()) if (p.name().equals("lm_head")) largest = p.value().size();
        MuonDirections directions = new MuonDirections(program, matrices, largest);
        for (Param p : program.params()) {
            int n = p.value().size();
            if (matrices.contains(p)) {
                state.add(directions.addDirection(stage, program, p, hyperMuon));
                addSphereStep(p.value(), directions.ortho, hyperMuon, n);
            } else {
                Buffer[] mv = Optimizer.adamMoments(program, p, state);
                Buffer m = mv[0], v = mv[1];
                if (p.name().equals("lm_head")) {
                    stage.add(new Task.SphereAdamDirection(directions.ortho, m, v, p.grad(), hyperAdam, n));
                    addSphereStep(p.value(), directions.ortho, hyperAdam, n);
                } else {
                    stage.add(new Task.AdamWUpdate(p.value(), p.grad(), m, v, hyperAdam));
                }
            }
        }
    }

    /** Decay, radius, step of relative length η, retraction to the radius (SPEC §6.2). */
    private void addSphereStep(Buffer param, Buffer direction, Buffer hyper, int n) {
        stage.add(new Task.SphereDecay(param, hyper, n));
        stage.add(new Task.SphereSumSquares(norms, Hyper.SphereNorms.RADIUS_SQ, param, n));
        stage.add(new Task.SphereSumSquares(norms, Hyper.SphereNorms.DIRECTION_SQ, direction, n));
        stage.add(new Task.SphereStep(param, direction, norms, hyper, n));
        stage.add(new Task.SphereSumSquares(norms, Hyper.SphereNorms.STEPPED_SQ, param, n));
        stage.add(new Task.SphereRetract(param, norms, n));
    }

    /**
     * SPEC §6.5: η = lr·sqrt(B/B₀)·sqrt(d₀/d)·(T/T₀)^(−0.32), with B the tokens per optimizer step
     * (batch·seq_len·accum_steps), d the depth and T = steps·B the run's tokens.
     */
    public static double transferredLr(TrainConfig cfg, int nLayers, int seqLen) {
        double tokensPerStep = (double) cfg.batch * seqLen * cfg.accumSteps;
        double runTokens = tokensPerStep * cfg.steps;
        return cfg.lr * Math.sqrt(tokensPerStep / cfg.hyperpBaseBatch) * Math.sqrt((double) cfg.hyperpBaseDepth / nLayers)
                * Math.pow(runTokens / cfg.hyperpBaseTokens, -0.32);
    }

    @Override public void prepare(int step) {
        float lr = (float) (peakLr * cfg.scheduleFactor(step));
        Hyper.setAdamW(hyperAdam.f, lr, (float) cfg.beta1, (float) cfg.beta2, (float) cfg.adamEps, 0f, step + 1, 1f);
        Hyper.setMuon(hyperMuon.f, lr, (float) cfg.muonMomentum, (float) cfg.weightDecay, step + 1, 1f);
    }

    @Override public Stage stage() { return stage; }

    @Override public Buffer[] hypers() { return new Buffer[] {hyperAdam, hyperMuon}; }

    @Override public List<Buffer> state() { return state; }

    @Override public Buffer gradSq() { return gradSq; }
}
