package dev.squall.program;

import dev.squall.kernels.*;

/**
 * One kernel call over a step program's buffers. Each record names its kernel, holds its arguments,
 * and knows how to run on the JVM; an accelerator backend switches over the same records to build
 * its device tasks, so a kernel's name ties together its SPEC section, reference, JVM kernel,
 * device kernel, tests and benchmark.
 */
public sealed interface Task {
    void runJvm();

    /** The buffers this task reads or writes, for backends that move data. */
    Buffer[] buffers();

    static float[] f(Buffer b) { return b == null ? null : b.f; }

    // ---- embedding and head -------------------------------------------------------------------

    record EmbeddingForward(Buffer out, Buffer tokens, Buffer wte, Buffer scale, int N, int C) implements Task {
        public void runJvm() {
            if (scale == null) Embedding.forward(out.f, tokens.i, wte.f, N, C);
            else Embedding.forwardScaled(out.f, tokens.i, wte.f, scale.f, N, C);
        }
        public Buffer[] buffers() { return new Buffer[] {out, tokens, wte, scale}; }
    }

    record EmbeddingBackward(Buffer dwte, Buffer dscale, Buffer dout, Buffer tokens, Buffer wte, Buffer scale, int N, int C)
            implements Task {
        public void runJvm() {
            if (scale == null) Embedding.backward(dwte.f, dout.f, tokens.i, N, C);
            else Embedding.backwardScaled(dwte.f, dscale.f, dout.f, tokens.i, wte.f, scale.f, N, C);
        }
        public Buffer[] buffers() { return new Buffer[] {dwte, dscale, dout, tokens, wte, scale}; }
    }

    /** Fused softmax cross-entropy; with {@code dlogits} null only the losses are computed (evaluation). */
    record CrossEntropyLoss(Buffer losses, Buffer dlogits, Buffer logits, Buffer targets, int N, int V, float dlossScale)
            implements Task {
        public void runJvm() {
            if (dlogits == null) CrossEntropy.forward(losses.f, logits.f, targets.i, N, V);
            else CrossEntropy.forwardBackward(losses.f, dlogits.f, logits.f, targets.i, N, V, dlossScale);
        }
        public Buffer[] buffers() { return new Buffer[] {losses, dlogits, logits, targets}; }
    }

    // ---- linear layers ------------------------------------------------------------------------

    record MatmulForward(Buffer out, Buffer inp, Buffer weight, int N, int C, int OC) implements Task {
        public void runJvm() { Matmul.forward(out.f, inp.f, weight.f, null, N, C, OC); }
        public Buffer[] buffers() { return new Buffer[] {out, inp, weight}; }
    }

    record MatmulBackwardInput(Buffer dinp, Buffer dout, Buffer weight, int N, int C, int OC) implements Task {
        public void runJvm() { Matmul.backwardInput(dinp.f, dout.f, weight.f, N, C, OC); }
        public Buffer[] buffers() { return new Buffer[] {dinp, dout, weight}; }
    }

    record MatmulBackwardWeight(Buffer dweight, Buffer dout, Buffer inp, int N, int C, int OC) implements Task {
        public void runJvm() { Matmul.backwardWeight(dweight.f, null, dout.f, inp.f, N, C, OC); }
        public Buffer[] buffers() { return new Buffer[] {dweight, dout, inp}; }
    }

    // ---- norms --------------------------------------------------------------------------------

    record RmsNormForward(Buffer out, Buffer rstd, Buffer inp, Buffer weight, int N, int C, float eps) implements Task {
        public void runJvm() { RmsNorm.forward(out.f, rstd.f, inp.f, weight.f, N, C, eps); }
        public Buffer[] buffers() { return new Buffer[] {out, rstd, inp, weight}; }
    }

    record RmsNormBackward(Buffer dinp, Buffer dweight, Buffer dout, Buffer inp, Buffer weight, Buffer rstd, int N, int C)
            implements Task {
        public void runJvm() { RmsNorm.backward(dinp.f, dweight.f, dout.f, inp.f, weight.f, rstd.f, N, C); }
        public Buffer[] buffers() { return new Buffer[] {dinp, dweight, dout, inp, weight, rstd}; }
    }

