package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * BHyT, the two norms of one Pre-LN block, on a TornadoVM device, SPEC §4.1 (forward) and §4.3
 * (backward): the same math as {@code dev.squall.kernels.Bhyt} and {@code dev.squall.reference.BhytRef}.
 * The input norm's forward (its exact statistic and output in one pass) is BHyT*'s,
 * {@link BhytStarKernels#forward}; its backward is {@link #backwardInputRows}.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), C features per row
 *   inp (x), h, out, dout, dinp, dh, dinpCross   (N, C)
 *   weight (gamma1 / gamma2), dweight            (C)
 *   meanSq (s²_x), rho2                          (N)   saved by BhytStarKernels.forward / forwardSecond
 *   lambda, lambda1, lambda2, dlambda, cAttn     (1)   scalars in arrays, never baked in
 *   lambdaRows                                   (N)   dlambda per row, before the ordered sum
 *   partials                                     (blocks, C)   dgamma per block of ROWS_PER_BLOCK rows
 *   wv (nKvHeads*hd, C), wo (C, nHeads*hd)       attention value and output weights (Linear layout)
 *   cRows                                        (C)   ‖row i of wo·W_V,exp‖², before the ordered sum
 * Launch:
 *   backwardInputRows, backwardSecondRows, cAttnRows
 *                                        global rows * ROW_GROUP, local ROW_GROUP (one work-group per row;
 *                                        rows = N, or C for cAttnRows)
 *   forwardSecond                        global N * C
 *   inputGainPartials, secondGainPartials   global blocks * C, then ColumnSums.addColumns global C
 *   DynamicTanhKernels.addScalar         global 1 (dlambda += lambdaRows in row order)
 *   cAttnFinish                          global 1
 * Constants: kappa (κ = 10), eps (1e-6, inside the root) as in dev.squall.kernels.Bhyt.
 * </pre>
 *
 * Autograd graph (the authors' code): s²_x is not detached, so x gets the cross gradient through ρ2;
 * λ1 inside ŝ² is read as a value only; c_attn is a constant refreshed now and then by the c_attn
 * tasks (no gradient). Input gradients are written, dgamma and dlambda accumulated via per-block or
 * per-row partials and a second, ordered task.
 */
public final class BhytKernels {
    private BhytKernels() {}

    /** Work-items per row; a power of two (the tree reduction halves it). */
    public static final int ROW_GROUP = 64;
    /** Rows summed by one work-item of the gain partials. */
    public static final int ROWS_PER_BLOCK = 32;
    public static final float KAPPA = 10f;
    public static final float EPS = 1e-6f;

    public static int blocks(int N) { return (N + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK; }

    /** κ⁻¹(variance + ε)^(-1/2). */
    public static float rho(float variance, float kappa, float eps) {
        return 1.0f / (kappa * TornadoMath.sqrt(variance + eps));
    }

    /**
     * n2 = γ2 ⊙ tanh(λ2·ρ2·h), ρ2 = κ⁻¹(ŝ² + ε)^(-1/2), ŝ² = s²_x + c_attn·λ̄1²/κ²; saves ρ2 per row.
     * lambda1 is read as a value only.
     */
    public static void forwardSecond(KernelContext ctx, FloatArray out, FloatArray rho2, FloatArray h,
                                     FloatArray meanSqX, FloatArray cAttn, FloatArray lambda1, FloatArray lambda2,
                                     FloatArray weight, int C, float kappa, float eps) {
        int i = ctx.globalIdx;
        int n = i / C;
        int j = i - n * C;
        float l1 = lambda1.get(0);
        float correction = cAttn.get(0) * l1 * l1 / (kappa * kappa);
        float r = rho(meanSqX.get(n) + correction, kappa, eps);
        if (j == 0) rho2.set(n, r);
        out.set(i, weight.get(j) * TornadoMath.tanh(lambda2.get(0) * r * h.get(i)));
    }

    /**
     * With t = tanh(λρ1x), q = g⊙γ⊙(1−t²): dinp = λρ1·(q − x·<q,x>/(C·(s²_x+ε))) (written);
     * lambdaRows[row] = ρ1·<q,x> (written; added into dlambda by DynamicTanhKernels.addScalar).
     */
    public static void backwardInputRows(KernelContext ctx, FloatArray dinp, FloatArray lambdaRows, FloatArray dout,
                                         FloatArray inp, FloatArray meanSq, FloatArray lambda, FloatArray weight,
                                         int C, float kappa, float eps) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float ms = meanSq.get(row);
        float r = rho(ms, kappa, eps);
        float a = lambda.get(0) * r;
        float s = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float x = inp.get(base + j);
            float t = TornadoMath.tanh(a * x);
            float q = dout.get(base + j) * weight.get(j) * (1f - t * t);
            dinp.set(base + j, q); // q until the projection below; only this work-item touches j
            s += q * x;
        }
        float qx = WorkGroupReduction.sum(ctx, ROW_GROUP, s);
        float c = qx / (C * (ms + eps));
        if (lid == 0) lambdaRows.set(row, r * qx);
        for (int j = lid; j < C; j += ROW_GROUP) dinp.set(base + j, a * (dinp.get(base + j) - c * inp.get(base + j)));
    }

    /**
     * With t = tanh(λ2ρ2h), q = g⊙γ2⊙(1−t²): dh = λ2ρ2·q (written); lambdaRows[row] = ρ2·<q,h> (written);
     * dinpCross = −λ2ρ2·<q,h>·x/(C·(ŝ²+ε)) = −λ2κ²ρ2³<q,h>·x/C (written).
     */
    public static void backwardSecondRows(KernelContext ctx, FloatArray dh, FloatArray dinpCross, FloatArray lambdaRows,
                                          FloatArray dout, FloatArray h, FloatArray inpX, FloatArray rho2,
                                          FloatArray lambda2, FloatArray weight2, int C, float kappa) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float r = rho2.get(row);
        float a = lambda2.get(0) * r;
        float s = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float hv = h.get(base + j);
            float t = TornadoMath.tanh(a * hv);
            float q = dout.get(base + j) * weight2.get(j) * (1f - t * t);
            dh.set(base + j, a * q);
            s += q * hv;
        }
        float qh = WorkGroupReduction.sum(ctx, ROW_GROUP, s);
        if (lid == 0) lambdaRows.set(row, r * qh);
        float k = -a * kappa * kappa * r * r * qh / C;
        for (int j = lid; j < C; j += ROW_GROUP) dinpCross.set(base + j, k * inpX.get(base + j));
    }

    /** partials[b, c] = sum over rows n of block b of dout * tanh(λ·ρ1[n]·x), ρ1 from meanSq. */
    public static void inputGainPartials(KernelContext ctx, FloatArray partials, FloatArray dout, FloatArray inp,
                                         FloatArray meanSq, FloatArray lambda, int N, int C, float kappa, float eps) {
        int id = ctx.globalIdx;
        int b = id / C;
        int c = id - b * C;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float lam = lambda.get(0);
        float s = 0f;
        for (int n = start; n < end; n++) {
            float a = lam * rho(meanSq.get(n), kappa, eps);
            s += dout.get(n * C + c) * TornadoMath.tanh(a * inp.get(n * C + c));
        }
        partials.set(id, s);
    }

    /** partials[b, c] = sum over rows n of block b of dout * tanh(λ2·ρ2[n]·h). */
    public static void secondGainPartials(KernelContext ctx, FloatArray partials, FloatArray dout, FloatArray h,
                                          FloatArray rho2, FloatArray lambda2, int N, int C) {
        int id = ctx.globalIdx;
        int b = id / C;
        int c = id - b * C;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float lam = lambda2.get(0);
        float s = 0f;
        for (int n = start; n < end; n++) s += dout.get(n * C + c) * TornadoMath.tanh(lam * rho2.get(n) * h.get(n * C + c));
        partials.set(id, s);
    }

    /**
     * cRows[i] = Σ_c M[i, c]², M = wo·W_V,exp (C × C), W_V,exp = wv with each KV head's hd rows
     * repeated for the nHeads/nKvHeads query heads it serves (GQA). E is never built: M[i, c] =
     * Σ_kv Σ_j (Σ_g wo[i, (kv·group + g)·hd + j])·wv[kv·hd + j, c]. One work-group per row i.
     */
    public static void cAttnRows(KernelContext ctx, FloatArray cRows, FloatArray wv, FloatArray wo, int C,
                                 int nHeads, int nKvHeads, int hd) {
        int i = ctx.groupIdx;
        int lid = ctx.localIdx;
        int D = nHeads * hd;
        int group = nHeads / nKvHeads;
        int woRow = i * D;
        float sq = 0f;
        for (int c = lid; c < C; c += ROW_GROUP) {
            float m = 0f;
            for (int kv = 0; kv < nKvHeads; kv++) {
                for (int j = 0; j < hd; j++) {
                    float coef = 0f;
                    for (int g = 0; g < group; g++) coef += wo.get(woRow + (kv * group + g) * hd + j);
                    m += coef * wv.get((kv * hd + j) * C + c);
                }
            }
            sq += m * m;
        }
        float rowSquares = WorkGroupReduction.sum(ctx, ROW_GROUP, sq);
        if (lid == 0) cRows.set(i, rowSquares);
    }

    /** cOut[0] = (Σ_i cRows[i], in order) / (seqLen·C); written (c_attn is a buffer, not a gradient). */
    public static void cAttnFinish(KernelContext ctx, FloatArray cOut, FloatArray cRows, int C, int seqLen) {
        float s = 0f;
        for (int i = 0; i < C; i++) s += cRows.get(i);
        cOut.set(0, s / ((float) seqLen * C));
    }
}
