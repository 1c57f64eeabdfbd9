package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Causal multi-head attention with GQA on a TornadoVM device, SPEC §8.1-8.2 with §8.4's online
 * softmax: the same math as {@code dev.squall.kernels.Attention} and
 * {@code dev.squall.reference.AttentionRef} (RoPE and the projections are separate kernels).
 *
 * <pre>
 * Shapes:
 *   B sequences, T positions, H query heads, Hkv kv heads (H a multiple of Hkv), hd head size (at most MAX_HD)
 *   q, out, dout, dq   (B, T, H * hd)
 *   k, v, dk, dv       (B, T, Hkv * hd)      query head h reads kv head h / (H / Hkv)
 *   lse, dsum          (B, H, T)             lse saved by forward; dsum = rowsum(dout * out), scratch
 * Launch:
 *   forward        global B * H * T rounded up to whole groups, local ROW_GROUP   one work-item per (b, h, query row)
 *   rowDots        global B * H * T                                one work-item per (b, h, query row)
 *   backwardQuery  global B * H * T                                one work-item per (b, h, query row)
 *   backwardKeyValue  global B * Hkv * T                           one work-item per (b, kv head, key row)
 * </pre>
 *
 * <p>Forward: each work-item runs an online softmax over keys 0..t (SPEC §8.4 with blocks of one
 * key), keeping its hd running outputs in its own slice of a local array, then writes out and
 * lse = m + log l. Backward (SPEC §8.2), without atomics: P is rebuilt from q, k and lse;
 * D = rowsum(dO * O) is its own task; dq sums over the keys of its row; dk and dv sum over the
 * query heads of their group and the queries at or after their key. Every element has one owner
 * and a fixed summation order, so results are the same on every run. Outputs are written.
 * The softmax scale is a constant of the compiled kernel (it never changes during training).
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    /** Work-items per work-group of {@link #forward}. */
    public static final int ROW_GROUP = 16;
    /** Largest head size {@link #forward}'s local accumulators hold. */
    public static final int MAX_HD = 128;

    /** out = softmax(scale * q k^T, causal) v, lse = logsumexp of the scaled scores; both written. */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray lse, FloatArray q, FloatArray k,
                               FloatArray v, int B, int T, int H, int Hkv, int hd, float scale) {
        int id = ctx.globalIdx;
        int lid = ctx.localIdx;
        // Local memory as each work-item's own output accumulator (a private array of hd floats is not
        // expressible), not a reduction across the group: WorkGroupReduction does not apply.
        float[] acc = ctx.allocateFloatLocalArray(ROW_GROUP * MAX_HD);
        if (id < B * H * T) {
            int i = id % T;
            int bh = id / T;
            int h = bh % H;
            int b = bh / H;
            int g = h / (H / Hkv);
            int qb = ((b * T + i) * H + h) * hd;
            int a0 = lid * MAX_HD;
            for (int d = 0; d < hd; d++) acc[a0 + d] = 0f;
            float m = -Float.MAX_VALUE;
            float l = 0f;
            for (int j = 0; j <= i; j++) {
                int kb = ((b * T + j) * Hkv + g) * hd;
                float s = 0f;
                for (int d = 0; d < hd; d++) s += q.get(qb + d) * k.get(kb + d);
                s *= scale;
                float mNew = Math.max(m, s);
                float corr = TornadoMath.exp(m - mNew);
                float p = TornadoMath.exp(s - mNew);
                l = l * corr + p;
                for (int d = 0; d < hd; d++) acc[a0 + d] = acc[a0 + d] * corr + p * v.get(kb + d);
                m = mNew;
            }
            float inv = 1.0f / l;
            for (int d = 0; d < hd; d++) out.set(qb + d, acc[a0 + d] * inv);
            lse.set(id, m + TornadoMath.log(l));
        }
    }

    /** dsum[b, h, t] = sum_d dout[b, t, h, d] * out[b, t, h, d] (SPEC §8.2's D). Written. */
    public static void rowDots(KernelContext ctx, FloatArray dsum, FloatArray dout, FloatArray out,
                               int T, int H, int hd) {
        int id = ctx.globalIdx;
        int i = id % T;
        int bh = id / T;
        int h = bh % H;
        int b = bh / H;
        int qb = ((b * T + i) * H + h) * hd;
        float s = 0f;
        for (int d = 0; d < hd; d++) s += dout.get(qb + d) * out.get(qb + d);
        dsum.set(id, s);
    }

    /** dq[b, t, h] = scale * sum_{j <= t} P_tj (dP_tj - D_t) k[b, j, g]. Written. */
    public static void backwardQuery(KernelContext ctx, FloatArray dq, FloatArray dout, FloatArray q, FloatArray k,
                                     FloatArray v, FloatArray lse, FloatArray dsum, int T, int H, int Hkv, int hd,
                                     float scale) {
        int id = ctx.globalIdx;
        int i = id % T;
        int bh = id / T;
        int h = bh % H;
        int b = bh / H;
        int g = h / (H / Hkv);
        int qb = ((b * T + i) * H + h) * hd;
        float li = lse.get(id);
        float Di = dsum.get(id);
        for (int d = 0; d < hd; d++) dq.set(qb + d, 0f);
        for (int j = 0; j <= i; j++) {
            int kb = ((b * T + j) * Hkv + g) * hd;
            float s = 0f;
            float dp = 0f;
            for (int d = 0; d < hd; d++) {
                s += q.get(qb + d) * k.get(kb + d);
                dp += dout.get(qb + d) * v.get(kb + d);
            }
            float p = TornadoMath.exp(s * scale - li);
            float ds = scale * p * (dp - Di);
            for (int d = 0; d < hd; d++) dq.set(qb + d, dq.get(qb + d) + ds * k.get(kb + d));
        }
    }

    /**
     * dv[b, j, g] = sum over heads h of group g and rows t >= j of P_tj dout[b, t, h];
     * dk[b, j, g] = scale * the same sum of P_tj (dP_tj - D_t) q[b, t, h]. Both written.
     */
    public static void backwardKeyValue(KernelContext ctx, FloatArray dk, FloatArray dv, FloatArray dout,
                                        FloatArray q, FloatArray k, FloatArray v, FloatArray lse, FloatArray dsum,
                                        int T, int H, int Hkv, int hd, float scale) {
        int id = ctx.globalIdx;
        int j = id % T;
        int bg = id / T;
        int g = bg % Hkv;
        int b = bg / Hkv;
        int rep = H / Hkv;
        int kb = ((b * T + j) * Hkv + g) * hd;
        for (int d = 0; d < hd; d++) {
            dk.set(kb + d, 0f);
            dv.set(kb + d, 0f);
        }
        for (int r = 0; r < rep; r++) {
            int h = g * rep + r;
            for (int i = j; i < T; i++) {
                int qb = ((b * T + i) * H + h) * hd;
                int row = (b * H + h) * T + i;
                float s = 0f;
                float dp = 0f;
                for (int d = 0; d < hd; d++) {
                    s += q.get(qb + d) * k.get(kb + d);
                    dp += dout.get(qb + d) * v.get(kb + d);
                }
                float p = TornadoMath.exp(s * scale - lse.get(row));
                float ds = scale * p * (dp - dsum.get(row));
                for (int d = 0; d < hd; d++) {
                    dv.set(kb + d, dv.get(kb + d) + p * dout.get(qb + d));
                    dk.set(kb + d, dk.get(kb + d) + ds * q.get(qb + d));
                }
            }
        }
    }
}
