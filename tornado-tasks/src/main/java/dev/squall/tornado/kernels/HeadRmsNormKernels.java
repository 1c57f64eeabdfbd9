package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Per-head RMSNorm (QK-Norm, QKV-Norm) on a TornadoVM device, SPEC §5.1 (math of §1.1-1.2 over
 * head_dim): the same math as {@code dev.squall.kernels.HeadRmsNorm} and
 * {@code dev.squall.reference.HeadRmsNormRef}.
 *
 * <pre>
 * Shapes:
 *   N tokens, nHeads heads per token, hd features per head; R = N * nHeads head-rows
 *   inp, out, dout, dinp   (N, nHeads * hd)   head h of token n is inp[(n * nHeads + h) * hd ..][hd]
 *   weight, dweight        (hd)               one gain shared by every head
 *   rstd                   (R)                saved by forward
 *   partials               (blocks(R), hd)    dweight per block of ROWS_PER_BLOCK head-rows
 * Launch:
 *   forward, backwardInput   global R * HEAD_GROUP, local HEAD_GROUP (one work-group per head of a token)
 *   weightPartials           global blocks(R) * hd
 *   ColumnSums.addColumns    global hd
 * </pre>
 *
 * Each head of each token is normalized on its own with one shared gain, so the tensor is an RMSNorm
 * over R head-rows of width hd, and dweight sums over tokens and heads alike: per-block partials over
 * consecutive head-rows, then the blocks added in order.
 */
public final class HeadRmsNormKernels {
    private HeadRmsNormKernels() {}

    /** Work-items per head-row; a power of two (the tree reduction halves it). Head dims are small. */
    public static final int HEAD_GROUP = 32;
    /** Head-rows summed by one work-item of {@link #weightPartials}. */
    public static final int ROWS_PER_BLOCK = 32;

    /** Blocks of head-rows for R = N * nHeads. */
    public static int blocks(int R) { return (R + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK; }

    /** y = gain * x * rstd per head; rstd = (mean over hd of x^2 + eps)^(-1/2). */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray rstd, FloatArray inp, FloatArray weight,
                               int hd, float eps) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] sums = ctx.allocateFloatLocalArray(HEAD_GROUP);
        int base = row * hd;
        float s = 0f;
        for (int j = lid; j < hd; j += HEAD_GROUP) {
            float x = inp.get(base + j);
            s += x * x;
        }
        sums[lid] = s;
        for (int stride = HEAD_GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) sums[lid] += sums[lid + stride];
        }
        ctx.localBarrier();
        float r = 1.0f / TornadoMath.sqrt(sums[0] / hd + eps);
        if (lid == 0) rstd.set(row, r);
        for (int j = lid; j < hd; j += HEAD_GROUP) out.set(base + j, inp.get(base + j) * r * weight.get(j));
    }

    /** dx = rstd * (gain*dout - xhat * mean(gain*dout*xhat)) per head; written. */
    public static void backwardInput(KernelContext ctx, FloatArray dinp, FloatArray dout, FloatArray inp,
                                     FloatArray weight, FloatArray rstd, int hd) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] sums = ctx.allocateFloatLocalArray(HEAD_GROUP);
        int base = row * hd;
        float r = rstd.get(row);
        float s = 0f;
        for (int j = lid; j < hd; j += HEAD_GROUP) s += weight.get(j) * dout.get(base + j) * inp.get(base + j);
        sums[lid] = s;
        for (int stride = HEAD_GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) sums[lid] += sums[lid + stride];
        }
        ctx.localBarrier();
        float c1 = sums[0] * r / hd;
        for (int j = lid; j < hd; j += HEAD_GROUP) {
            float xhat = inp.get(base + j) * r;
            dinp.set(base + j, r * (weight.get(j) * dout.get(base + j) - xhat * c1));
        }
    }

    /** partials[b, j] = sum over the head-rows q of block b of dout[q, j] * x[q, j] * rstd[q]; R = N * nHeads. */
    public static void weightPartials(KernelContext ctx, FloatArray partials, FloatArray dout, FloatArray inp,
                                      FloatArray rstd, int R, int hd) {
        int id = ctx.globalIdx;
        int b = id / hd;
        int j = id - b * hd;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(R, start + ROWS_PER_BLOCK);
        float s = 0f;
        for (int q = start; q < end; q++) s += dout.get(q * hd + j) * inp.get(q * hd + j) * rstd.get(q);
        partials.set(id, s);
    }
}
