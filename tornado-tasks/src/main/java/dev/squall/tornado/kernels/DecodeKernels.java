package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Attention for one decoding step on a TornadoVM device, SPEC §8.1 with §8.4's online softmax:
 * {@code dev.squall.kernels.Attention.decode} with nTokens = 1 ({@code Task.AttentionDecode}).
 *
 * <pre>
 * Shapes:
 *   H query heads, Hkv kv heads (H a multiple of Hkv), hd head size (at most MAX_HD)
 *   q, out          (H * hd)                one new token
 *   kCache, vCache  (maxT, Hkv * hd)        rows 0 .. position[0] filled
 *   position        (1)                     the new token's position (its own k/v already cached)
 *   query head h reads kv head h / (H / Hkv)
 * Launch:
 *   attention   global H rounded up to whole groups, local HEAD_GROUP   one work-item per query head
 * </pre>
 *
 * <p>Each work-item runs an online softmax over keys 0 .. position[0] (blocks of one key), keeping
 * its hd running outputs in its slice of a local array, and divides by the sum once at the end.
 * The position is read from the device array on every execution (a scalar argument would be a
 * constant of the compiled kernel); the key count is clamped to maxT so a bad position cannot read
 * past the cache. The softmax scale is a constant of the compiled kernel.
 */
public final class DecodeKernels {
    private DecodeKernels() {}

    /** Work-items per work-group of {@link #attention}. */
    public static final int HEAD_GROUP = 16;
    /** Largest head size the local accumulators hold. */
    public static final int MAX_HD = 128;

    /** out[h] = softmax(scale * q[h] . k[j, g]) over j = 0 .. position[0], applied to v[j, g]; written. */
    public static void attention(KernelContext ctx, FloatArray out, FloatArray q, FloatArray kCache,
                                 FloatArray vCache, IntArray position, int maxT, int H, int Hkv, int hd,
                                 float scale) {
        int h = ctx.globalIdx;
        int lid = ctx.localIdx;
        // Local memory as each work-item's own output accumulator, not a reduction across the group:
        // WorkGroupReduction does not apply.
        float[] acc = ctx.allocateFloatLocalArray(HEAD_GROUP * MAX_HD);
        if (h < H) {
            int g = h / (H / Hkv);
            int qb = h * hd;
            int kvStride = Hkv * hd;
            int a0 = lid * MAX_HD;
            int keys = Math.min(position.get(0) + 1, maxT);
            for (int d = 0; d < hd; d++) acc[a0 + d] = 0f;
            float m = -Float.MAX_VALUE;
            float l = 0f;
            for (int j = 0; j < keys; j++) {
                int kb = j * kvStride + g * hd;
                float s = 0f;
                for (int d = 0; d < hd; d++) s += q.get(qb + d) * kCache.get(kb + d);
                s *= scale;
                float mNew = Math.max(m, s);
                float corr = TornadoMath.exp(m - mNew);
                float p = TornadoMath.exp(s - mNew);
                l = l * corr + p;
                for (int d = 0; d < hd; d++) acc[a0 + d] = acc[a0 + d] * corr + p * vCache.get(kb + d);
                m = mNew;
            }
            float inv = 1.0f / l;
            for (int d = 0; d < hd; d++) out.set(qb + d, acc[a0 + d] * inv);
        }
    }
}
