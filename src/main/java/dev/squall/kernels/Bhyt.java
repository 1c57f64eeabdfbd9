package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * BHyT (Bounded Hyperbolic Tangent), the two norms of one Pre-LN block, SPEC §4.1 (forward),
 * §4.3 (backward), §4.5 (numerics). BHyT* (exact statistics for every norm) is {@link BhytStar}.
 *
 * <pre>
 * Shapes:
 *   N   rows (tokens: batch * sequence)
 *   C   features per row (d)
 *   inp (x: block input), h (x + Attn(n1)), out, dout, dinp, dh, dinpCross   (N, C)
 *   weight (gamma1 or gamma2), dweight                                        (C)
 *   meanSq, meanSqX   (N)   s²_x = mean_j x², from {@link #statistic}, once per block
 *   rho2              (N)   saved by {@link #forwardSecond}: κ⁻¹(ŝ² + ε)^(-1/2)
 *   lambda, lambda1, lambda2, dlambda, dlambda2, cAttn   float[1]
 *   wv (nKvHeads*hd, C), wo (C, nHeads*hd)   attention value and output weights (Linear layout)
 * Constants: kappa (κ, {@link #KAPPA}), eps (inside the root, {@link #EPS}).
 * </pre>
 *
 * <p>One block uses the pieces in this order. Forward: {@link #statistic} on x; {@link #forwardInput}
 * gives n1; attention gives h = x + Attn(n1); {@link #forwardSecond} gives n2 and saves ρ2 (its
 * variance is the approximation ŝ² = s²_x + c_attn·λ̄1²/κ², so h is never reduced); the MLP follows.
 * {@link #cAttn} refreshes c_attn from the attention weights now and then (SPEC: every
 * clip(steps/50, 1, 1000) steps), outside autograd. Backward: {@link #backwardSecond} gives dh and
 * the cross-gradient into x through s²_x; {@link #backwardInput} gives the gradient into x through n1.
 * The block's dx is the sum of its residual path, the attention path's dx, dinp and dinpCross.
 *
 * <p>Autograd graph (the authors' code): s²_x is not detached, so x receives gradient through ρ2;
 * λ1 inside ŝ² is detached (forwardSecond reads its value, nothing flows back); c_attn is a constant.
 * Scalar and gain gradients accumulate, input gradients are written. The statistic and the norms
 * are float32 throughout (SPEC §4.5 asks fp32 for the variance; everything here is fp32).
 */
public final class Bhyt {
    private Bhyt() {}

    /** κ: the tanh argument has per-row RMS λ/κ before clipping (SPEC §4.1). */
    public static final float KAPPA = 10f;
    /** ε inside the square root of both ρ1 and ρ2 (SPEC §4.5). */
    public static final float EPS = 1e-6f;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int GRAIN = 16;

    /** s²_x per row: the one exact statistic of a block, shared by both norms. */
    public static void statistic(float[] meanSq, float[] inp, int N, int C) {
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) meanSq[n] = RmsNorm.sumSquares(inp, n * C, C) / C;
        });
    }

    /** n1 = γ1 ⊙ tanh(λ1·ρ1·x), ρ1 = κ⁻¹(s²_x + ε)^(-1/2), from the saved s²_x. */
    public static void forwardInput(float[] out, float[] inp, float[] meanSq, float[] lambda, float[] weight,
                                    int N, int C, float kappa, float eps) {
        float lam = lambda[0];
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) scaledTanhRow(out, inp, weight, n * C, C, lam * rho(meanSq[n], kappa, eps));
        });
    }

    /**
     * n2 = γ2 ⊙ tanh(λ2·ρ2·h), ρ2 = κ⁻¹(ŝ² + ε)^(-1/2), ŝ² = s²_x + c_attn·λ̄1²/κ²; saves ρ2 per row.
     * lambda1 is read as a value only (λ̄1): backward gives it no gradient from here.
     */
    public static void forwardSecond(float[] out, float[] rho2, float[] h, float[] meanSqX, float[] cAttn,
                                     float[] lambda1, float[] lambda2, float[] weight, int N, int C,
                                     float kappa, float eps) {
        float correction = cAttn[0] * lambda1[0] * lambda1[0] / (kappa * kappa);
        float lam = lambda2[0];
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                float r = rho(meanSqX[n] + correction, kappa, eps);
                rho2[n] = r;
                scaledTanhRow(out, h, weight, n * C, C, lam * r);
            }
        });
    }

    /**
     * Writes dinp; adds into dlambda and dweight. With t = tanh(λρ1x), q = g⊙γ⊙(1−t²):
     * dx = λρ1·(q − x·<q,x>/(C·(s²_x+ε))), the RMSNorm-like projection because ρ1 depends on x;
     * dλ += Σ_tok ρ1·<q,x>; dγ += Σ_tok g⊙t.
     */
    public static void backwardInput(float[] dinp, float[] dlambda, float[] dweight, float[] dout, float[] inp,
                                     float[] meanSq, float[] lambda, float[] weight, int N, int C,
                                     float kappa, float eps) {
        float lam = lambda[0];
        reduceGainAndScalar(N, C, dweight, dlambda, (lo, hi, partial, off) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                float r = rho(meanSq[n], kappa, eps);
                float a = lam * r;
                // dinp holds q until the projection below overwrites it.
                float qx = tanhGradRow(dinp, 1f, partial, off, dout, inp, weight, row, C, a);
                partial[off + C] += r * qx;
                float c = qx / (C * (meanSq[n] + eps));
                axpyRow(dinp, a, -c, inp, row, C);
            }
        });
    }

    /**
     * Writes dh and dinpCross; adds into dlambda2 and dweight2. With t = tanh(λ2ρ2h), q = g⊙γ2⊙(1−t²):
     * dh = λ2ρ2·q (no projection: ρ2 does not depend on h); dλ2 += Σ_tok ρ2·<q,h>; dγ2 += Σ_tok g⊙t;
     * dinpCross = −λ2ρ2·<q,h>·x/(C·(ŝ²+ε)), the gradient into the block input x through s²_x in ŝ².
     * ŝ²+ε is recovered from the saved ρ2 as 1/(κρ2)², so the cross term is −λ2κ²ρ2³<q,h>·x/C and
     * no ε is needed here.
     */
    public static void backwardSecond(float[] dh, float[] dinpCross, float[] dlambda2, float[] dweight2,
                                      float[] dout, float[] h, float[] inpX, float[] rho2, float[] lambda2,
                                      float[] weight2, int N, int C, float kappa) {
        float lam = lambda2[0];
        reduceGainAndScalar(N, C, dweight2, dlambda2, (lo, hi, partial, off) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * C;
                float r = rho2[n];
                float a = lam * r;
                float qh = tanhGradRow(dh, a, partial, off, dout, h, weight2, row, C, a);
                partial[off + C] += r * qh;
                scaleRowInto(dinpCross, -a * kappa * kappa * r * r * qh / C, inpX, row, C);
            }
        });
    }

    /**
     * c_attn = ‖W_V·W_O‖_F² / (seqLen·C) in SPEC's paper orientation, computed here as the equal
     * ‖W_O·W_V,exp‖_F² / (seqLen·C) and written to cOut[0].
     *
     * <p>Which matrix: with Linear layouts v = x·wvᵀ and out = o·woᵀ, the value path of one token,
     * mixing across positions aside, is x ↦ v_kv = wv·x ↦ o = expand(v_kv) ↦ out = wo·o, where expand
     * copies KV head ⌊head·nKvHeads/nHeads⌋ to every query head (GQA, SPEC §8.1). As a matrix that is
     * M = wo·E·wv = wo·W_V,exp (C × C), with W_V,exp = E·wv the (nHeads·hd × C) value weight whose
     * row block for each query head is its KV head's block. The authors take W_V^paper = W_V,expᵀ and
     * W_O^paper = woᵀ, and ‖W_V^paper·W_O^paper‖_F = ‖(wo·W_V,exp)ᵀ‖_F = ‖M‖_F because transposing
     * keeps the Frobenius norm.
     *
     * <p>How: E never exists. M = Σ_kv (Σ over the query heads h of kv of wo's column block h)·wv_kv,
     * so each element of M is one dot product of length nKvHeads·hd, vectorized over M's columns with
     * contiguous rows of wv. Runs under no autograd (nothing flows back to wv or wo). Rarely called
     * (every few hundred steps), so it favours no scratch memory over speed: C²·nKvHeads·hd FMAs.
     * nHeads must be a multiple of nKvHeads (as GQA requires); then KV head ⌊head·nKvHeads/nHeads⌋
     * is head / (nHeads/nKvHeads), the grouping used here.
     */
    public static void cAttn(float[] cOut, float[] wv, float[] wo, int C, int nHeads, int nKvHeads, int hd,
                             int seqLen) {
        int D = nHeads * hd, group = nHeads / nKvHeads;
        cOut[0] = 0f;
        Parallel.reduce(C, 4, 1, cOut, (lo, hi, partial, off) -> {
            for (int i = lo; i < hi; i++) {
                int woRow = i * D;
                FloatVector sq = FloatVector.zero(S);
                int c = 0;
                for (; c < S.loopBound(C); c += S.length()) {
                    FloatVector m = FloatVector.zero(S);
                    for (int kv = 0; kv < nKvHeads; kv++) {
                        for (int j = 0; j < hd; j++) {
                            float coef = groupedWo(wo, woRow, kv, group, hd, j);
                            m = FloatVector.fromArray(S, wv, (kv * hd + j) * C + c).fma(FloatVector.broadcast(S, coef), m);
                        }
                    }
                    sq = m.fma(m, sq);
                }
                float rowSum = LaneMath.sum(sq);
                for (; c < C; c++) {
                    float m = 0f;
                    for (int kv = 0; kv < nKvHeads; kv++) {
                        for (int j = 0; j < hd; j++) m += groupedWo(wo, woRow, kv, group, hd, j) * wv[(kv * hd + j) * C + c];
                    }
                    rowSum += m * m;
                }
                partial[off] += rowSum;
            }
        });
        cOut[0] /= (float) seqLen * C;
    }

    /** wo[i, head*hd + j] summed over the query heads that share KV head kv. */
    private static float groupedWo(float[] wo, int woRow, int kv, int group, int hd, int j) {
        float s = 0f;
        for (int g = 0; g < group; g++) s += wo[woRow + (kv * group + g) * hd + j];
        return s;
    }

    static float rho(float variance, float kappa, float eps) {
        return (float) (1.0 / (kappa * Math.sqrt((double) variance + eps)));
    }

    /** out[row..] = weight ⊙ tanh(a·x[row..]). */
    static void scaledTanhRow(float[] out, float[] x, float[] weight, int row, int C, float a) {
        FloatVector va = FloatVector.broadcast(S, a);
        int j = 0;
        for (; j < S.loopBound(C); j += S.length()) {
            FloatVector t = LaneMath.tanh(FloatVector.fromArray(S, x, row + j).mul(va));
            t.mul(FloatVector.fromArray(S, weight, j)).intoArray(out, row + j);
        }
        for (; j < C; j++) out[row + j] = weight[j] * LaneMath.tanh(a * x[row + j]);
    }

    /**
     * With t = tanh(a·x) and q = g⊙γ⊙(1−t²): writes qScale·q to out[row..], adds g⊙t to the dgamma
     * partial, returns <q, x> (of the unscaled q). qScale lets dh = λ2ρ2·q be written in this pass.
     */
    static float tanhGradRow(float[] out, float qScale, float[] partial, int off, float[] dout, float[] x,
                             float[] weight, int row, int C, float a) {
        FloatVector va = FloatVector.broadcast(S, a), one = FloatVector.broadcast(S, 1f);
        FloatVector vs = FloatVector.broadcast(S, qScale);
        FloatVector dot = FloatVector.zero(S);
        int j = 0;
        for (; j < S.loopBound(C); j += S.length()) {
            FloatVector xv = FloatVector.fromArray(S, x, row + j);
            FloatVector g = FloatVector.fromArray(S, dout, row + j);
            FloatVector t = LaneMath.tanh(xv.mul(va));
            g.fma(t, FloatVector.fromArray(S, partial, off + j)).intoArray(partial, off + j);
            FloatVector qv = g.mul(FloatVector.fromArray(S, weight, j)).mul(t.neg().fma(t, one));
            qv.mul(vs).intoArray(out, row + j);
            dot = qv.fma(xv, dot);
        }
        float qx = LaneMath.sum(dot);
        for (; j < C; j++) {
            float xv = x[row + j], g = dout[row + j];
            float t = LaneMath.tanh(a * xv);
            partial[off + j] += g * t;
            float qv = g * weight[j] * (1f - t * t);
            out[row + j] = qScale * qv;
            qx += qv * xv;
        }
        return qx;
    }

    /** y[row..] = a·(y[row..] + b·x[row..]). */
    private static void axpyRow(float[] y, float a, float b, float[] x, int row, int C) {
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
        int j = 0;
        for (; j < S.loopBound(C); j += S.length()) {
            FloatVector.fromArray(S, x, row + j).fma(vb, FloatVector.fromArray(S, y, row + j)).mul(va).intoArray(y, row + j);
        }
        for (; j < C; j++) y[row + j] = a * (y[row + j] + b * x[row + j]);
    }

    /** y[row..] = a·x[row..]. */
    private static void scaleRowInto(float[] y, float a, float[] x, int row, int C) {
        FloatVector va = FloatVector.broadcast(S, a);
        int j = 0;
        for (; j < S.loopBound(C); j += S.length()) FloatVector.fromArray(S, x, row + j).mul(va).intoArray(y, row + j);
        for (; j < C; j++) y[row + j] = a * x[row + j];
    }

    /** Per-chunk sums of dγ (elements 0..C) and dλ (element C), reused so steady state allocates nothing. */
    private static float[] gainAndScalarSums = new float[0];

    /**
     * One deterministic {@link Parallel#reduce} for a gain gradient and a scalar gradient together:
     * each chunk's partial is C + 1 floats wide (dγ then dλ), so the rows are read once for both.
     */
    static synchronized void reduceGainAndScalar(int N, int C, float[] dweight, float[] dscalar,
                                                 Parallel.OffsetPartialBody body) {
        if (gainAndScalarSums.length < C + 1) gainAndScalarSums = new float[C + 1];
        float[] sums = gainAndScalarSums;
        java.util.Arrays.fill(sums, 0, C + 1, 0f);
        Parallel.reduce(N, GRAIN, C + 1, sums, body);
        for (int j = 0; j < C; j++) dweight[j] += sums[j];
        dscalar[0] += sums[C];
    }
}