    record LayerNormForward(Buffer out, Buffer mean, Buffer rstd, Buffer inp, Buffer weight, Buffer bias, int N, int C, float eps)
            implements Task {
        public void runJvm() { LayerNorm.forward(out.f, mean.f, rstd.f, inp.f, weight.f, f(bias), N, C, eps); }
        public Buffer[] buffers() { return new Buffer[] {out, mean, rstd, inp, weight, bias}; }
    }

    record LayerNormBackward(Buffer dinp, Buffer dweight, Buffer dbias, Buffer dout, Buffer inp, Buffer weight, Buffer mean,
                             Buffer rstd, int N, int C) implements Task {
        public void runJvm() {
            LayerNorm.backward(dinp.f, dweight.f, f(dbias), dout.f, inp.f, weight.f, mean.f, rstd.f, N, C);
        }
        public Buffer[] buffers() { return new Buffer[] {dinp, dweight, dbias, dout, inp, weight, mean, rstd}; }
    }

    record DytForward(Buffer out, Buffer inp, Buffer alpha, Buffer weight, Buffer bias, int N, int C) implements Task {
        public void runJvm() { DynamicTanh.forward(out.f, inp.f, alpha.f, weight.f, f(bias), N, C); }
        public Buffer[] buffers() { return new Buffer[] {out, inp, alpha, weight, bias}; }
    }

    record DytBackward(Buffer dinp, Buffer dalpha, Buffer dweight, Buffer dbias, Buffer dout, Buffer inp, Buffer alpha,
                       Buffer weight, int N, int C) implements Task {
        public void runJvm() {
            DynamicTanh.backward(dinp.f, dalpha.f, dweight.f, f(dbias), dout.f, inp.f, alpha.f, weight.f, N, C);
        }
        public Buffer[] buffers() { return new Buffer[] {dinp, dalpha, dweight, dbias, dout, inp, alpha, weight}; }
    }

    record DerfForward(Buffer out, Buffer inp, Buffer alpha, Buffer shift, Buffer weight, Buffer bias, int N, int C)
            implements Task {
        public void runJvm() { DynamicErf.forward(out.f, inp.f, alpha.f, shift.f, weight.f, f(bias), N, C); }
        public Buffer[] buffers() { return new Buffer[] {out, inp, alpha, shift, weight, bias}; }
    }

    record DerfBackward(Buffer dinp, Buffer dalpha, Buffer dshift, Buffer dweight, Buffer dbias, Buffer dout, Buffer inp,
                        Buffer alpha, Buffer shift, Buffer weight, int N, int C) implements Task {
        public void runJvm() {
            DynamicErf.backward(dinp.f, dalpha.f, dshift.f, dweight.f, f(dbias), dout.f, inp.f, alpha.f, shift.f, weight.f, N, C);
        }
        public Buffer[] buffers() {
            return new Buffer[] {dinp, dalpha, dshift, dweight, dbias, dout, inp, alpha, shift, weight};
        }
    }

    record HeadRmsNormForward(Buffer out, Buffer rstd, Buffer inp, Buffer weight, int N, int nHeads, int hd, float eps)
            implements Task {
        public void runJvm() { HeadRmsNorm.forward(out.f, rstd.f, inp.f, weight.f, N, nHeads, hd, eps); }
        public Buffer[] buffers() { return new Buffer[] {out, rstd, inp, weight}; }
    }

    record HeadRmsNormBackward(Buffer dinp, Buffer dweight, Buffer dout, Buffer inp, Buffer weight, Buffer rstd, int N,
                               int nHeads, int hd) implements Task {
        public void runJvm() { HeadRmsNorm.backward(dinp.f, dweight.f, dout.f, inp.f, weight.f, rstd.f, N, nHeads, hd); }
        public Buffer[] buffers() { return new Buffer[] {dinp, dweight, dout, inp, weight, rstd}; }
    }

    // ---- BHyT (SPEC §4) ---------------------------------------------------------------------------

