package dev.squall.train;

import dev.squall.io.Json;
import dev.squall.model.ConfigFields;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A whole training run in a locked {@link RunDirectory}: the loop around {@link Trainer} with
 * progress, validation, metrics, periodic atomic checkpoints, resume, Ctrl-C (saves, then exits)
 * and the stop on divergence (keeps the last good checkpoint untouched).
 *
 * <p>Run directory: {@code config.json}, {@code metrics.jsonl}, {@code checkpoint.safetensors},
 * {@code summary.json}, {@code run.lock}.
 */
public final class TrainingRun {
    public static final String CHECKPOINT = RunDirectory.CHECKPOINT;
    /** Steps the loss may stay far above an untrained model's before the run warns that it is not learning. */
    static final int NOT_LEARNING_STEPS = 50;
    /** "Far above": this many nats over ln(vocab), the loss of a model that predicts nothing. */
    static final double NOT_LEARNING_MARGIN = 1.0;

    /** The final numbers of a run (also printed as {@code key=value} for scripts). */
    public record Summary(int steps, double loss, double valLoss, double tokensPerSecond, double seconds, boolean interrupted) {}

    private final Trainer trainer;
    private final RunDirectory dir;
    private final PrintStream out;
    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);

    public TrainingRun(Trainer trainer, RunDirectory dir, PrintStream out) {
        this.trainer = trainer;
        this.dir = dir;
        this.out = out;
    }

    public static Path checkpointFile(Path runDir) { return runDir.resolve(CHECKPOINT); }

    /** The run's checkpoint, or a one-line error when there is none. */
    public static Path existingCheckpoint(Path runDir) {
        Path ckpt = checkpointFile(runDir);
        if (!Files.exists(ckpt)) {
            throw new dev.squall.model.ConfigException(runDir + " has no " + CHECKPOINT
                    + "; pass a run directory written by squall train");
        }
        return ckpt;
    }

    /** Asks the loop to stop after the current step (it saves a checkpoint first). */
    public void requestStop() { stopRequested = true; }

    /** For a shutdown hook: wait until the loop has saved and returned. */
    public void awaitFinish(long seconds) throws InterruptedException { finished.await(seconds, TimeUnit.SECONDS); }

    /** A fresh run, or with {@code resume} a continuation of the directory's checkpoint. */
    public Summary run(boolean resume) throws IOException {
        return run(resume ? Checkpoint.open(dir.checkpoint()) : null);
    }

    /** A fresh run ({@code resumeFrom} null) or a continuation of a checkpoint already opened and verified. */
    public Summary run(Checkpoint.Opened resumeFrom) throws IOException {
        try {
            return loop(resumeFrom);
        } finally {
            finished.countDown();
        }
    }

    private Summary loop(Checkpoint.Opened resumeFrom) throws IOException {
        TrainConfig tc = trainer.train;
        Path ckpt = dir.checkpoint();
        if (resumeFrom != null) {
            Checkpoint.load(resumeFrom, trainer);
            out.println("resumed " + ckpt + " at step " + trainer.step());
        }
        writeConfig();
        for (String note : trainer.startNotes) out.println(note);
        int first = trainer.step();
        Progress progress = new Progress(out, first, tc.steps);
        double lastVal = Double.NaN, lastLoss = Double.NaN, tokens = 0, seconds = 0;
        double notLearningAbove = Math.log(trainer.model.cfg.vocabSize) + NOT_LEARNING_MARGIN;
        int stepsAbove = 0;
        long runStart = System.nanoTime();
        boolean interrupted = false;
        try (MetricsLog log = new MetricsLog(dir.path(), resumeFrom != null ? first : -1)) {
            if (first == 0) {
                lastVal = validate(0);
                log.validation(0, lastVal);
                progress.println(String.format("step 0 val_loss=%.4f", lastVal));
            }
            while (trainer.step() < tc.steps) {
                if (stopRequested) {
                    interrupted = true;
                    break;
                }
                Trainer.StepResult r = trainer.trainStep();
                lastLoss = r.loss();
                tokens += r.tokens();
                seconds += r.nanos() / 1e9;
                log.step(r, trainer.program.metricNames);
                stepsAbove = r.loss() > notLearningAbove ? stepsAbove + 1 : 0;
                if (stepsAbove == NOT_LEARNING_STEPS) {
                    progress.println(String.format("warning: the loss has stayed above ln(%d) + %.0f = %.2f for %d steps"
                                    + " (now %.3f; a model that has learned nothing scores ln(%d) = %.2f): the run is not"
                                    + " learning; lower --lr or raise warm-up", trainer.model.cfg.vocabSize,
                            NOT_LEARNING_MARGIN, notLearningAbove, NOT_LEARNING_STEPS, r.loss(), trainer.model.cfg.vocabSize,
                            Math.log(trainer.model.cfg.vocabSize)));
                }
                boolean last = r.step() == tc.steps;
                if (r.step() % tc.evalEvery == 0 || last) {
                    lastVal = validate(r.step());
                    log.validation(r.step(), lastVal);
                    progress.println(String.format("step %d loss=%.4f val_loss=%.4f lr=%.3g grad_norm=%.3f tokens_per_s=%.0f",
                            r.step(), r.loss(), lastVal, r.lr(), r.gradNorm(), tokens / seconds));
                }
                if (r.step() % tc.checkpointEvery == 0 || last) Checkpoint.save(ckpt, trainer);
                progress.update(r.step(), r.loss(), lastVal, tokens / seconds);
            }
            progress.finish();
            if (interrupted) {
                Checkpoint.save(ckpt, trainer);
                progress.println("interrupted at step " + trainer.step() + ": checkpoint saved to " + ckpt
                        + "; continue with --resume");
            }
        } catch (Diverged d) {
            progress.println("");
            throw new Diverged(d.step, d.getMessage() + (Files.exists(ckpt) ? "; last good checkpoint kept: " + ckpt
                    + savedStep(ckpt) : "; no checkpoint was written yet"));
        }
        double wall = (System.nanoTime() - runStart) / 1e9;
        Summary s = new Summary(trainer.step(), lastLoss, lastVal, seconds > 0 ? tokens / seconds : 0, wall, interrupted);
        writeSummary(s);
        return s;
    }

    /** " (step N)" of a checkpoint, or nothing when it cannot be read: the divergence message must not fail. */
    private static String savedStep(Path ckpt) {
        try {
            return " (step " + Checkpoint.open(ckpt).step() + ")";
        } catch (IOException | RuntimeException unreadable) {
            return "";
        }
    }

    /** Validation loss after {@code step} steps; a non-finite one is a divergence like any other. */
    private double validate(int step) {
        double v = trainer.validate();
        if (!Double.isFinite(v)) {
            throw new Diverged(step, "validation loss is " + v + " after step " + step + "; lower --lr or raise warm-up");
        }
        return v;
    }

    private void writeConfig() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", ConfigFields.toMap(trainer.model.cfg));
        m.put("train", ConfigFields.toMap(trainer.train));
        m.put("backend", trainer.backend.name());
        m.put("data", trainer.dataPath == null ? Checkpoint.JDK_SOURCES : trainer.dataPath.toString());
        Files.writeString(dir.config(), Json.writePretty(m) + "\n");
    }

    private void writeSummary(Summary s) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", s.steps());
        m.put("loss", MetricsLog.finite(s.loss()));
        m.put("val_loss", MetricsLog.finite(s.valLoss()));
        m.put("tokens_per_s", s.tokensPerSecond());
        m.put("seconds", s.seconds());
        m.put("interrupted", s.interrupted());
        Files.writeString(dir.summary(), Json.writePretty(m) + "\n");
    }
}
