package dev.squall.train;

import dev.squall.model.ModelConfig;
import dev.squall.model.Transformer;
import dev.squall.program.Backend;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Sampling from a trained model with a KV cache: each token is one forward pass of the decoding
 * program ({@link Transformer#decoder}), which appends its keys and values to the cache and attends
 * over the positions before it.
 *
 * <p>Past the context window: the model was trained on positions 0 .. seq_len-1 only, so when the
 * cache is full the newest {@code seq_len - seq_len/8} tokens (7/8 of the window;
 * {@code seq_len - 1} for windows under 16) are re-encoded from position 0 and generation goes on
 * after them. Every token is therefore sampled with at least 7/8 of a window of the most recent
 * context, at the price of re-encoding that much once every {@code seq_len/8} tokens (about 7
 * extra decoding steps per generated token).
 */
public final class Generator {
    final Transformer model;
    final Backend backend;
    private final int[] context;
    private int length;

    public Generator(ModelConfig cfg, Backend backend) {
        this.model = Transformer.decoder(cfg);
        this.backend = backend;
        this.context = new int[cfg.seqLen];
        model.initialize();
        backend.load(model.program);
    }

    /** Loads the weights (and model state such as BHyT's c_attn) of a verified training checkpoint. */
    public static Generator fromCheckpoint(Checkpoint.Opened ckpt, Backend backend) throws IOException {
        Generator g = new Generator(ckpt.model(), backend);
        Checkpoint.loadModel(ckpt, g.model.program);
        backend.upload(g.model.program.buffers().values().toArray(Buffer[]::new));
        return g;
    }

    /** Tokens kept as context when the window is full (see the class comment). */
    int keptOnSlide() {
        int T = context.length;
        return T - Math.max(1, T / 8);
    }

    /**
     * Feeds the prompt, then samples {@code maxTokens} tokens with temperature (0 = greedy) and
     * top-k (0 = all), calling {@code sink} with each sampled token.
     */
    public void generate(int[] prompt, int maxTokens, double temperature, int topK, long seed, IntConsumer sink) {
        if (prompt.length == 0) throw new IllegalArgumentException("prompt is empty; pass at least one character");
        SplittableRandom rng = new SplittableRandom(seed);
        length = 0;
        for (int t : prompt) feed(t);
        for (int i = 0; i < maxTokens; i++) {
            int next = sample(temperature, topK, rng);
            sink.accept(next);
            feed(next);
        }
    }

    /** Runs one token through the model at the next position; afterwards the logits predict the token after it. */
    void feed(int token) {
        if (length == context.length) {
            int keep = keptOnSlide();
            System.arraycopy(context, context.length - keep, context, 0, keep);
            for (length = 0; length < keep; length++) step(context[length]);
        }
        context[length] = token;
        step(token);
        length++;
    }

    /** One forward pass of {@code token} at position {@code length}. */
    private void step(int token) {
        model.program.tokens.i[0] = token;
        model.position.i[0] = length;
        backend.upload(model.program.tokens, model.position);
        for (Stage s : model.program.forward) backend.run(s);
        backend.download(model.logits());
    }

    int sample(double temperature, int topK, SplittableRandom rng) {
        float[] logits = model.logits().f;
        int V = model.V;
        if (temperature <= 0) {
            int best = 0;
            for (int v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
            return best;
        }
        double cutoff = Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < V) {
            float[] sorted = java.util.Arrays.copyOf(logits, V);
            java.util.Arrays.sort(sorted);
            cutoff = sorted[V - topK];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < V; v++) max = Math.max(max, logits[v]);
        double[] p = new double[V];
        double sum = 0;
        for (int v = 0; v < V; v++) {
            p[v] = logits[v] >= cutoff ? Math.exp((logits[v] - max) / temperature) : 0;
            sum += p[v];
        }
        double r = rng.nextDouble() * sum;
        for (int v = 0; v < V; v++) {
            r -= p[v];
            if (r <= 0 && p[v] > 0) return v;
        }
        return V - 1;
    }
}