    /** BHyT with the exact statistic of its own input (BHyT*, and BHyT's input norm); saves mean x^2. */
    record BhytStarForward(Buffer out, Buffer meanSq, Buffer inp, Buffer lambda, Buffer weight, int N, int C, float kappa,
                           float eps) implements Task {
        public void runJvm() { BhytStar.forward(out.f, meanSq.f, inp.f, lambda.f, weight.f, N, C, kappa, eps); }
        public Buffer[] buffers() { return new Buffer[] {out, meanSq, inp, lambda, weight}; }
    }

    record BhytStarBackward(Buffer dinp, Buffer dlambda, Buffer dweight, Buffer dout, Buffer inp, Buffer meanSq,
                            Buffer lambda, Buffer weight, int N, int C, float kappa, float eps) implements Task {
        public void runJvm() {
            BhytStar.backward(dinp.f, dlambda.f, dweight.f, dout.f, inp.f, meanSq.f, lambda.f, weight.f, N, C, kappa, eps);
        }
        public Buffer[] buffers() { return new Buffer[] {dinp, dlambda, dweight, dout, inp, meanSq, lambda, weight}; }
    }

    record BhytSecondForward(Buffer out, Buffer rho2, Buffer h, Buffer meanSqX, Buffer cAttn, Buffer lambda1, Buffer lambda2,
                             Buffer weight, int N, int C, float kappa, float eps) implements Task {
        public void runJvm() {
            Bhyt.forwardSecond(out.f, rho2.f, h.f, meanSqX.f, cAttn.f, lambda1.f, lambda2.f, weight.f, N, C, kappa, eps);
        }
        public Buffer[] buffers() { return new Buffer[] {out, rho2, h, meanSqX, cAttn, lambda1, lambda2, weight}; }
    }

    record BhytSecondBackward(Buffer dh, Buffer dinpCross, Buffer dlambda2, Buffer dweight2, Buffer dout, Buffer h,
                              Buffer inpX, Buffer rho2, Buffer lambda2, Buffer weight2, int N, int C, float kappa)
            implements Task {
        public void runJvm() {
            Bhyt.backwardSecond(dh.f, dinpCross.f, dlambda2.f, dweight2.f, dout.f, h.f, inpX.f, rho2.f, lambda2.f,
                    weight2.f, N, C, kappa);
        }
        public Buffer[] buffers() {
            return new Buffer[] {dh, dinpCross, dlambda2, dweight2, dout, h, inpX, rho2, lambda2, weight2};
        }
    }

    /** c_attn = ||W_V W_O||_F^2 / (T d), no gradient; refreshed every few steps (SPEC §4.1 step 4). */
    record BhytAttnConstant(Buffer cAttn, Buffer wv, Buffer wo, int C, int nHeads, int nKvHeads, int hd, int seqLen)
            implements Task {
        public void runJvm() { Bhyt.cAttn(cAttn.f, wv.f, wo.f, C, nHeads, nKvHeads, hd, seqLen); }
        public Buffer[] buffers() { return new Buffer[] {cAttn, wv, wo}; }
    }

    // ---- attention ----------------------------------------------------------------------------

    record RopeForward(Buffer out, Buffer inp, Buffer cos, Buffer sin, int B, int T, int nHeads, int hd) implements Task {
        public void runJvm() { Rope.forward(out.f, inp.f, cos.f, sin.f, B, T, nHeads, hd); }
        public Buffer[] buffers() { return new Buffer[] {out, inp, cos, sin}; }
    }

    record RopeBackward(Buffer dinp, Buffer dout, Buffer cos, Buffer sin, int B, int T, int nHeads, int hd) implements Task {
        public void runJvm() { Rope.backward(dinp.f, dout.f, cos.f, sin.f, B, T, nHeads, hd); }
        public Buffer[] buffers() { return new Buffer[] {dinp, dout, cos, sin}; }
    }

    record AttentionForward(Buffer out, Buffer lse, Buffer q, Buffer k, Buffer v, int B, int T, int H, int Hkv, int hd,
                            float scale) implements Task {
        public void runJvm() { Attention.forward(out.f, lse.f, q.f, k.f, v.f, B, T, H, Hkv, hd, scale); }
        public Buffer[] buffers() { return new Buffer[] {out, lse, q, k, v}; }
    }

