package dev.squall.cli;

import dev.squall.data.ByteCorpus;
import dev.squall.model.ConfigException;
import dev.squall.program.Backend;
import dev.squall.train.Trainer;
import dev.squall.train.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint.")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        options.resolve();
        Path runDir = out != null ? out : Path.of("runs", options.preset);
        Path ckpt = TrainingRun.checkpointFile(runDir);
        if (resume && !Files.exists(ckpt)) {
            throw new ConfigException("--resume: no checkpoint at " + ckpt + "; train without --resume first");
        }
        if (!resume && Files.exists(ckpt)) {
            throw new ConfigException(runDir + " already holds a run (" + ckpt.getFileName()
                    + "); continue it with --resume or choose another --out");
        }
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
            TrainingRun run = new TrainingRun(trainer, runDir, System.out);
            Thread hook = new Thread(() -> {
                run.requestStop();
                try {
                    run.awaitFinish(120);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            TrainingRun.Summary s = run.run(resume);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C arrived: the hook is waiting for us and the JVM exits when we return.
            }
            PlotCommand.plotRun(runDir);
            System.out.printf("done: steps=%d loss=%.4f val_loss=%.4f tokens_per_s=%.0f seconds=%.1f run=%s%n",
                    s.steps(), s.loss(), s.valLoss(), s.tokensPerSecond(), s.seconds(), runDir);
            return s.interrupted() ? 130 : 0;
        }
    }
}
