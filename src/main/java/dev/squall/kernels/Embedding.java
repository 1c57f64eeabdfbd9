package dev.squall.kernels;

/**
 * Token embedding lookup, optionally times the learnable embedding scale of the DyT / Derf LLaMA
 * recipes (SPEC §2.4: x = wte[token] * shared_scale, shared_scale initialised to sqrt(C)).
 *
 * <pre>
 * Shapes:
 *   N              tokens (batch * sequence)
 *   C              embedding width
 *   V              vocabulary size = wte.length / C
 *   tokens         (N)     ids in [0, V)
 *   wte, dwte      (V, C)
 *   out, dout      (N, C)
 *   scale, dscale  (1)
 * </pre>
 *
 * <p>The backward is a scatter-add: many positions may hold the same token. It runs in parallel
 * over CHANNEL ranges, each task walking all N tokens in position order for its own columns. No
 * two tasks touch the same element of dwte, so there are no races and no locks, every element
 * receives its additions in position order however the columns are split (bit-identical results
 * on any thread count), and nothing is allocated (unlike grouping positions by token). Because the
 * split cannot change the result, it is one column range per thread: every task visits N random
 * rows of a table that is far larger than the caches, so fewer, wider ranges mean fewer misses.
 *
 * <p>Token ids are checked before anything is written: an id outside [0, V) is a data bug that an
 * index error deep inside a parallel task would describe badly.
 */
public final class Embedding {
    private Embedding() {}

    /** Rows per forward chunk: one row is a C-float copy. */
    private static final int ROW_GRAIN = 32;
    /** Rows per chunk of the dscale reduction. */
    private static final int REDUCE_GRAIN = 64;

    /** out[n] = wte[tokens[n]]. */
    public static void forward(float[] out, int[] tokens, float[] wte, int N, int C) {
        checkTokens(tokens, N, wte.length / C);
        Parallel.forRange(N, ROW_GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) System.arraycopy(wte, tokens[n] * C, out, n * C, C);
        });
    }

    /** out[n] = wte[tokens[n]] * scale[0]. */
    public static void forwardScaled(float[] out, int[] tokens, float[] wte, float[] scale, int N, int C) {
        checkTokens(tokens, N, wte.length / C);
        float s = scale[0];
        Parallel.forRange(N, ROW_GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int src = tokens[n] * C, dst = n * C;
                for (int j = 0; j < C; j++) out[dst + j] = wte[src + j] * s;
            }
        });
    }

    /** dwte[tokens[n]] += dout[n] for every position n (accumulated). */
    public static void backward(float[] dwte, float[] dout, int[] tokens, int N, int C) {
        checkTokens(tokens, N, dwte.length / C);
        Parallel.forRange(C, columnGrain(C), (c0, c1) -> {
            for (int n = 0; n < N; n++) {
                int src = n * C, dst = tokens[n] * C;
                for (int j = c0; j < c1; j++) dwte[dst + j] += dout[src + j];
            }
        });
    }

    /**
     * dwte[tokens[n]] += dout[n] * scale[0]; dscale += sum_n <dout[n], wte[tokens[n]]>. Both accumulated.
     */
    public static void backwardScaled(float[] dwte, float[] dscale, float[] dout, int[] tokens, float[] wte,
                                      float[] scale, int N, int C) {
        checkTokens(tokens, N, wte.length / C);
        float s = scale[0];
        Parallel.reduce(N, REDUCE_GRAIN, 1, dscale, (lo, hi, partial, off) -> {
            float sum = 0f;
            for (int n = lo; n < hi; n++) {
                int src = n * C, row = tokens[n] * C;
                for (int j = 0; j < C; j++) sum += dout[src + j] * wte[row + j];
            }
            partial[off] += sum;
        });
        Parallel.forRange(C, columnGrain(C), (c0, c1) -> {
            for (int n = 0; n < N; n++) {
                int src = n * C, dst = tokens[n] * C;
                for (int j = c0; j < c1; j++) dwte[dst + j] += dout[src + j] * s;
            }
        });
    }

    /** Columns per backward task: C split evenly over the threads, in whole 16-float vectors. */
    private static int columnGrain(int C) {
        int perThread = (C + Parallel.THREADS - 1) / Parallel.THREADS;
        return Math.max(16, (perThread + 15) / 16 * 16);
    }

    private static void checkTokens(int[] tokens, int N, int V) {
        for (int n = 0; n < N; n++) {
            int t = tokens[n];
            if (t < 0 || t >= V) {
                throw new IllegalArgumentException("token id " + t + " at position " + n
                        + " is outside the vocabulary of size " + V);
            }
        }
    }
}
