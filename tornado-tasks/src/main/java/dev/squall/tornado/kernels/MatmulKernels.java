package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The linear layer's three products on a TornadoVM device (PyTorch {@code Linear} layout): the same
 * math as {@code dev.squall.kernels.Matmul} and {@code dev.squall.reference.MatmulRef}; the
 * projections of attention (SPEC §8.1-8.2), of the SwiGLU FFN (SPEC §7.4) and the LM head. No bias:
 * the model has none.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), C input features, OC output features
 *   inp, dinp         (N, C)
 *   weight, dweight   (OC, C)   row o holds output feature o's weights
 *   out, dout         (N, OC)
 * Launch (one work-item per output element, a counted k loop):
 *   forward          global N * OC
 *   backwardInput    global N * C
 *   backwardWeight   global OC * C
 * </pre>
 *
 * <p>out and dinp are written, dweight is accumulated (+=). Each output element is owned by one
 * work-item and sums over k in increasing order, so results are the same on every run.
 *
 * <p>On PoCL (2-core CPU), N=2048, C=256, OC=768: about 205 / 240 / 400 ms (forward, dinp, dW).
 * Local-memory 16 x 16 tiled forms took 390-560 ms there (PoCL emulates local memory and barriers)
 * and were never lowered, so they were removed; GPU-shaped products belong in their own forms.
 */
public final class MatmulKernels {
    private MatmulKernels() {}

    /** out[n, o] = sum_c inp[n, c] * weight[o, c]. Written. */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray weight,
                               int C, int OC) {
        int id = ctx.globalIdx;
        int n = id / OC;
        int o = id - n * OC;
        float s = 0f;
        for (int c = 0; c < C; c++) s += inp.get(n * C + c) * weight.get(o * C + c);
        out.set(id, s);
    }

    /** dinp[n, c] = sum_o dout[n, o] * weight[o, c]. Written. */
    public static void backwardInput(KernelContext ctx, FloatArray dinp, FloatArray dout, FloatArray weight,
                                     int C, int OC) {
        int id = ctx.globalIdx;
        int n = id / C;
        int c = id - n * C;
        float s = 0f;
        for (int o = 0; o < OC; o++) s += dout.get(n * OC + o) * weight.get(o * C + c);
        dinp.set(id, s);
    }

    /** dweight[o, c] += sum_n dout[n, o] * inp[n, c]. Accumulated. */
    public static void backwardWeight(KernelContext ctx, FloatArray dweight, FloatArray dout, FloatArray inp,
                                      int N, int C, int OC) {
        int id = ctx.globalIdx;
        int o = id / C;
        int c = id - o * C;
        float s = 0f;
        for (int n = 0; n < N; n++) s += dout.get(n * OC + o) * inp.get(n * C + c);
        dweight.set(id, dweight.get(id) + s);
    }
}