    record AttentionBackward(Buffer dq, Buffer dk, Buffer dv, Buffer dout, Buffer q, Buffer k, Buffer v, Buffer out,
                             Buffer lse, int B, int T, int H, int Hkv, int hd, float scale) implements Task {
        public void runJvm() {
            Attention.backward(dq.f, dk.f, dv.f, dout.f, q.f, k.f, v.f, out.f, lse.f, B, T, H, Hkv, hd, scale);
        }
        public Buffer[] buffers() { return new Buffer[] {dq, dk, dv, dout, q, k, v, out, lse}; }
    }

    /** RoPE for one decoding step: the token's position comes from a buffer, not a constant. */
    record RopeAt(Buffer out, Buffer inp, Buffer cos, Buffer sin, Buffer position, int nTokens, int nHeads, int hd)
            implements Task {
        public void runJvm() { Rope.forwardAt(out.f, inp.f, cos.f, sin.f, position.i[0], nTokens, nHeads, hd); }
        public Buffer[] buffers() { return new Buffer[] {out, inp, cos, sin, position}; }
    }

    /** Appends one token's keys or values (width floats) at row {@code position} of a KV cache. */
    record CacheWrite(Buffer cache, Buffer row, Buffer position, int width) implements Task {
        public void runJvm() { System.arraycopy(row.f, 0, cache.f, position.i[0] * width, width); }
        public Buffer[] buffers() { return new Buffer[] {cache, row, position}; }
    }

    /** Attention of one new token over the cached positions 0..position. */
    record AttentionDecode(Buffer out, Buffer q, Buffer kCache, Buffer vCache, Buffer position, int maxT, int H, int Hkv,
                           int hd, float scale) implements Task {
        public void runJvm() {
            Attention.decode(out.f, q.f, kCache.f, vCache.f, position.i[0], 1, maxT, H, Hkv, hd, scale);
        }
        public Buffer[] buffers() { return new Buffer[] {out, q, kCache, vCache, position}; }
    }

    // ---- feed-forward and residual ------------------------------------------------------------

    record SwiGluForward(Buffer out, Buffer gu, int N, int hidden) implements Task {
        public void runJvm() { SwiGlu.forward(out.f, gu.f, N, hidden); }
        public Buffer[] buffers() { return new Buffer[] {out, gu}; }
    }

    record SwiGluBackward(Buffer dgu, Buffer dout, Buffer gu, int N, int hidden) implements Task {
        public void runJvm() { SwiGlu.backward(dgu.f, dout.f, gu.f, N, hidden); }
        public Buffer[] buffers() { return new Buffer[] {dgu, dout, gu}; }
    }

    record ResidualAdd(Buffer out, Buffer a, Buffer b, int n) implements Task {
        public void runJvm() { Residual.forward(out.f, a.f, b.f, n); }
        public Buffer[] buffers() { return new Buffer[] {out, a, b}; }
    }

    /** dst += src: where a gradient fans in from two paths. */
    record Accumulate(Buffer dst, Buffer src, int n) implements Task {
        public void runJvm() { Residual.accumulate(dst.f, src.f, n); }
        public Buffer[] buffers() { return new Buffer[] {dst, src}; }
    }

    record Copy(Buffer dst, Buffer src, int n) implements Task {
        public void runJvm() { System.arraycopy(src.f, 0, dst.f, 0, n); }
        public Buffer[] buffers() { return new Buffer[] {dst, src}; }
    }

    record Zero(Buffer dst) implements Task {
        public void runJvm() { java.util.Arrays.fill(dst.f, 0f); }
        public Buffer[] buffers() { return new Buffer[] {dst}; }
    }

    // ---- mixture of experts (SPEC §6.6, §6.7, §7.1-§7.3; docs/MODEL.md "MoE sublayer") ---------

    /** Top-k selection, gates and mixing weights from router logits (N, E); kind as in {@link Router}. */
    record RouterForward(Buffer expertIdx, Buffer gates, Buffer weights, Buffer probs, Buffer lse, Buffer logits, int N,
                         int E, int K, int kind) implements Task {
        public void runJvm() { Router.forward(expertIdx.i, gates.f, weights.f, probs.f, lse.f, logits.f, N, E, K, kind); }
        public Buffer[] buffers() { return new Buffer[] {expertIdx, gates, weights, probs, lse, logits}; }
    }

