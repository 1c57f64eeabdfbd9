package dev.squall.cli;

import dev.squall.data.ByteCorpus;
import dev.squall.model.ConfigException;
import dev.squall.program.Backend;
import dev.squall.train.Checkpoint;
import dev.squall.train.Evaluator;
import dev.squall.train.TrainingRun;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Loss of a run's checkpoint on text.",
                "Without --data: the validation split of the run's own training data (prints val_loss=<number>).",
                "With --data FILE|DIR: every window of that text, or --windows N of them spread evenly; prints the",
                "loss in nats per token and per byte, and the token count."})
final class EvalCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A directory written by squall train.")
    Path runDir;

    @Option(names = "--data", paramLabel = "PATH", description = "A text file or directory to measure the model on (any text).")
    Path data;

    @Option(names = "--windows", paramLabel = "N",
            description = "With --data: evaluate N windows spread evenly over the text instead of all of them.")
    Long windows;

    @Option(names = "--batches", defaultValue = "16", description = "Without --data: validation batches (default: ${DEFAULT-VALUE}).")
    int batches;

    @Option(names = "--data-cap", paramLabel = "BYTES", defaultValue = "67108864",
            description = "With --data: read at most this many bytes of text (default: ${DEFAULT-VALUE}).")
    long dataCap;

    @Mixin BackendOption backend;

    @Override
    public Integer call() throws Exception {
        if (batches <= 0) throw new ConfigException("--batches: must be a positive integer, got " + batches);
        if (windows != null && windows <= 0) throw new ConfigException("--windows: must be a positive integer, got " + windows);
        if (dataCap <= 0) throw new ConfigException("--data-cap: must be a positive number of bytes, got " + dataCap);
        Checkpoint.Opened ckpt = Checkpoints.open(TrainingRun.existingCheckpoint(runDir));
        try (Backend b = backend.create()) {
            if (data == null) {
                ByteCorpus corpus = ByteCorpus.load(ckpt.data(), ckpt.train().dataCapBytes);
                double loss = Evaluator.validationLoss(ckpt, corpus, batches, b);
                System.out.printf("step=%d val_loss=%.6f batches=%d data=%s%n", ckpt.step(), loss, batches, corpus.source());
                return 0;
            }
            byte[] text = ByteCorpus.allText(data, dataCap);
            Evaluator.Result r = Evaluator.onText(ckpt, text, windows, b);
            System.out.printf("step=%d loss=%.6f loss_per_byte=%.6f tokens=%d windows=%d of %d%s data=%s%n", ckpt.step(),
                    r.lossPerToken(), r.lossPerByte(), r.tokens(), r.windows(), r.totalWindows(),
                    r.windows() < r.totalWindows() ? " (evenly spaced sample)" : "", data);
            return 0;
        }
    }
}
