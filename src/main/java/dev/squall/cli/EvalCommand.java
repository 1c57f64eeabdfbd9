package dev.squall.cli;

import dev.squall.data.ByteCorpus;
import dev.squall.io.SafeTensors;
import dev.squall.program.Backend;
import dev.squall.train.Checkpoint;
import dev.squall.train.TrainConfig;
import dev.squall.train.Trainer;
import dev.squall.train.TrainingRun;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Validation loss of a run's checkpoint. Prints val_loss=<number> (nats per byte).")
final class EvalCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A directory written by squall train.")
    Path runDir;

    @Option(names = "--data", paramLabel = "PATH", description = "Text to evaluate on (default: this JDK's sources).")
    Path data;

    @Option(names = "--batches", defaultValue = "16", description = "Validation batches (default: ${DEFAULT-VALUE}).")
    int batches;

    @Mixin BackendOption backend;

    @Override
    public Integer call() throws Exception {
        Path ckpt = TrainingRun.existingCheckpoint(runDir);
        SafeTensors st = SafeTensors.read(ckpt);
        TrainConfig tc = Checkpoint.trainConfig(st);
        tc.evalBatches = batches;
        ByteCorpus corpus = ByteCorpus.load(data, tc.dataCapBytes);
        try (Backend b = backend.create()) {
            Trainer t = new Trainer(Checkpoint.modelConfig(st), tc, b, corpus);
            Checkpoint.load(ckpt, t);
            System.out.printf("step=%d val_loss=%.4f%n", t.step(), t.validate());
        }
        return 0;
    }
}