    /** dlogits (written) from the gradient of the mixing weights. */
    record RouterBackward(Buffer dlogits, Buffer dweights, Buffer gates, Buffer weights, Buffer probs, Buffer expertIdx,
                          int N, int E, int K, int kind) implements Task {
        public void runJvm() {
            Router.backward(dlogits.f, dweights.f, gates.f, weights.f, probs.f, expertIdx.i, N, E, K, kind);
        }
        public Buffer[] buffers() { return new Buffer[] {dlogits, dweights, gates, weights, probs, expertIdx}; }
    }

    /** Assignments per expert (as floats), the c of the balance loss and the load metrics. */
    record RouterCounts(Buffer counts, Buffer expertIdx, int N, int K, int E) implements Task {
        public void runJvm() { RouterLosses.counts(counts.f, expertIdx.i, N, K, E); }
        public Buffer[] buffers() { return new Buffer[] {counts, expertIdx}; }
    }

    /** out[slot] = the Switch load-balancing loss with weight gamma. */
    record BalanceLossForward(Buffer out, int slot, Buffer probs, Buffer counts, int N, int E, int K, float gamma)
            implements Task {
        public void runJvm() { RouterLosses.balanceForward(out.f, slot, probs.f, counts.f, N, E, K, gamma); }
        public Buffer[] buffers() { return new Buffer[] {out, probs, counts}; }
    }

    /** dlogits += scale * d(balance loss)/dz, counts held constant. */
    record BalanceLossBackward(Buffer dlogits, Buffer probs, Buffer counts, int N, int E, int K, float gamma, float scale)
            implements Task {
        public void runJvm() { RouterLosses.balanceBackward(dlogits.f, probs.f, counts.f, N, E, K, gamma, scale); }
        public Buffer[] buffers() { return new Buffer[] {dlogits, probs, counts}; }
    }

    /** out[slot] = beta * mean LSE^2 (beta = 1: the router Z-value metric). */
    record ZLossForward(Buffer out, int slot, Buffer lse, int N, float beta) implements Task {
        public void runJvm() { RouterLosses.zForward(out.f, slot, lse.f, N, beta); }
        public Buffer[] buffers() { return new Buffer[] {out, lse}; }
    }

    /** dlogits += scale * d(z-loss)/dz. */
    record ZLossBackward(Buffer dlogits, Buffer probs, Buffer lse, int N, int E, float beta, float scale) implements Task {
        public void runJvm() { RouterLosses.zBackward(dlogits.f, probs.f, lse.f, N, E, beta, scale); }
        public Buffer[] buffers() { return new Buffer[] {dlogits, probs, lse}; }
    }

    /** out[slot] = max/mean of the counts, out[slot + 1] = their coefficient of variation. */
    record LoadImbalance(Buffer out, int slot, Buffer counts, int E) implements Task {
        public void runJvm() { RouterLosses.loadImbalance(out.f, slot, counts.f, E); }
        public Buffer[] buffers() { return new Buffer[] {out, counts}; }
    }

    /** Stable sort of the N*K (token, slot) pairs by expert: rowSlot, slotRow, offsets (E + 1). */
    record MoePlan(Buffer rowSlot, Buffer slotRow, Buffer offsets, Buffer expertIdx, int N, int K, int E) implements Task {
        public void runJvm() { MoeDispatch.plan(rowSlot.i, slotRow.i, offsets.i, expertIdx.i, N, K, E); }
        public Buffer[] buffers() { return new Buffer[] {rowSlot, slotRow, offsets, expertIdx}; }
    }

    record MoeGather(Buffer xs, Buffer x, Buffer rowSlot, int N, int K, int C) implements Task {
        public void runJvm() { MoeDispatch.gather(xs.f, x.f, rowSlot.i, N, K, C); }
        public Buffer[] buffers() { return new Buffer[] {xs, x, rowSlot}; }
    }

