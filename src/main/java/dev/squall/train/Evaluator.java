package dev.squall.train;

import dev.squall.data.Batcher;
import dev.squall.data.ByteCorpus;
import dev.squall.model.ConfigException;
import dev.squall.model.Transformer;
import dev.squall.program.Backend;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import java.io.IOException;

/**
 * The loss of a checkpoint's model on text, with no training state involved: the model's weights
 * (and state such as BHyT's c_attn) are loaded, never the optimizer or the batch sampler, so any
 * text can be measured.
 *
 * <pre>
 * Shapes:
 *   B        windows per forward pass (the run's batch)
 *   T        tokens per window (the model's seq_len)
 *   windows  non-overlapping windows of T+1 bytes at offsets 0, T, 2T, ...: together they predict
 *            every byte after the first of (len - 1) / T * T bytes of text, each exactly once
 * </pre>
 */
public final class Evaluator {
    /** Loss over the evaluated windows: nats per token and per byte (the same for byte tokens), and the counts. */
    public record Result(double lossPerToken, double lossPerByte, long tokens, long windows, long totalWindows) {}

    private final Transformer model;
    private final Backend backend;

    private Evaluator(Checkpoint.Opened ckpt, Backend backend) throws IOException {
        this.model = new Transformer(ckpt.model(), ckpt.train().batch);
        this.backend = backend;
        model.buildLoss(1);
        model.initialize();
        StepProgram p = model.program;
        Checkpoint.loadModel(ckpt, p);
        backend.load(p);
        backend.upload(p.buffers().values().toArray(Buffer[]::new));
    }

    /** Mean loss over {@code batches} batches of the corpus's validation split (the same windows training validates on). */
    public static double validationLoss(Checkpoint.Opened ckpt, ByteCorpus corpus, int batches, Backend backend)
            throws IOException {
        Evaluator e = new Evaluator(ckpt, backend);
        Batcher windows = corpus.validationBatcher(e.model.B, e.model.T);
        StepProgram p = e.model.program;
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            windows.next(p.tokens.i, p.targets.i);
            e.forward();
            backend.download(p.loss);
            sum += p.loss.f[0];
        }
        return sum / batches;
    }

    /**
     * The loss on every window of {@code text}, or on {@code sample} windows spread evenly over it
     * (window {@code floor(i * total / sample)} for i = 0 .. sample-1) when that is fewer.
     */
    public static Result onText(Checkpoint.Opened ckpt, byte[] text, Long sample, Backend backend) throws IOException {
        Evaluator e = new Evaluator(ckpt, backend);
        int B = e.model.B, T = e.model.T;
        long total = (text.length - 1L) / T;
        if (total < 1) {
            throw new ConfigException("the text has " + text.length + " bytes, fewer than one window of seq_len + 1 = "
                    + (T + 1) + "; pass more text with --data");
        }
        long count = sample == null ? total : Math.min(sample, total);
        StepProgram p = e.model.program;
        double nats = 0;
        for (long first = 0; first < count; first += B) {
            int rows = (int) Math.min(B, count - first);
            for (int b = 0; b < B; b++) {
                // Rows past the last window repeat the first one and are left out of the sum.
                long w = first + (b < rows ? b : 0);
                long start = (count == total ? w : Math.floorDiv(w * total, count)) * T;
                for (int t = 0; t < T; t++) {
                    p.tokens.i[b * T + t] = text[(int) (start + t)] & 0xFF;
                    p.targets.i[b * T + t] = text[(int) (start + t + 1)] & 0xFF;
                }
            }
            e.forward();
            backend.download(p.losses);
            for (int i = 0; i < rows * T; i++) nats += p.losses.f[i];
        }
        long tokens = count * T;
        double perToken = nats / tokens;
        // Byte-level tokens: one token is one byte of the text.
        return new Result(perToken, perToken, tokens, count, total);
    }

    private void forward() {
        StepProgram p = model.program;
        backend.upload(p.tokens, p.targets);
        for (Stage s : p.forward) backend.run(s);
        backend.run(p.evalLoss);
    }
}
