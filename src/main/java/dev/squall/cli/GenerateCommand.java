package dev.squall.cli;

import dev.squall.model.ConfigException;
import dev.squall.program.Backend;
import dev.squall.train.Checkpoint;
import dev.squall.train.Generator;
import dev.squall.train.TrainingRun;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a prompt with a trained model (byte-level sampling with a KV cache).",
                "Past the context window the newest 7/8 of it is kept: see the README, \"Generation\"."})
final class GenerateCommand implements Callable<Integer> {
    /** Above this a temperature samples uniformly in all but name: a typo, not a setting. */
    static final double MAX_TEMPERATURE = 100;
    /** Tokens one call may generate (a guard against a mistyped count, not a model limit). */
    static final int MAX_TOKENS = 1 << 24;

    @Parameters(paramLabel = "RUN_DIR", description = "A directory written by squall train.")
    Path runDir;

    @Option(names = "--prompt", defaultValue = "public static void main(", description = "Text to continue (default: \"${DEFAULT-VALUE}\").")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "256", description = "Bytes to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "Sample among the k most likely bytes; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin BackendOption backend;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 0 || maxTokens > MAX_TOKENS) {
            throw new ConfigException("--max-tokens: must be in [0, " + MAX_TOKENS + "], got " + maxTokens);
        }
        if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
            throw new ConfigException("--temperature: must be a number in [0, " + MAX_TEMPERATURE + "] (0 = greedy), got "
                    + temperature);
        }
        Checkpoint.Opened ckpt = Checkpoints.open(TrainingRun.existingCheckpoint(runDir));
        int vocab = ckpt.model().vocabSize;
        if (topK < 0 || topK > vocab) {
            throw new ConfigException("--top-k: must be in [0, " + vocab + "] (0 = all " + vocab + " tokens), got " + topK);
        }
        if (prompt.isEmpty()) throw new ConfigException("--prompt: is empty; pass at least one character");
        byte[] bytes = prompt.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) tokens[i] = bytes[i] & 0xff;
        // Raw bytes: the model speaks UTF-8 byte by byte, and a multi-byte character may span two samples.
        PrintStream out = System.out;
        try (Backend b = backend.create()) {
            Generator g = Generator.fromCheckpoint(ckpt, b);
            out.write(bytes);
            g.generate(tokens, maxTokens, temperature, topK, seed, t -> out.write(t));
            out.println();
        }
        return 0;
    }
}
