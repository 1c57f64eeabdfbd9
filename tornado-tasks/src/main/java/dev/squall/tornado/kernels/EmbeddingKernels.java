package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Token embedding on a TornadoVM device, plain and times the learnable embedding scale (SPEC §2.4:
 * x = wte[token] * shared_scale): the same math as {@code dev.squall.kernels.Embedding} and
 * {@code dev.squall.reference.EmbeddingRef}, as KernelContext kernels.
 *
 * <pre>
 * Shapes:
 *   N tokens, C embedding width, V vocabulary size
 *   tokens         (N)        ids in [0, V): checked by the caller (a device cannot report a bad id)
 *   wte, dwte      (V, C)
 *   out, dout      (N, C)
 *   scale, dscale  (1)
 *   partials       (blocks)   dscale per block of TOKENS_PER_BLOCK tokens
 * Launch:
 *   forward, forwardScaled                              global N * C (ids >= N*C do nothing)
 *   backward, backwardScaled                            global C, one work-item per channel
 *   dscalePartials                                      global blocks(N)
 *   ColumnSums.addColumns(dscale, partials, 1, blocks)  global 1
 * </pre>
 *
 * <p>The backward is a scatter-add without atomics: work-item c owns column c of dwte and walks all N
 * tokens in position order, adding dout[n, c] into dwte[tokens[n], c]. No two work-items touch the same
 * element, and each element receives its additions in position order, exactly as the JVM kernel does,
 * so results are bit-identical on every run. dscale sums over every token: per-block partials, then an
 * ordered second task.
 */
public final class EmbeddingKernels {
    private EmbeddingKernels() {}

    /** Tokens summed by one work-item of {@link #dscalePartials}. */
    public static final int TOKENS_PER_BLOCK = 16;

    public static int blocks(int N) { return (N + TOKENS_PER_BLOCK - 1) / TOKENS_PER_BLOCK; }

    /** out[n] = wte[tokens[n]]. */
    public static void forward(KernelContext ctx, FloatArray out, IntArray tokens, FloatArray wte, int N, int C) {
        int id = ctx.globalIdx;
        if (id < N * C) {
            int n = id / C;
            int c = id - n * C;
            out.set(id, wte.get(tokens.get(n) * C + c));
        }
    }

    /** out[n] = wte[tokens[n]] * scale[0]. */
    public static void forwardScaled(KernelContext ctx, FloatArray out, IntArray tokens, FloatArray wte,
                                     FloatArray scale, int N, int C) {
        int id = ctx.globalIdx;
        if (id < N * C) {
            int n = id / C;
            int c = id - n * C;
            out.set(id, wte.get(tokens.get(n) * C + c) * scale.get(0));
        }
    }

    /** dwte[tokens[n]] += dout[n] for every position n, in position order (accumulated). */
    public static void backward(KernelContext ctx, FloatArray dwte, FloatArray dout, IntArray tokens, int N, int C) {
        int c = ctx.globalIdx;
        if (c < C) {
            for (int n = 0; n < N; n++) {
                int dst = tokens.get(n) * C + c;
                dwte.set(dst, dwte.get(dst) + dout.get(n * C + c));
            }
        }
    }

    /** dwte[tokens[n]] += dout[n] * scale[0] for every position n, in position order (accumulated). */
    public static void backwardScaled(KernelContext ctx, FloatArray dwte, FloatArray dout, IntArray tokens,
                                      FloatArray scale, int N, int C) {
        int c = ctx.globalIdx;
        if (c < C) {
            float s = scale.get(0);
            for (int n = 0; n < N; n++) {
                int dst = tokens.get(n) * C + c;
                dwte.set(dst, dwte.get(dst) + dout.get(n * C + c) * s);
            }
        }
    }

    /** partials[k] = sum over the tokens n of block k of &lt;dout[n], wte[tokens[n]]&gt;, in order. */
    public static void dscalePartials(KernelContext ctx, FloatArray partials, FloatArray dout, IntArray tokens,
                                      FloatArray wte, int N, int C) {
        int k = ctx.globalIdx;
        int start = k * TOKENS_PER_BLOCK;
        int end = Math.min(N, start + TOKENS_PER_BLOCK);
        float s = 0f;
        for (int n = start; n < end; n++) {
            int row = tokens.get(n) * C;
            for (int j = 0; j < C; j++) s += dout.get(n * C + j) * wte.get(row + j);
        }
        if (start < N) partials.set(k, s);
    }
}
