package dev.squall.program;

/**
 * One kernel call over a step program's buffers: data only. Each record names its kernel and holds
 * its arguments; every backend (the JVM's dispatch, the TornadoVM lowering) switches over the
 * sealed families below with no default branch, so a record that some backend cannot run is a
 * compile error there, not a failure at run time. A kernel's name ties together its SPEC section,
 * reference, JVM kernel, device kernel, tests and benchmark.
 */
public sealed interface Task {
    /**
     * The buffers this task reads or writes, for backends that move or check data: every
     * {@code Buffer} (and {@code Buffer[]}) component of the record, in declaration order, absent
     * optional ones left out. Derived from the record itself, so a new argument cannot be forgotten.
     */
    default Buffer[] buffers() {
        java.util.List<Buffer> out = new java.util.ArrayList<>();
        try {
            for (java.lang.reflect.RecordComponent c : getClass().getRecordComponents()) {
                Object v = c.getAccessor().invoke(this);
                if (v instanceof Buffer b) out.add(b);
                else if (v instanceof Buffer[] bs) for (Buffer b : bs) if (b != null) out.add(b);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(getClass().getSimpleName() + ": cannot read its components", e);
        }
        return out.toArray(Buffer[]::new);
    }

    /** Embedding lookup and the fused cross-entropy of the head. */
    sealed interface Head extends Task {}

    /** The three products of a linear layer. */
    sealed interface Linear extends Task {}

    /** LayerNorm, RMSNorm, DyT, Derf, per-head RMSNorm and BHyT, forward and backward. */
    sealed interface Norm extends Task {}

    /** RoPE, causal attention and the KV-cache decode. */
    sealed interface AttentionFamily extends Task {}

    /** SwiGLU, residual adds, mixes, copies and zeroing. */
    sealed interface Elementwise extends Task {}

    /** Router, router losses, dispatch and the grouped expert matmuls. */
    sealed interface Moe extends Task {}

    /** Scalar summaries of a tensor (losses, stability indicators, squared norms). */
    sealed interface Statistic extends Task {}

    /** Clipping and the optimizers' updates: AdamW, Muon with Newton-Schulz, the sphere. */
    sealed interface Update extends Task {}

    // ---- embedding and head -------------------------------------------------------------------

    record EmbeddingForward(Buffer out, Buffer tokens, Buffer wte, Buffer scale, int N, int C) implements Head {
    }

    record EmbeddingBackward(Buffer dwte, Buffer dscale, Buffer dout, Buffer tokens, Buffer wte, Buffer scale, int N, int C)
            implements Head {
    }

    /** Fused softmax cross-entropy; with {@code dlogits} null only the losses are computed (evaluation). */
    record CrossEntropyLoss(Buffer losses, Buffer dlogits, Buffer logits, Buffer targets, int N, int V, float dlossScale)
            implements Head {
    }

    // ---- linear layers ------------------------------------------------------------------------

    record MatmulForward(Buffer out, Buffer inp, Buffer weight, int N, int C, int OC) implements Linear {
    }

    record MatmulBackwardInput(Buffer dinp, Buffer dout, Buffer weight, int N, int C, int OC) implements Linear {
    }

    record MatmulBackwardWeight(Buffer dweight, Buffer dout, Buffer inp, int N, int C, int OC) implements Linear {
    }

    // ---- norms --------------------------------------------------------------------------------

    record RmsNormForward(Buffer out, Buffer rstd, Buffer inp, Buffer weight, int N, int C, float eps) implements Norm {
    }

    record RmsNormBackward(Buffer dinp, Buffer dweight, Buffer dout, Buffer inp, Buffer weight, Buffer rstd, int N, int C)
            implements Norm {
    }

    record LayerNormForward(Buffer out, Buffer mean, Buffer rstd, Buffer inp, Buffer weight, Buffer bias, int N, int C, float eps)
            implements Norm {
    }

    record LayerNormBackward(Buffer dinp, Buffer dweight, Buffer dbias, Buffer dout, Buffer inp, Buffer weight, Buffer mean,
                             Buffer rstd, int N, int C) implements Norm {
    }

    record DytForward(Buffer out, Buffer inp, Buffer alpha, Buffer weight, Buffer bias, int N, int C) implements Norm {
    }

    record DytBackward(Buffer dinp, Buffer dalpha, Buffer dweight, Buffer dbias, Buffer dout, Buffer inp, Buffer alpha,
                       Buffer weight, int N, int C) implements Norm {
    }

    record DerfForward(Buffer out, Buffer inp, Buffer alpha, Buffer shift, Buffer weight, Buffer bias, int N, int C)
            implements Norm {
    }

    record DerfBackward(Buffer dinp, Buffer dalpha, Buffer dshift, Buffer dweight, Buffer dbias, Buffer dout, Buffer inp,
                        Buffer alpha, Buffer shift, Buffer weight, int N, int C) implements Norm {
    }

    record HeadRmsNormForward(Buffer out, Buffer rstd, Buffer inp, Buffer weight, int N, int nHeads, int hd, float eps)
            implements Norm {
    }

    record HeadRmsNormBackward(Buffer dinp, Buffer dweight, Buffer dout, Buffer inp, Buffer weight, Buffer rstd, int N,
                               int nHeads, int hd) implements Norm {
    }

    // ---- BHyT (SPEC §4) ---------------------------------------------------------------------------

    /** BHyT with the exact statistic of its own input (BHyT*, and BHyT's input norm); saves mean x^2. */
    record BhytStarForward(Buffer out, Buffer meanSq, Buffer inp, Buffer lambda, Buffer weight, int N, int C, float kappa,
                           float eps) implements Norm {
    }

    record BhytStarBackward(Buffer dinp, Buffer dlambda, Buffer dweight, Buffer dout, Buffer inp, Buffer meanSq,
                            Buffer lambda, Buffer weight, int N, int C, float kappa, float eps) implements Norm {
    }

    record BhytSecondForward(Buffer out, Buffer rho2, Buffer h, Buffer meanSqX, Buffer cAttn, Buffer lambda1, Buffer lambda2,
                             Buffer weight, int N, int C, float kappa, float eps) implements Norm {
    }

    record BhytSecondBackward(Buffer dh, Buffer dinpCross, Buffer dlambda2, Buffer dweight2, Buffer dout, Buffer h,
                              Buffer inpX, Buffer rho2, Buffer lambda2, Buffer weight2, int N, int C, float kappa)
            implements Norm {
    }

    /** c_attn = ||W_V W_O||_F^2 / (T d), no gradient; refreshed every few steps (SPEC §4.1 step 4). */
    record BhytAttnConstant(Buffer cAttn, Buffer wv, Buffer wo, int C, int nHeads, int nKvHeads, int hd, int seqLen)
            implements Norm {
    }

    // ---- attention ----------------------------------------------------------------------------

    record RopeForward(Buffer out, Buffer inp, Buffer cos, Buffer sin, int B, int T, int nHeads, int hd) implements AttentionFamily {
    }

    record RopeBackward(Buffer dinp, Buffer dout, Buffer cos, Buffer sin, int B, int T, int nHeads, int hd) implements AttentionFamily {
    }

    record AttentionForward(Buffer out, Buffer lse, Buffer q, Buffer k, Buffer v, int B, int T, int H, int Hkv, int hd,
                            float scale) implements AttentionFamily {
    }

    record AttentionBackward(Buffer dq, Buffer dk, Buffer dv, Buffer dout, Buffer q, Buffer k, Buffer v, Buffer out,
                             Buffer lse, int B, int T, int H, int Hkv, int hd, float scale) implements AttentionFamily {
    }

    /** RoPE for one decoding step: the token's position comes from a buffer, not a constant. */
    record RopeAt(Buffer out, Buffer inp, Buffer cos, Buffer sin, Buffer position, int nTokens, int nHeads, int hd)
            implements AttentionFamily {
    }

    /** Appends one token's keys or values (width floats) at row {@code position} of a KV cache. */
    record CacheWrite(Buffer cache, Buffer row, Buffer position, int width) implements AttentionFamily {
    }

    /** Attention of one new token over the cached positions 0..position. */
    record AttentionDecode(Buffer out, Buffer q, Buffer kCache, Buffer vCache, Buffer position, int maxT, int H, int Hkv,
                           int hd, float scale) implements AttentionFamily {
    }

    // ---- feed-forward and residual ------------------------------------------------------------

    record SwiGluForward(Buffer out, Buffer gu, int N, int hidden) implements Elementwise {
    }

    record SwiGluBackward(Buffer dgu, Buffer dout, Buffer gu, int N, int hidden) implements Elementwise {
    }

    record ResidualAdd(Buffer out, Buffer a, Buffer b, int n) implements Elementwise {
    }

    /** dst += src: where a gradient fans in from two paths. */
    record Accumulate(Buffer dst, Buffer src, int n) implements Elementwise {
    }

    record Copy(Buffer dst, Buffer src, int n) implements Elementwise {
    }

    record Zero(Buffer dst) implements Elementwise {
    }

    // ---- mixture of experts (SPEC §6.6, §6.7, §7.1-§7.3; docs/MODEL.md "MoE sublayer") ---------

    /** Top-k selection, gates and mixing weights from router logits (N, E), by the {@link Routing} rule. */
    record RouterForward(Buffer expertIdx, Buffer gates, Buffer weights, Buffer probs, Buffer lse, Buffer logits, int N,
                         int E, int K, Routing kind) implements Moe {
    }

    /** dlogits (written) from the gradient of the mixing weights. */
    record RouterBackward(Buffer dlogits, Buffer dweights, Buffer gates, Buffer weights, Buffer probs, Buffer expertIdx,
                          int N, int E, int K, Routing kind) implements Moe {
    }

    /** Assignments per expert (as floats), the c of the balance loss and the load metrics. */
    record RouterCounts(Buffer counts, Buffer expertIdx, int N, int K, int E) implements Moe {
    }

    /** out[slot] = the Switch load-balancing loss with weight gamma. */
    record BalanceLossForward(Buffer out, int slot, Buffer probs, Buffer counts, int N, int E, int K, float gamma)
            implements Moe {
    }

    /** dlogits += scale * d(balance loss)/dz, counts held constant. */
    record BalanceLossBackward(Buffer dlogits, Buffer probs, Buffer counts, int N, int E, int K, float gamma, float scale)
            implements Moe {
    }

    /** out[slot] = beta * mean LSE^2 (beta = 1: the router Z-value metric). */
    record ZLossForward(Buffer out, int slot, Buffer lse, int N, float beta) implements Moe {
    }

    /** dlogits += scale * d(z-loss)/dz. */
    record ZLossBackward(Buffer dlogits, Buffer probs, Buffer lse, int N, int E, float beta, float scale) implements Moe {
    }

    /** out[slot] = max/mean of the counts, out[slot + 1] = their coefficient of variation. */
    record LoadImbalance(Buffer out, int slot, Buffer counts, int E) implements Moe {
    }

    /** Stable sort of the N*K (token, slot) pairs by expert: rowSlot, slotRow, offsets (E + 1). */
    record MoePlan(Buffer rowSlot, Buffer slotRow, Buffer offsets, Buffer expertIdx, int N, int K, int E) implements Moe {
    }

    record MoeGather(Buffer xs, Buffer x, Buffer rowSlot, int N, int K, int C) implements Moe {
    }

    record MoeGatherBackward(Buffer dx, Buffer dxs, Buffer slotRow, int N, int K, int C) implements Moe {
    }

    record MoeCombine(Buffer y, Buffer ys, Buffer weights, Buffer slotRow, int N, int K, int C) implements Moe {
    }

    record MoeCombineBackward(Buffer dys, Buffer dweights, Buffer dy, Buffer ys, Buffer weights, Buffer slotRow, int N,
                              int K, int C) implements Moe {
    }

    /** Per-expert matmul over rows sorted by expert (offsets), weight stack (E, OC, C). */
    record GroupedMatmulForward(Buffer out, Buffer inp, Buffer weight, Buffer offsets, int R, int C, int OC, int E)
            implements Moe {
    }

    record GroupedMatmulBackwardInput(Buffer dinp, Buffer dout, Buffer weight, Buffer offsets, int R, int C, int OC, int E)
            implements Moe {
    }

    record GroupedMatmulBackwardWeight(Buffer dweight, Buffer dout, Buffer inp, Buffer offsets, int R, int C, int OC, int E)
            implements Moe {
    }

    /** out = alpha a + beta b: shared-expert mixing and the residual branch scale. */
    record MixForward(Buffer out, Buffer a, Buffer b, float alpha, float beta, int n) implements Elementwise {
    }

    /** da = alpha dout, db = beta dout (written); either may be null. */
    record MixBackward(Buffer da, Buffer db, Buffer dout, float alpha, float beta, int n) implements Elementwise {
    }

    // ---- summaries and the optimizer -----------------------------------------------------------

    enum Summary { MEAN, MEAN_SQUARE, RMS, OUTLIER_PERCENT, ADD_SUM_SQUARES }

    /** A scalar summary of {@code x} written into {@code out[slot]} (see {@link Stats}). */
    record Summarize(Summary kind, Buffer out, int slot, Buffer x, int N, int C) implements Statistic {
    }

    /** Global-norm clipping: sets the gradient scale of every optimizer hyper array from the summed squares. */
    record ClipScale(Buffer gradSq, Buffer[] hypers, float maxNorm) implements Update {
    }

    record AdamWUpdate(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer hyper) implements Update {
    }

    // ---- Muon, Newton–Schulz and the Frobenius sphere (SPEC §6.1-§6.4) --------------------------

    /** Nesterov momentum of a matrix's gradient: momentum updated in place, the Nesterov update written. */
    record MuonMomentum(Buffer update, Buffer momentum, Buffer grad, Buffer hyper, int n) implements Update {
    }

    /** NS5 per (rows, cols) slice; x, gram, gramSquared and next are scratch (gram ones of {@link #gramSize} floats a slice). */
    record NewtonSchulzOrthogonalize(Buffer out, Buffer g, Buffer x, Buffer gram, Buffer gramSquared, Buffer next,
                                     int slices, int rows, int cols) implements Update {
        /** Floats of one slice's Gram matrix: NS5 iterates on the smaller side, min(rows, cols)^2. */
        public static int gramSize(int rows, int cols) {
            int r = Math.min(rows, cols);
            return r * r;
        }

    }

    /** Muon's update W = (1 - lr wd) W - lr shapeFactor O. */
    record MuonUpdate(Buffer param, Buffer ortho, Buffer hyper, int n, float shapeFactor) implements Update {
        /** Muon's shape factor sqrt(max(1, rows / cols)) of one (rows, cols) slice: a fixed constant per tensor. */
        public static float shapeFactor(int rows, int cols) {
            return (float) Math.sqrt(Math.max(1.0, (double) rows / cols));
        }

    }

    record SphereDecay(Buffer param, Buffer hyper, int n) implements Update {
    }

    /** norms[slot] = ||x||_F^2, where the data is. */
    record SphereSumSquares(Buffer norms, int slot, Buffer x, int n) implements Update {
    }

    record SphereStep(Buffer param, Buffer direction, Buffer norms, Buffer hyper, int n) implements Update {
    }

    record SphereRetract(Buffer param, Buffer norms, int n) implements Update {
    }

    /** Adam's moments and its direction m-hat / (sqrt(v-hat) + eps), for the LM head on the sphere. */
    record SphereAdamDirection(Buffer direction, Buffer m, Buffer v, Buffer grad, Buffer hyper, int n) implements Update {
    }
}
