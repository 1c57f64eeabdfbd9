package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * SwiGLU on a TornadoVM device, SPEC §7.4: the same math as {@code dev.squall.kernels.SwiGlu} and
 * {@code dev.squall.reference.SwiGluRef}, as KernelContext kernels.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), Hf hidden width of the FFN
 *   gu, dgu    (N, 2*Hf)   row n = [ gate h (Hf) | up u (Hf) ]  (ArchScale order: gate FIRST)
 *   out, dout  (N, Hf)     out = silu(h) * u
 * Launch:
 *   forward, backward      global N * Hf, one work-item per (n, j) (any local size; ids >= N*Hf do nothing)
 * </pre>
 *
 * The sigmoid is evaluated from exp(-|h|), which lies in (0, 1]: it never overflows, so gates of any
 * magnitude give silu(h) -> h for h -> +inf and -> -0 for h -> -inf without inf/inf NaNs.
 * dgu may not alias gu (the backward of one work-item reads both halves before writing, but other
 * work-items' reads are not ordered against it).
 */
public final class SwiGluKernels {
    private SwiGluKernels() {}

    /** out[n, j] = silu(gu[n, j]) * gu[n, Hf + j]. */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray gu, int N, int Hf) {
        int id = ctx.globalIdx;
        if (id < N * Hf) {
            int n = id / Hf;
            int j = id - n * Hf;
            int g = n * 2 * Hf + j;
            float h = gu.get(g);
            float e = TornadoMath.exp(-TornadoMath.abs(h));
            float s = h >= 0f ? 1f / (1f + e) : e / (1f + e);
            out.set(id, h * s * gu.get(g + Hf));
        }
    }

    /** dgate = dout * up * sig(h) * (1 + h (1 - sig(h))), dup = dout * silu(h); both halves written. */
    public static void backward(KernelContext ctx, FloatArray dgu, FloatArray dout, FloatArray gu, int N, int Hf) {
        int id = ctx.globalIdx;
        if (id < N * Hf) {
            int n = id / Hf;
            int j = id - n * Hf;
            int g = n * 2 * Hf + j;
            float h = gu.get(g);
            float u = gu.get(g + Hf);
            float d = dout.get(id);
            float e = TornadoMath.exp(-TornadoMath.abs(h));
            float s = h >= 0f ? 1f / (1f + e) : e / (1f + e);
            dgu.set(g, d * u * s * (1f + h * (1f - s)));
            dgu.set(g + Hf, d * h * s);
        }
    }
}