    record MoeGatherBackward(Buffer dx, Buffer dxs, Buffer slotRow, int N, int K, int C) implements Task {
        public void runJvm() { MoeDispatch.gatherBackward(dx.f, dxs.f, slotRow.i, N, K, C); }
        public Buffer[] buffers() { return new Buffer[] {dx, dxs, slotRow}; }
    }

    record MoeCombine(Buffer y, Buffer ys, Buffer weights, Buffer slotRow, int N, int K, int C) implements Task {
        public void runJvm() { MoeDispatch.combine(y.f, ys.f, weights.f, slotRow.i, N, K, C); }
        public Buffer[] buffers() { return new Buffer[] {y, ys, weights, slotRow}; }
    }

    record MoeCombineBackward(Buffer dys, Buffer dweights, Buffer dy, Buffer ys, Buffer weights, Buffer slotRow, int N,
                              int K, int C) implements Task {
        public void runJvm() { MoeDispatch.combineBackward(dys.f, dweights.f, dy.f, ys.f, weights.f, slotRow.i, N, K, C); }
        public Buffer[] buffers() { return new Buffer[] {dys, dweights, dy, ys, weights, slotRow}; }
    }

    /** Per-expert matmul over rows sorted by expert (offsets), weight stack (E, OC, C). */
    record GroupedMatmulForward(Buffer out, Buffer inp, Buffer weight, Buffer offsets, int R, int C, int OC, int E)
            implements Task {
        public void runJvm() { GroupedMatmul.forward(out.f, inp.f, weight.f, offsets.i, R, C, OC, E); }
        public Buffer[] buffers() { return new Buffer[] {out, inp, weight, offsets}; }
    }

    record GroupedMatmulBackwardInput(Buffer dinp, Buffer dout, Buffer weight, Buffer offsets, int R, int C, int OC, int E)
            implements Task {
        public void runJvm() { GroupedMatmul.backwardInput(dinp.f, dout.f, weight.f, offsets.i, R, C, OC, E); }
        public Buffer[] buffers() { return new Buffer[] {dinp, dout, weight, offsets}; }
    }

    record GroupedMatmulBackwardWeight(Buffer dweight, Buffer dout, Buffer inp, Buffer offsets, int R, int C, int OC, int E)
            implements Task {
        public void runJvm() { GroupedMatmul.backwardWeight(dweight.f, dout.f, inp.f, offsets.i, R, C, OC, E); }
        public Buffer[] buffers() { return new Buffer[] {dweight, dout, inp, offsets}; }
    }

    /** out = alpha a + beta b: shared-expert mixing and the residual branch scale. */
    record MixForward(Buffer out, Buffer a, Buffer b, float alpha, float beta, int n) implements Task {
        public void runJvm() { Mix.forward(out.f, a.f, b.f, alpha, beta, n); }
        public Buffer[] buffers() { return new Buffer[] {out, a, b}; }
    }

    /** da = alpha dout, db = beta dout (written); either may be null. */
    record MixBackward(Buffer da, Buffer db, Buffer dout, float alpha, float beta, int n) implements Task {
        public void runJvm() { Mix.backward(f(da), f(db), dout.f, alpha, beta, n); }
        public Buffer[] buffers() { return new Buffer[] {da, db, dout}; }
    }

    // ---- summaries and the optimizer -----------------------------------------------------------

    enum Summary { MEAN, MEAN_SQUARE, RMS, OUTLIER_PERCENT, ADD_SUM_SQUARES }

    /** A scalar summary of {@code x} written into {@code out[slot]} (see {@link Stats}). */
    record Summarize(Summary kind, Buffer out, int slot, Buffer x, int N, int C) implements Task {
        public void runJvm() {
            switch (kind) {
                case MEAN -> Stats.mean(out.f, slot, x.f, N * C);
                case MEAN_SQUARE -> Stats.meanSquare(out.f, slot, x.f, N * C);
                case RMS -> Stats.rms(out.f, slot, x.f, N * C);
                case OUTLIER_PERCENT -> Stats.outlierPercent(out.f, slot, x.f, N, C);
                case ADD_SUM_SQUARES -> Stats.addSumSquares(out.f, slot, x.f, N * C);
            }
        }
        public Buffer[] buffers() { return new Buffer[] {out, x}; }
    }

