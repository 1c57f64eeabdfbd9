package dev.squall.train;

import dev.squall.data.Batcher;
import dev.squall.data.ByteCorpus;
import dev.squall.model.ModelConfig;
import dev.squall.model.Transformer;
import dev.squall.program.Backend;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;

/**
 * The training loop's body, backend-agnostic: a step is zero-grad, then per micro-batch forward,
 * fused loss + head backward, block backwards, then one optimizer stage. Only token ids go to the
 * backend and only the loss, the clip statistic and the per-layer metrics come back.
 */
public final class Trainer {
    public final Transformer model;
    public final StepProgram program;
    public final TrainConfig train;
    public final Backend backend;
    public final Optimizer optimizer;
    /** The peak learning rate the schedule scales: {@code lr}, or under hyperp the transferred η. */
    public final double peakLr;
    /** Lines worth printing when a run starts (settings an optimizer overrides, its effective rate). */
    public final java.util.List<String> startNotes = new java.util.ArrayList<>();
    /** The --data path the run trains on (null: the JDK's sources), recorded in checkpoints for --resume. */
    public final java.nio.file.Path dataPath;
    final Batcher trainBatches;
    final Batcher validationBatches;
    final int refreshEvery;
    private int step;

    /** What one optimizer step produced. */
    public record StepResult(int step, double loss, double lr, double gradNorm, float[] metrics, long nanos, int tokens) {
        public double tokensPerSecond() { return tokens / (nanos / 1e9); }
    }

    public Trainer(ModelConfig modelConfig, TrainConfig trainConfig, Backend backend, ByteCorpus corpus) {
        this.train = trainConfig.validate().copy();
        if (train.optimizer == TrainConfig.OptimizerKind.HYPERP) applyHyperPSchedule();
        // branch_scale null means 1/sqrt(2L) under hyperp (MODEL.md): resolved here, where both
        // configurations are known, so the run's config.json and checkpoint record the number.
        this.model = new Transformer(modelConfig.withBranchScaleFor(train.optimizer == TrainConfig.OptimizerKind.HYPERP),
                train.batch);
        this.program = model.program;
        this.backend = backend;
        model.buildLoss(train.accumSteps);
        this.optimizer = Optimizer.create(program, train, model.cfg);
        this.peakLr = optimizer instanceof HyperPOptimizer h ? h.peakLr : train.lr;
        if (optimizer instanceof HyperPOptimizer) {
            startNotes.add(String.format("hyperp: lr %.4g from the transfer rule (base lr %.4g, %d layers, %d tokens per step, %d steps)",
                    peakLr, train.lr, model.cfg.nLayers, (long) train.batch * model.T * train.accumSteps, train.steps));
        }
        model.initialize();
        this.refreshEvery = model.cfg.bhytRefreshEvery(train.steps);
        this.dataPath = corpus.origin();
        this.trainBatches = corpus.trainBatcher(train.batch, model.T, train.dataSeed);
        this.validationBatches = corpus.validationBatcher(train.batch, model.T);
        program.register(optimizer.stage());
        program.register(model.refreshConstants);
        backend.load(program);
        refreshConstants();
    }

    public int step() { return step; }

    /**
     * HyperP fixes its schedule (SPEC §6.5): no warm-up, linear decay to 0.1·η, weight decay 0
     * (SPEC §6.2). Other values are overridden with one note naming them.
     */
    private void applyHyperPSchedule() {
        java.util.List<String> changed = new java.util.ArrayList<>();
        if (train.warmupSteps != 0) changed.add("warmup_steps " + train.warmupSteps + " -> 0");
        if (train.schedule != TrainConfig.Schedule.LINEAR) changed.add("schedule " + train.schedule + " -> linear");
        if (train.minLrFraction != 0.1) changed.add("min_lr_fraction " + train.minLrFraction + " -> 0.1");
        if (train.weightDecay != 0) changed.add("weight_decay " + train.weightDecay + " -> 0");
        train.warmupSteps = 0;
        train.schedule = TrainConfig.Schedule.LINEAR;
        train.minLrFraction = 0.1;
        train.weightDecay = 0;
        if (!changed.isEmpty()) startNotes.add("hyperp overrides " + String.join(", ", changed) + " (SPEC §6.2, §6.5)");
    }

