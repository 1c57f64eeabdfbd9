package dev.squall.train;

import dev.squall.data.ByteCorpus;
import dev.squall.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small models and a small corpus for tests that train. */
public final class TinyRuns {
    private TinyRuns() {}

    /** A few kilobytes of regular text: a tiny model's loss falls on it within tens of steps. */
    public static ByteCorpus corpus(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            sb.append("the quick brown fox jumps over the lazy dog ").append(i % 7).append(". ");
            if (i % 5 == 0) sb.append("pack my box with five dozen liquor jugs.\n");
        }
        Path file = dir.resolve("corpus.txt");
        Files.writeString(file, sb.toString());
        return ByteCorpus.fromPath(file, 1 << 20);
    }

    public static ModelConfig model() {
        ModelConfig c = ModelConfig.tiny();
        c.dModel = 32;
        c.nLayers = 2;
        c.nHeads = 4;
        c.nKvHeads = 2;
        c.ffnHidden = 64;
        c.seqLen = 32;
        return c;
    }

    public static TrainConfig train(int steps) {
        TrainConfig t = TrainConfig.preset("tiny");
        t.batch = 4;
        t.steps = steps;
        t.lr = 1e-2;
        t.warmupSteps = 3;
        t.evalEvery = steps;
        t.evalBatches = 2;
        t.checkpointEvery = steps;
        return t;
    }
}