    /** Global-norm clipping: sets the gradient scale of every optimizer hyper array from the summed squares. */
    record ClipScale(Buffer gradSq, Buffer[] hypers, float maxNorm) implements Task {
        public void runJvm() {
            float norm = (float) Math.sqrt(gradSq.f[0]);
            float scale = maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1f;
            for (Buffer h : hypers) h.f[AdamW.GRAD_SCALE] = scale;
        }
        public Buffer[] buffers() {
            Buffer[] all = java.util.Arrays.copyOf(hypers, hypers.length + 1);
            all[hypers.length] = gradSq;
            return all;
        }
    }

    record AdamWUpdate(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer hyper) implements Task {
        public void runJvm() { AdamW.update(param.f, grad.f, m.f, v.f, hyper.f, param.size()); }
        public Buffer[] buffers() { return new Buffer[] {param, grad, m, v, hyper}; }
    }

    // ---- Muon, Newton–Schulz and the Frobenius sphere (SPEC §6.1-§6.4) --------------------------

    /** Nesterov momentum of a matrix's gradient: momentum updated in place, the Nesterov update written. */
    record MuonMomentum(Buffer update, Buffer momentum, Buffer grad, Buffer hyper, int n) implements Task {
        public void runJvm() { Muon.momentum(update.f, momentum.f, grad.f, hyper.f, n); }
        public Buffer[] buffers() { return new Buffer[] {update, momentum, grad, hyper}; }
    }

    /** NS5 per (rows, cols) slice; x, gram, gramSquared and next are scratch. */
    record NewtonSchulzOrthogonalize(Buffer out, Buffer g, Buffer x, Buffer gram, Buffer gramSquared, Buffer next,
                                     int slices, int rows, int cols) implements Task {
        public void runJvm() {
            NewtonSchulz.orthogonalize(out.f, g.f, x.f, gram.f, gramSquared.f, next.f, slices, rows, cols);
        }
        public Buffer[] buffers() { return new Buffer[] {out, g, x, gram, gramSquared, next}; }
    }

    /** Muon's update W = (1 - lr wd) W - lr shapeFactor O. */
    record MuonUpdate(Buffer param, Buffer ortho, Buffer hyper, int n, float shapeFactor) implements Task {
        public void runJvm() { Muon.update(param.f, ortho.f, hyper.f, n, shapeFactor); }
        public Buffer[] buffers() { return new Buffer[] {param, ortho, hyper}; }
    }

    record SphereDecay(Buffer param, Buffer hyper, int n) implements Task {
        public void runJvm() { Sphere.decay(param.f, hyper.f, n); }
        public Buffer[] buffers() { return new Buffer[] {param, hyper}; }
    }

    /** norms[slot] = ||x||_F^2, where the data is. */
    record SphereSumSquares(Buffer norms, int slot, Buffer x, int n) implements Task {
        public void runJvm() { Sphere.sumSquares(norms.f, slot, x.f, n); }
        public Buffer[] buffers() { return new Buffer[] {norms, x}; }
    }

    record SphereStep(Buffer param, Buffer direction, Buffer norms, Buffer hyper, int n) implements Task {
        public void runJvm() { Sphere.step(param.f, direction.f, norms.f, hyper.f, n); }
        public Buffer[] buffers() { return new Buffer[] {param, direction, norms, hyper}; }
    }

    record SphereRetract(Buffer param, Buffer norms, int n) implements Task {
        public void runJvm() { Sphere.retract(param.f, norms.f, n); }
        public Buffer[] buffers() { return new Buffer[] {param, norms}; }
    }

    /** Adam's moments and its direction m-hat / (sqrt(v-hat) + eps), for the LM head on the sphere. */
    record SphereAdamDirection(Buffer direction, Buffer m, Buffer v, Buffer grad, Buffer hyper, int n) implements Task {
        public void runJvm() { Sphere.adamDirection(direction.f, m.f, v.f, grad.f, hyper.f, n); }
        public Buffer[] buffers() { return new Buffer[] {direction, m, v, grad, hyper}; }
    }
}
