package dev.squall.cli;

import dev.squall.data.ByteCorpus;
import dev.squall.model.ConfigException;
import dev.squall.model.ConfigFields;
import dev.squall.program.Backend;
import dev.squall.train.Checkpoint;
import dev.squall.train.MemoryEstimate;
import dev.squall.train.RunDirectory;
import dev.squall.train.Trainer;
import dev.squall.train.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a model on byte-level text (the JDK's own sources by default).",
                "Prints val_loss=<number> and tokens_per_s=<number>. The run directory gets",
                "config.json, metrics.jsonl, checkpoint.safetensors, summary.json and PNG plots.",
                "Ctrl-C saves a checkpoint; --resume continues it.", ""})
final class TrainCommand implements Callable<Integer> {
    @Mixin ModelOptions options;

    @Option(names = "--data", paramLabel = "PATH", description = "A text file or a directory of text files (default: this JDK's lib/src.zip).")
    Path data;

    @Option(names = "--out", paramLabel = "RUN_DIR", description = "Run directory (default: runs/<preset>).")
    Path out;

    @Mixin BackendOption backend;

    @Option(names = "--resume", description = {"Continue the run in --out from its checkpoint, with its own configuration and",
            "data; give only what should change (e.g. --steps N to train a finished run further)."})
    boolean resume;

    @Override
    public Integer call() throws Exception {
        Path runDir = out != null ? out : Path.of("runs", options.presetName());
        if (resume) return resumeRun(runDir);
        options.resolve();
        MemoryEstimate.require(options.model, options.train);
        try (RunDirectory dir = RunDirectory.lock(runDir)) {
            List<String> earlier = dir.earlierRunFiles();
            if (!earlier.isEmpty()) {
                throw new ConfigException(runDir + " already holds a run (" + String.join(", ", earlier) + "); "
                        + (dir.hasCheckpoint() ? "continue it with --resume or choose another --out"
                        : "it saved no checkpoint to continue from: delete the directory or choose another --out"));
            }
            return train(dir, null);
        }
    }

    /**
     * --resume: the run's own configuration from its checkpoint, with only the settings given here
     * changed. A finished run stays as it is unless --steps asks for more.
     */
    private int resumeRun(Path runDir) throws Exception {
        Path ckpt = TrainingRun.checkpointFile(runDir);
        if (!Files.exists(ckpt)) {
            throw new ConfigException("--resume: no checkpoint at " + ckpt + "; train without --resume first");
        }
        try (RunDirectory dir = RunDirectory.lock(runDir)) {
            Checkpoint.Opened saved = Checkpoints.open(ckpt);
            if (options.preset != null) {
                System.out.println("--preset " + options.preset + " is ignored with --resume: the run's own configuration"
                        + " is the starting point");
            }
            Map<String, Object> before = ConfigFields.toMap(saved.train());
            options.resolveOnto(saved.model().copy(), saved.train().copy());
            Checkpoint.requireSameModel(saved, options.model);
            int done = saved.step(), steps = options.train.steps;
            if (steps < done) {
                throw new ConfigException("--steps " + steps + " is below the " + done + " steps " + runDir
                        + " has already trained; a run cannot be shortened: pass --steps " + done + " or more");
            }
            if (steps == done) {
                System.out.println(runDir + " is finished (step " + done + " of " + steps + "); nothing was changed."
                        + " To train further, pass --resume --steps N with N > " + done);
                return 0;
            }
            Map<String, Object> after = ConfigFields.toMap(options.train);
            for (String key : after.keySet()) {
                if (!String.valueOf(before.get(key)).equals(String.valueOf(after.get(key)))) {
                    System.out.println("resume: " + key + " " + before.get(key) + " -> " + after.get(key)
                            + (key.equals("steps") ? " (the learning-rate schedule now ends at step " + steps + ")" : ""));
                }
            }
            MemoryEstimate.require(options.model, options.train);
            if (data == null) data = saved.data();
            return train(dir, saved);
        }
    }

    private int train(RunDirectory dir, Checkpoint.Opened resumeFrom) throws Exception {
        for (String note : dir.notes()) System.out.println(note);
        Path runDir = dir.path();
        ByteCorpus corpus = ByteCorpus.load(data, options.train.dataCapBytes);
        System.out.println("data: " + corpus);
        try (Backend b = backend.create()) {
            Trainer trainer = new Trainer(options.model, options.train, b, corpus);
            System.out.printf("model: %s, %,d parameters, %s placement, attention norm %s; backend %s%n",
                    options.model.norm, trainer.program.parameterCount(), options.model.placement,
                    options.model.attnNorm, b.name());
            if (options.model.experts > 0) {
                System.out.printf("moe: %d experts, top_k %d, router %s%s, every %d block(s); %,d parameters active per token%n",
                        options.model.experts, options.model.topK, options.model.router,
                        options.model.sharedExpert ? " + shared expert" : "", options.model.moeEvery,
                        trainer.model.activeParameterCount());
            }
            TrainingRun run = new TrainingRun(trainer, dir, System.out);
            Thread hook = new Thread(() -> {
                run.requestStop();
                try {
                    run.awaitFinish(120);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            TrainingRun.Summary s = run.run(resumeFrom);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C arrived: the hook is waiting for us and the JVM exits when we return.
            }
            PlotCommand.plotRun(runDir);
            System.out.printf("done: steps=%d loss=%.6f val_loss=%.6f tokens_per_s=%.0f seconds=%.1f run=%s%n",
                    s.steps(), s.loss(), s.valLoss(), s.tokensPerSecond(), s.seconds(), runDir);
            return s.interrupted() ? 130 : 0;
        }
    }
}