    /** One optimizer step over {@code accumSteps} micro-batches drawn from the training split. */
    public StepResult trainStep() {
        return trainStep(trainBatches::next);
    }

    /** Fills a micro-batch's token ids and targets, each (B, T). */
    @FunctionalInterface
    public interface BatchSource {
        void next(int[] tokens, int[] targets);
    }

    /** One optimizer step over {@code accumSteps} micro-batches from {@code batches}. */
    public StepResult trainStep(BatchSource batches) {
        long start = System.nanoTime();
        if (step > 0 && step % refreshEvery == 0) refreshConstants();
        backend.run(program.zeroGrad);
        double lossSum = 0;
        float[] metrics = null;
        for (int micro = 0; micro < train.accumSteps; micro++) {
            batches.next(program.tokens.i, program.targets.i);
            backend.upload(program.tokens, program.targets);
            for (Stage s : program.forward) backend.run(s);
            backend.run(program.trainLoss);
            backend.download(program.loss);
            backend.download(model.metricBuffers());
            double loss = program.loss.f[0];
            if (!Double.isFinite(loss)) throw Diverged.atLoss(step, loss, program, model);
            metrics = model.metricValues();
            String bad = Diverged.firstNonFiniteMetric(program.metricNames, metrics);
            if (bad != null) throw Diverged.atMetric(step, loss, bad);
            lossSum += loss;
            for (Stage s : program.backward) backend.run(s);
        }
        optimizer.prepare(step);
        backend.upload(optimizer.hypers());
        backend.run(optimizer.stage());
        backend.download(optimizer.gradSq());
        double gradNorm = Math.sqrt(optimizer.gradSq().f[0]);
        if (!Double.isFinite(gradNorm)) throw Diverged.atGradient(step, program, backend);
        double lr = train.optimizer == TrainConfig.OptimizerKind.ADAMW ? train.learningRate(step)
                : peakLr * train.scheduleFactor(step);
        step++;
        return new StepResult(step, lossSum / train.accumSteps, lr, gradNorm, metrics, System.nanoTime() - start,
                model.N * train.accumSteps);
    }

    /** Mean loss over the first {@code evalBatches} validation batches (the same ones every time). */
    public double validate() {
        validationBatches.reset();
        double sum = 0;
        for (int i = 0; i < train.evalBatches; i++) {
            validationBatches.next(program.tokens.i, program.targets.i);
            backend.upload(program.tokens, program.targets);
            for (Stage s : program.forward) backend.run(s);
            backend.run(program.evalLoss);
            backend.download(program.loss);
            sum += program.loss.f[0];
        }
        return sum / train.evalBatches;
    }

    /** BHyT's c_attn from the current weights (SPEC §4.1 step 4); a no-op for other norms. */
    void refreshConstants() {
        if (!model.refreshConstants.tasks.isEmpty()) backend.run(model.refreshConstants);
    }

    long[] dataState() { return trainBatches.state(); }

    void restore(int step, long[] dataState) {
        this.step = step;
        trainBatches.restore(dataState);
    }

    /** Buffers a checkpoint holds: parameters, optimizer moments and model state such as c_attn. */
    public java.util.List<Buffer> persistentBuffers() {
        java.util.List<Buffer> out = new java.util.ArrayList<>();
        for (Buffer b : program.buffers().values()) {
            if (b.role == Buffer.Role.PARAM || b.role == Buffer.Role.OPTIMIZER || b.role == Buffer.Role.STATE) out.add(b);
        }
        return out;
    }
}
