package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Rotary position embedding on a TornadoVM device, SPEC §8.3, half-split (NeoX / HF-LLaMA) layout: the
 * same math as {@code dev.squall.kernels.Rope} and {@code dev.squall.reference.RopeRef}. Feature i of a
 * head is paired with feature i + hd/2 and rotated by theta(p, i) = p * base^(-2i/hd), read from
 * precomputed tables ({@code dev.squall.model.Transformer.ropeTables}, angles formed in double on the host).
 *
 * <pre>
 * Shapes:
 *   B batch, T sequence, nHeads heads in the tensor (H for queries, Hkv for keys), hd head dim (even)
 *   inp, out, dout, dinp   (B, T, nHeads * hd)     forward / backward
 *   inp, out               (nTokens, nHeads * hd)  forwardAt: row r sits at position pos[0] + r
 *   cos, sin               (maxT, hd / 2)
 *   pos                    (1)                     decode position: an array because it changes per step
 * Launch:
 *   forward, backward[InPlace]  global B * T * nHeads * hd/2, one work-item per pair (ids past the end do nothing)
 *   forwardAt              global nTokens * nHeads * hd/2
 * </pre>
 *
 * Each work-item reads both halves of its pair before writing either, so out may be the same array as
 * inp (likewise dinp and dout).
 */
public final class RopeKernels {
    private RopeKernels() {}

    /** out = x * cos + rotate_half(x) * sin over a (B, T) batch; row r at position r % T. */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray cos, FloatArray sin,
                               int B, int T, int nHeads, int hd) {
        int half = hd / 2;
        int id = ctx.globalIdx;
        if (id < B * T * nHeads * half) {
            int rh = id / half;
            int i = id - rh * half;
            int row = rh / nHeads;
            int p = row - (row / T) * T;
            int a0 = rh * hd + i;
            float c = cos.get(p * half + i);
            float s = sin.get(p * half + i);
            float a = inp.get(a0);
            float b = inp.get(a0 + half);
            out.set(a0, a * c - b * s);
            out.set(a0 + half, b * c + a * s);
        }
    }

    /** dinp = rotation of dout by -theta (the transpose of forward); written. */
    public static void backward(KernelContext ctx, FloatArray dinp, FloatArray dout, FloatArray cos, FloatArray sin,
                                int B, int T, int nHeads, int hd) {
        rotateBack(ctx.globalIdx, dinp, dout, cos, sin, B, T, nHeads, hd);
    }

    /**
     * The backward with the gradient rotated where it lies (the model's layout): its own entry point
     * because TornadoVM cannot take one array as two arguments of a task.
     */
    public static void backwardInPlace(KernelContext ctx, FloatArray d, FloatArray cos, FloatArray sin,
                                       int B, int T, int nHeads, int hd) {
        rotateBack(ctx.globalIdx, d, d, cos, sin, B, T, nHeads, hd);
    }

    private static void rotateBack(int id, FloatArray dinp, FloatArray dout, FloatArray cos, FloatArray sin,
                                   int B, int T, int nHeads, int hd) {
        int half = hd / 2;
        if (id < B * T * nHeads * half) {
            int rh = id / half;
            int i = id - rh * half;
            int row = rh / nHeads;
            int p = row - (row / T) * T;
            int a0 = rh * hd + i;
            float c = cos.get(p * half + i);
            float s = sin.get(p * half + i);
            float ga = dout.get(a0);
            float gb = dout.get(a0 + half);
            dinp.set(a0, ga * c + gb * s);
            dinp.set(a0 + half, gb * c - ga * s);
        }
    }

    /** Forward for decoding: nTokens rows of one sequence at positions pos[0] .. pos[0] + nTokens - 1. */
    public static void forwardAt(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray cos, FloatArray sin,
                                 IntArray pos, int nTokens, int nHeads, int hd) {
        int half = hd / 2;
        int id = ctx.globalIdx;
        if (id < nTokens * nHeads * half) {
            int rh = id / half;
            int i = id - rh * half;
            int row = rh / nHeads;
            int p = pos.get(0) + row;
            int a0 = rh * hd + i;
            float c = cos.get(p * half + i);
            float s = sin.get(p * half + i);
            float a = inp.get(a0);
            float b = inp.get(a0 + half);
            out.set(a0, a * c - b * s);
            out.set(a0 + half, b * c + a * s);
        }
    }
}
