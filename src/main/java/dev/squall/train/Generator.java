package dev.squall.train;

import dev.squall.io.SafeTensors;
import dev.squall.model.ModelConfig;
import dev.squall.model.Transformer;
import dev.squall.program.Backend;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Sampling from a trained model with a KV cache: each token is one forward pass of the decoding
 * program ({@link Transformer#decoder}), which appends its keys and values to the cache and attends
 * over the positions before it. When the cache is full the context slides: the newest half is
 * re-encoded from position 0.
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

    /** Loads the weights (and model state such as BHyT's c_attn) of a training checkpoint. */
    public static Generator fromCheckpoint(Path file, Backend backend) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        Generator g = new Generator(Checkpoint.modelConfig(st), backend);
        for (Buffer b : g.model.program.buffers().values()) {
            if ((b.role == Buffer.Role.PARAM || b.role == Buffer.Role.STATE) && st.contains(b.name)) st.floats(b.name, b.f);
        }
        backend.upload(g.model.program.buffers().values().toArray(Buffer[]::new));
        return g;
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
            int keep = context.length / 2;
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
