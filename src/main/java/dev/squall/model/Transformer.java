package dev.squall.model;

import dev.squall.program.Buffer.Role;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram.Param;
import dev.squall.program.StepProgram;
import dev.squall.program.Task.Summary;
import dev.squall.program.Task;
import java.util.SplittableRandom;

/**
 * A Llama-style decoder (token embedding, L blocks of causal GQA attention with RoPE and a SwiGLU
 * FFN, final norm, LM head) compiled into a {@link StepProgram} for a fixed batch of B sequences of
 * T tokens. Norm kind and placement follow SPEC §1-§5; the block shapes are written out per
 * placement in {@link #blockForward} and mirrored in {@link #blockBackward}.
 *
 * <pre>
 * Shapes: N = B*T tokens, C = d_model, V = vocab, H heads of hd, Hkv kv heads, Hf FFN hidden
 *   resid[l]            (N, C)    residual stream entering block l; resid[L] leaves the last block
 *   q (N, H*hd); k, v (N, Hkv*hd); lse (B, H, T); gu (N, 2*Hf) gate|up; act (N, Hf); logits (N, V)
 * </pre>
 *
 * <p>MoE blocks ({@code experts} > 0, every {@code moe_every}-th block) replace the dense FFN by a
 * {@link MoeLayer}. With {@code branch_scale} s != 1 every residual add is h = x + s·F(·) (a
 * {@link Task.MixForward}), and the backward hands s·dh to the sublayer (MODEL.md, blocks).
 * DeepNorm's residual weight alpha rides on the same task, h = alpha·x + s·F(·), so a backend needs
 * no kernel for it; Mix-LN is Post-Norm and Pre-Norm blocks side by side.
 */
public final class Transformer {
    /** Metric slots per layer in {@code program.metrics}. */
    public static final String[] LAYER_METRICS = {"attn_out_rms", "ffn_out_rms", "hidden_rms", "attn_z", "outlier_pct"};
    /** The router losses summed over MoE blocks: derived on the host from the per-block slots. */
    public static final String AUX_LOSS = "aux_loss", Z_LOSS = "z_loss";

    public final ModelConfig cfg;
    public final int B, T, N, C, V, H, Hkv, hd, Hf, L;
    public final StepProgram program = new StepProgram();
    /** Decoding: one token per forward, keys and values appended to a cache of seq_len positions. */
    public final boolean decode;
    /** Decoding only: the position of the token being fed, in a buffer because it changes every call. */
    public final Buffer position;

    final Param tokEmb, embScale, lmHead;
    final Layer[] layers;
    final NormLayer finalNorm;
    final Buffer[] resid;
    final Buffer xf, logits, cos, sin, sub;
    final Buffer dres, dX1, dX2, dTmp, dAtt, dqR, dqRaw, dkR, dkRaw, dvN, dvRaw, dAct, dGu;
    /** s, the residual branch scale; dBranch = s·dh when s != 1 (null otherwise). */
    public final float branchScale;
    final Buffer dBranch;
    final MoeLayer.Grads moeGrads;
    /** The MoE blocks' sublayers in block order (empty for a dense model). */
    final java.util.List<MoeLayer> moeLayers = new java.util.ArrayList<>();
    /** Index in {@code program.metricNames} of the first metric the host derives (see {@link #metricValues}). */
    private int derivedFrom;
    /** Recomputes BHyT's c_attn from the current W_V, W_O of every block that uses it. */
    public final Stage refreshConstants = new Stage("refresh_constants");

    /** One block's parameters and saved activations. */
    final class Layer {
        final int index;
        /** Norm before each sublayer (x + F(Norm(x))). */
        final boolean preNorm;
        /** Norm after each residual add (Norm(w·x + F(x))): post, deepnorm and Mix-LN's first blocks. */
        final boolean postNorm;
        /** w, the residual's weight in a Post-Norm block: DeepNorm's alpha, else 1. */
        final float residualWeight;
        final NormLayer attnNorm, ffnNorm;
        final Param wq, wk, wv, wo, qNorm, kNorm, vNorm, wGateUp, wDown;
        /** The MoE sublayer replacing the dense FFN, or null. */
        final MoeLayer moe;
        final Buffer a, h, f, qRaw, kRaw, vRaw, qN, kN, vN, qR, kR, att, lse, gu, act;
        final Buffer qRstd, kRstd, vRstd, cAttn;
        final Buffer kCache, vCache;

        Layer(int l) {
            index = l;
            String p = "layers." + l + ".";
            Placement pl = cfg.placement;
            preNorm = pl == Placement.PRE || (pl == Placement.HYBRID_STAR && l == 0)
                    || (pl == Placement.MIXLN && l >= cfg.mixlnPostBlocks());
            postNorm = pl == Placement.POST || pl == Placement.DEEPNORM || (pl == Placement.MIXLN && !preNorm);
            residualWeight = cfg.residualWeight();
            int qDim = H * hd, kvDim = Hkv * hd;
            wq = program.param(p + "attn.wq", true, qDim, C);
            wk = program.param(p + "attn.wk", true, kvDim, C);
            wv = program.param(p + "attn.wv", true, kvDim, C);
            wo = program.param(p + "attn.wo", true, C, qDim);
            AttnNorm an = cfg.attnNorm;
            qNorm = an.normsQK() ? program.param(p + "attn.q_norm.weight", false, hd) : null;
            kNorm = an.normsQK() ? program.param(p + "attn.k_norm.weight", false, hd) : null;
            vNorm = an.normsV() ? program.param(p + "attn.v_norm.weight", false, hd) : null;
            if (cfg.isMoeBlock(l)) {
                int slot = decode ? -1 : L * LAYER_METRICS.length + moeLayers.size() * MoeLayer.METRICS.length;
                moe = new MoeLayer(program, cfg, l, N, slot, moeGrads);
                moeLayers.add(moe);
                wGateUp = null;
                wDown = null;
            } else {
                moe = null;
                wGateUp = program.param(p + "ffn.w_gate_up", true, 2 * Hf, C);
                wDown = program.param(p + "ffn.w_down", true, C, Hf);
            }

            a = program.floats(p + "a", Role.ACTIVATION, N, C);
            h = program.floats(p + "h", Role.ACTIVATION, N, C);
            f = program.floats(p + "f", Role.ACTIVATION, N, C);
            qRaw = program.floats(p + "q", Role.ACTIVATION, N, qDim);
            kRaw = program.floats(p + "k", Role.ACTIVATION, N, kvDim);
            vRaw = program.floats(p + "v", Role.ACTIVATION, N, kvDim);
            qN = an.normsQK() ? program.floats(p + "q_normed", Role.ACTIVATION, N, qDim) : qRaw;
            kN = an.normsQK() ? program.floats(p + "k_normed", Role.ACTIVATION, N, kvDim) : kRaw;
            vN = an.normsV() ? program.floats(p + "v_normed", Role.ACTIVATION, N, kvDim) : vRaw;
            qRstd = an.normsQK() ? program.floats(p + "q_rstd", Role.ACTIVATION, N * H) : null;
            kRstd = an.normsQK() ? program.floats(p + "k_rstd", Role.ACTIVATION, N * Hkv) : null;
            vRstd = an.normsV() ? program.floats(p + "v_rstd", Role.ACTIVATION, N * Hkv) : null;
            qR = program.floats(p + "q_rope", Role.ACTIVATION, N, qDim);
            kR = program.floats(p + "k_rope", Role.ACTIVATION, N, kvDim);
            att = program.floats(p + "att", Role.ACTIVATION, N, qDim);
            lse = program.floats(p + "lse", Role.ACTIVATION, B, H, T);
            gu = moe == null ? program.floats(p + "gu", Role.ACTIVATION, N, 2 * Hf) : null;
            act = moe == null ? program.floats(p + "act", Role.ACTIVATION, N, Hf) : null;
            kCache = decode ? program.floats(p + "k_cache", Role.ACTIVATION, cfg.seqLen, kvDim) : null;
            vCache = decode ? program.floats(p + "v_cache", Role.ACTIVATION, cfg.seqLen, kvDim) : null;

            // Which norms exist where (SPEC §1.4, §5.2): Pre and Post have two, HybridNorm one (FFN).
            boolean bhytPair = cfg.norm == NormKind.BHYT && preNorm;
            attnNorm = (preNorm || postNorm) ? norm(p + "attn_norm", cfg.alphaAttn, cfg.bhytLambdaIn) : null;
            if (bhytPair) {
                cAttn = program.floats(p + "c_attn", Role.STATE, 1);
                ffnNorm = new NormLayer.BhytSecondLayer(program, p + "ffn_norm", N, C, cfg.bhytLambdaPost, cfg.bhytKappa,
                        (NormLayer.BhytExactLayer) attnNorm, resid[l], cAttn);
                refreshConstants.add(new Task.BhytAttnConstant(cAttn, wv.value(), wo.value(), C, H, Hkv, hd, T));
            } else {
                cAttn = null;
                ffnNorm = norm(p + "ffn_norm", cfg.alphaFfn, cfg.bhytLambdaPost);
            }
        }

        Buffer attnInput(Buffer x) { return preNorm ? a : x; }
    }

    /** The training program: B sequences of seq_len tokens, forward and backward. */
    public Transformer(ModelConfig config, int batch) {
        this(config, batch, false);
    }

    /** The generation program: one token per forward pass with a KV cache, no backward. */
    public static Transformer decoder(ModelConfig config) {
        return new Transformer(config, 1, true);
    }

    private Transformer(ModelConfig config, int batch, boolean decode) {
        cfg = config.validate().copy();
        if (batch <= 0) throw new ConfigException("batch: must be a positive integer, got " + batch);
        this.decode = decode;
        B = batch;
        T = decode ? 1 : cfg.seqLen;
        N = B * T;
        C = cfg.dModel;
        V = cfg.vocabSize;
        H = cfg.nHeads;
        Hkv = cfg.nKvHeads;
        hd = cfg.headDim();
        Hf = cfg.ffnHidden;
        L = cfg.nLayers;

        position = decode ? program.ints("position", Role.INPUT, 1) : null;
        program.tokens = program.ints("tokens", Role.INPUT, B, T);
        program.targets = program.ints("targets", Role.INPUT, B, T);
        program.losses = program.floats("losses", Role.ACTIVATION, N);
        program.loss = program.floats("loss", Role.OUTPUT, 1);
        branchScale = cfg.effectiveBranchScale();
        int moeBlocks = cfg.moeBlocks();
        program.metrics = program.floats("metrics", Role.OUTPUT, L * LAYER_METRICS.length + moeBlocks * MoeLayer.METRICS.length);
        for (int l = 0; l < L; l++) for (String m : LAYER_METRICS) program.metricNames.add("layer" + l + "." + m);
        for (int l = 0; l < L; l++) {
            if (cfg.isMoeBlock(l)) for (String m : MoeLayer.METRICS) program.metricNames.add("layer" + l + "." + m);
        }
        derivedFrom = program.metricNames.size();
        if (moeBlocks > 0) {
            program.metricNames.add(AUX_LOSS);
            program.metricNames.add(Z_LOSS);
            for (int l = 0; l < L; l++) {
                if (cfg.isMoeBlock(l)) for (int e = 0; e < cfg.experts; e++) program.metricNames.add("layer" + l + ".expert" + e + "_load");
            }
        }
        moeGrads = moeBlocks > 0 && !decode ? new MoeLayer.Grads(program, cfg, N) : null;

        tokEmb = program.param("tok_emb", false, V, C);
        embScale = cfg.usesEmbedScale() ? program.param("emb_scale", false, 1) : null;
        resid = new Buffer[L + 1];
        for (int l = 0; l <= L; l++) resid[l] = program.floats("resid." + l, Role.ACTIVATION, N, C);
        cos = program.floats("rope.cos", Role.STATE, cfg.seqLen, hd / 2);
        sin = program.floats("rope.sin", Role.STATE, cfg.seqLen, hd / 2);
        sub = program.floats("sublayer_out", Role.ACTIVATION, N, C);
        layers = new Layer[L];
        for (int l = 0; l < L; l++) layers[l] = new Layer(l);
        // Post-Norm and DeepNorm blocks end normalized; Mix-LN keeps the final norm of its Pre-Norm tail.
        finalNorm = cfg.placement == Placement.POST || cfg.placement == Placement.DEEPNORM ? null
                : (cfg.norm == NormKind.BHYT || cfg.norm == NormKind.BHYT_STAR)
                        // SPEC §4.1 step 6: the released BHyT runs end with RMSNorm.
                        ? new NormLayer.RmsNormLayer(program, "final_norm", N, C, cfg.normEps)
                        : norm("final_norm", cfg.alphaFinal, cfg.bhytLambdaIn);
        lmHead = cfg.tiedEmbeddings ? tokEmb : program.param("lm_head", true, V, C);
        xf = finalNorm == null ? resid[L] : program.floats("final_norm.out", Role.ACTIVATION, N, C);
        logits = program.floats("logits", Role.ACTIVATION, N, V);

        dres = program.floats("grad.resid", Role.ACTIVATION, N, C);
        dX1 = program.floats("grad.x1", Role.ACTIVATION, N, C);
        dX2 = program.floats("grad.x2", Role.ACTIVATION, N, C);
        dTmp = program.floats("grad.tmp", Role.ACTIVATION, N, C);
        dAtt = program.floats("grad.att", Role.ACTIVATION, N, H * hd);
        dqR = program.floats("grad.q_rope", Role.ACTIVATION, N, H * hd);
        dkR = program.floats("grad.k_rope", Role.ACTIVATION, N, Hkv * hd);
        dvN = program.floats("grad.v_used", Role.ACTIVATION, N, Hkv * hd);
        boolean qk = cfg.attnNorm.normsQK(), v = cfg.attnNorm.normsV();
        dqRaw = qk ? program.floats("grad.q", Role.ACTIVATION, N, H * hd) : dqR;
        dkRaw = qk ? program.floats("grad.k", Role.ACTIVATION, N, Hkv * hd) : dkR;
        dvRaw = v ? program.floats("grad.v", Role.ACTIVATION, N, Hkv * hd) : dvN;
        dAct = program.floats("grad.act", Role.ACTIVATION, N, Hf);
        dGu = program.floats("grad.gu", Role.ACTIVATION, N, 2 * Hf);
        dBranch = branchScale != 1f ? program.floats("grad.branch", Role.ACTIVATION, N, C) : null;

        buildForward();
        if (!decode) buildLoss(1);
    }

    private NormLayer norm(String prefix, float alpha0, float lambda0) {
        return switch (cfg.norm) {
            case LAYERNORM -> new NormLayer.LayerNormLayer(program, prefix, N, C, cfg.normEps);
            case RMSNORM -> new NormLayer.RmsNormLayer(program, prefix, N, C, cfg.normEps);
            case DYT -> new NormLayer.DytLayer(program, prefix, N, C, alpha0);
            case DERF -> new NormLayer.DerfLayer(program, prefix, N, C, alpha0, cfg.derfShift);
            // BHyT outside a Pre-LN pair has no block input statistic to share: exact statistics, as BHyT*.
            case BHYT, BHYT_STAR -> new NormLayer.BhytExactLayer(program, prefix, N, C, lambda0, cfg.bhytKappa);
        };
    }

    // ---- forward --------------------------------------------------------------------------------

    private void buildForward() {
        Stage embed = new Stage("embed.forward");
        embed.add(new Task.EmbeddingForward(resid[0], program.tokens, tokEmb.value(),
                embScale == null ? null : embScale.value(), N, C));
        program.forward.add(embed);
        for (Layer layer : layers) {
            Stage s = new Stage("block" + layer.index + ".forward");
            blockForward(s, layer, resid[layer.index], resid[layer.index + 1]);
            program.forward.add(s);
        }
        Stage head = new Stage("head.forward");
        if (finalNorm != null) finalNorm.forward(head, xf, resid[L]);
        head.add(new Task.MatmulForward(logits, xf, lmHead.value(), N, C, V));
        program.forward.add(head);
    }

    private void blockForward(Stage s, Layer y, Buffer x, Buffer out) {
        if (y.preNorm) {
            y.attnNorm.forward(s, y.a, x);                 // a = Norm(x)
            attention(s, y, y.a, sub);
            residual(s, y.h, x, sub);                       // h = x + s Attn(a)
            y.ffnNorm.forward(s, y.f, y.h);                 // f = Norm(h)
            ffn(s, y, y.f, sub);
            residual(s, out, y.h, sub);                     // out = h + s FFN(f)
        } else if (y.postNorm) {
            float w = y.residualWeight;
            attention(s, y, x, sub);
            residual(s, y.h, w, x, sub);                    // h = w x + s Attn(x)
            y.attnNorm.forward(s, y.a, y.h);                // a = Norm(h)
            ffn(s, y, y.a, sub);
            residual(s, y.f, w, y.a, sub);                  // f = w a + s FFN(a)
            y.ffnNorm.forward(s, out, y.f);                 // out = Norm(f)
        } else {
            attention(s, y, x, sub);
            residual(s, y.h, x, sub);                       // h = x + s Attn(x)
            y.ffnNorm.forward(s, y.f, y.h);                 // f = Norm(h)
            ffn(s, y, y.f, sub);
            residual(s, out, y.f, sub);                     // out = f + s FFN(f)
        }
        metric(s, y, 2, Summary.RMS, out, N * C, 1);
        metric(s, y, 4, Summary.OUTLIER_PERCENT, out, N, C);
    }

    /** out = x + s·branch: a plain residual add when s = 1, so unscaled models run exactly as before. */
    private void residual(Stage s, Buffer out, Buffer x, Buffer branch) {
        residual(s, out, 1f, x, branch);
    }

    /** out = w·x + s·branch: DeepNorm's up-weighted residual (w = alpha) reuses the same mix task. */
    private void residual(Stage s, Buffer out, float w, Buffer x, Buffer branch) {
        if (w == 1f && branchScale == 1f) s.add(new Task.ResidualAdd(out, x, branch, N * C));
        else s.add(new Task.MixForward(out, x, branch, w, branchScale, N * C));
    }

    /** The gradient a sublayer output receives from dh: dh itself, or s·dh in {@code dBranch}. */
    private Buffer branchGradient(Stage s, Buffer dh) {
        if (branchScale == 1f) return dh;
        s.add(new Task.MixBackward(null, dBranch, dh, 1f, branchScale, N * C));
        return dBranch;
    }

    private void metric(Stage s, Layer y, int which, Summary kind, Buffer x, int n, int c) {
        if (decode) return;
        s.add(new Task.Summarize(kind, program.metrics, y.index * LAYER_METRICS.length + which, x, n, c));
    }

    private void attention(Stage s, Layer y, Buffer in, Buffer out) {
        int qDim = H * hd, kvDim = Hkv * hd;
        s.add(new Task.MatmulForward(y.qRaw, in, y.wq.value(), N, C, qDim));
        s.add(new Task.MatmulForward(y.kRaw, in, y.wk.value(), N, C, kvDim));
        s.add(new Task.MatmulForward(y.vRaw, in, y.wv.value(), N, C, kvDim));
        if (y.qNorm != null) {
            s.add(new Task.HeadRmsNormForward(y.qN, y.qRstd, y.qRaw, y.qNorm.value(), N, H, hd, cfg.normEps));
            s.add(new Task.HeadRmsNormForward(y.kN, y.kRstd, y.kRaw, y.kNorm.value(), N, Hkv, hd, cfg.normEps));
        }
        if (y.vNorm != null) {
            s.add(new Task.HeadRmsNormForward(y.vN, y.vRstd, y.vRaw, y.vNorm.value(), N, Hkv, hd, cfg.normEps));
        }
        if (decode) {
            s.add(new Task.RopeAt(y.qR, y.qN, cos, sin, position, 1, H, hd));
            s.add(new Task.RopeAt(y.kR, y.kN, cos, sin, position, 1, Hkv, hd));
            s.add(new Task.CacheWrite(y.kCache, y.kR, position, kvDim));
            s.add(new Task.CacheWrite(y.vCache, y.vN, position, kvDim));
            s.add(new Task.AttentionDecode(y.att, y.qR, y.kCache, y.vCache, position, cfg.seqLen, H, Hkv, hd,
                    attentionScale()));
        } else {
            s.add(new Task.RopeForward(y.qR, y.qN, cos, sin, B, T, H, hd));
            s.add(new Task.RopeForward(y.kR, y.kN, cos, sin, B, T, Hkv, hd));
            s.add(new Task.AttentionForward(y.att, y.lse, y.qR, y.kR, y.vN, B, T, H, Hkv, hd, attentionScale()));
        }
        s.add(new Task.MatmulForward(out, y.att, y.wo.value(), N, qDim, C));
        metric(s, y, 0, Summary.RMS, out, N * C, 1);
        metric(s, y, 3, Summary.MEAN_SQUARE, y.lse, B * H * T, 1);
    }

    public float attentionScale() { return (float) (1.0 / Math.sqrt(hd)); }

    private void ffn(Stage s, Layer y, Buffer in, Buffer out) {
        if (y.moe != null) {
            y.moe.forward(s, in, out, program.metrics);
        } else {
            s.add(new Task.MatmulForward(y.gu, in, y.wGateUp.value(), N, C, 2 * Hf));
            s.add(new Task.SwiGluForward(y.act, y.gu, N, Hf));
            s.add(new Task.MatmulForward(out, y.act, y.wDown.value(), N, Hf, C));
        }
        metric(s, y, 1, Summary.RMS, out, N * C, 1);
    }

    // ---- loss and head backward -----------------------------------------------------------------

    /**
     * (Re)builds the loss stages, and the backward stages (the router losses' gradients carry the
     * micro-batch's share 1/microBatches), for a step that averages over {@code microBatches} batches.
     */
    public void buildLoss(int microBatches) {
        lossScale = 1f / microBatches;
        program.trainLoss.tasks.clear();
        program.evalLoss.tasks.clear();
        float scale = 1f / ((float) N * microBatches);
        Stage t = program.trainLoss;
        t.add(new Task.CrossEntropyLoss(program.losses, logits, logits, program.targets, N, V, scale));
        t.add(new Task.Summarize(Summary.MEAN, program.loss, 0, program.losses, N, 1));
        // logits now hold dL/dlogits (computed in place).
        t.add(new Task.MatmulBackwardInput(finalNorm == null ? dres : dX1, logits, lmHead.value(), N, C, V));
        t.add(new Task.MatmulBackwardWeight(lmHead.grad(), logits, xf, N, C, V));
        if (finalNorm != null) finalNorm.backward(t, dres, dX1, resid[L]);

        Stage e = program.evalLoss;
        e.add(new Task.CrossEntropyLoss(program.losses, null, logits, program.targets, N, V, 0f));
        e.add(new Task.Summarize(Summary.MEAN, program.loss, 0, program.losses, N, 1));
        program.backward.clear();
        buildBackward();
    }

    /** d(objective)/d(micro-batch loss): 1/accum_steps, what the router losses' gradients are scaled by. */
    private float lossScale = 1f;

    // ---- backward -------------------------------------------------------------------------------

    private void buildBackward() {
        for (int l = L - 1; l >= 0; l--) {
            Stage s = new Stage("block" + l + ".backward");
            blockBackward(s, layers[l], resid[l]);
            program.backward.add(s);
        }
        Stage embed = new Stage("embed.backward");
        embed.add(new Task.EmbeddingBackward(tokEmb.grad(), embScale == null ? null : embScale.grad(), dres,
                program.tokens, tokEmb.value(), embScale == null ? null : embScale.value(), N, C));
        program.backward.add(embed);
    }

    /** On entry dres = dL/d(block output); on exit dres = dL/d(block input x). */
    private void blockBackward(Stage s, Layer y, Buffer x) {
        int n = N * C;
        if (y.preNorm) {
            ffnBackward(s, y, branchGradient(s, dres), y.f, dX1);
            y.ffnNorm.backward(s, dX2, dX1, y.h);
            s.add(new Task.Accumulate(dres, dX2, n));          // dh = dout + J_norm^T dFFN
            attentionBackward(s, y, branchGradient(s, dres), y.a, dX1);
            y.attnNorm.backward(s, dX2, dX1, x);
            s.add(new Task.Accumulate(dres, dX2, n));          // dx = dh + J_norm^T dAttn
            Buffer cross = y.ffnNorm.crossGradient();
            if (cross != null) s.add(new Task.Accumulate(dres, cross, n)); // BHyT: through s^2_x
        } else if (y.postNorm && y.residualWeight != 1f) {
            // DeepNorm: d(w·a + s·F(a))/da = w + s·J_F, so the skip path carries w times the gradient.
            float w = y.residualWeight;
            y.ffnNorm.backward(s, dX1, dres, y.f);               // df
            ffnBackward(s, y, branchGradient(s, dX1), y.a, dX2);
            s.add(new Task.MixForward(dres, dX1, dX2, w, 1f, n)); // da = w df + J_FFN^T df
            y.attnNorm.backward(s, dX1, dres, y.h);             // dh
            attentionBackward(s, y, branchGradient(s, dX1), x, dX2);
            s.add(new Task.MixForward(dres, dX1, dX2, w, 1f, n)); // dx = w dh + J_attn^T dh
        } else if (y.postNorm) {
            y.ffnNorm.backward(s, dX1, dres, y.f);               // df
            ffnBackward(s, y, branchGradient(s, dX1), y.a, dX2);
            s.add(new Task.Accumulate(dX1, dX2, n));           // da = df + J_FFN^T df
            y.attnNorm.backward(s, dres, dX1, y.h);             // dh
            attentionBackward(s, y, branchGradient(s, dres), x, dX2);
            s.add(new Task.Accumulate(dres, dX2, n));          // dx = dh + J_attn^T dh
        } else {
            ffnBackward(s, y, branchGradient(s, dres), y.f, dX1);
            s.add(new Task.Accumulate(dres, dX1, n));          // df = dout + J_FFN^T dout
            y.ffnNorm.backward(s, dX1, dres, y.h);              // dh
            attentionBackward(s, y, branchGradient(s, dX1), x, dX2);
            s.add(new Task.ResidualAdd(dres, dX1, dX2, n));     // dx = dh + J_attn^T dh
        }
    }

    /** din = J_FFN^T dout (written); weight gradients accumulate. */
    private void ffnBackward(Stage s, Layer y, Buffer dout, Buffer in, Buffer din) {
        if (y.moe != null) {
            y.moe.backward(s, dout, in, din, lossScale);
            return;
        }
        s.add(new Task.MatmulBackwardInput(dAct, dout, y.wDown.value(), N, Hf, C));
        s.add(new Task.MatmulBackwardWeight(y.wDown.grad(), dout, y.act, N, Hf, C));
        s.add(new Task.SwiGluBackward(dGu, dAct, y.gu, N, Hf));
        s.add(new Task.MatmulBackwardInput(din, dGu, y.wGateUp.value(), N, C, 2 * Hf));
        s.add(new Task.MatmulBackwardWeight(y.wGateUp.grad(), dGu, in, N, C, 2 * Hf));
    }

    /** din = J_attn^T dout (written); weight gradients accumulate. */
    private void attentionBackward(Stage s, Layer y, Buffer dout, Buffer in, Buffer din) {
        int qDim = H * hd, kvDim = Hkv * hd;
        s.add(new Task.MatmulBackwardInput(dAtt, dout, y.wo.value(), N, qDim, C));
        s.add(new Task.MatmulBackwardWeight(y.wo.grad(), dout, y.att, N, qDim, C));
        s.add(new Task.AttentionBackward(dqR, dkR, dvN, dAtt, y.qR, y.kR, y.vN, y.att, y.lse, B, T, H, Hkv, hd,
                attentionScale()));
        s.add(new Task.RopeBackward(dqR, dqR, cos, sin, B, T, H, hd));
        s.add(new Task.RopeBackward(dkR, dkR, cos, sin, B, T, Hkv, hd));
        if (y.qNorm != null) {
            s.add(new Task.HeadRmsNormBackward(dqRaw, y.qNorm.grad(), dqR, y.qRaw, y.qNorm.value(), y.qRstd, N, H, hd));
            s.add(new Task.HeadRmsNormBackward(dkRaw, y.kNorm.grad(), dkR, y.kRaw, y.kNorm.value(), y.kRstd, N, Hkv, hd));
        }
        if (y.vNorm != null) {
            s.add(new Task.HeadRmsNormBackward(dvRaw, y.vNorm.grad(), dvN, y.vRaw, y.vNorm.value(), y.vRstd, N, Hkv, hd));
        }
        s.add(new Task.MatmulBackwardInput(din, dqRaw, y.wq.value(), N, C, qDim));
        s.add(new Task.MatmulBackwardWeight(y.wq.grad(), dqRaw, in, N, C, qDim));
        s.add(new Task.MatmulBackwardInput(dTmp, dkRaw, y.wk.value(), N, C, kvDim));
        s.add(new Task.Accumulate(din, dTmp, N * C));
        s.add(new Task.MatmulBackwardWeight(y.wk.grad(), dkRaw, in, N, C, kvDim));
        s.add(new Task.MatmulBackwardInput(dTmp, dvRaw, y.wv.value(), N, C, kvDim));
        s.add(new Task.Accumulate(din, dTmp, N * C));
        s.add(new Task.MatmulBackwardWeight(y.wv.grad(), dvRaw, in, N, C, kvDim));
    }

    // ---- initialisation -------------------------------------------------------------------------

    /**
     * SPEC §5.4 (Megatron "small init"): input projections and embeddings N(0, sigma) truncated at
     * 3 sigma with sigma = sqrt(2/(5d)); output projections sigma/sqrt(2L); an untied head 1/sqrt(d);
     * gains 1; norm scalars at their alpha0/lambda0; the DyT/Derf embedding scale sqrt(d) (SPEC §2.4).
     * Under deepnorm the block matrices instead get DeepNet's Xavier-normal init (SPEC §11.1, see
     * {@link #xavierNormal}); embeddings, head and norms are as above.
     * Draws happen in parameter order from one seeded generator, so a seed fixes every weight.
     */
    public void initialize() {
        SplittableRandom rng = new SplittableRandom(cfg.seed);
        double sigma = cfg.effectiveInitStd();
        double outSigma = sigma / Math.sqrt(2.0 * L);
        truncatedNormal(rng, tokEmb.value().f, sigma);
        if (embScale != null) embScale.value().f[0] = (float) Math.sqrt(C);
        boolean deepnorm = cfg.placement == Placement.DEEPNORM;
        double beta = cfg.deepnormInitGain();
        for (Layer y : layers) {
            if (y.attnNorm != null) y.attnNorm.initialize();
            if (deepnorm) {
                // DeepNet (SPEC §11.1): Xavier-normal, gain beta for V, O and the FFN, 1 for Q and K.
                xavierNormal(rng, y.wq.value().f, H * hd, C, 1.0);
                xavierNormal(rng, y.wk.value().f, Hkv * hd, C, 1.0);
                xavierNormal(rng, y.wv.value().f, Hkv * hd, C, beta);
                xavierNormal(rng, y.wo.value().f, C, H * hd, beta);
            } else {
                truncatedNormal(rng, y.wq.value().f, sigma);
                truncatedNormal(rng, y.wk.value().f, sigma);
                truncatedNormal(rng, y.wv.value().f, sigma);
                truncatedNormal(rng, y.wo.value().f, outSigma);
            }
            for (Param g : new Param[] {y.qNorm, y.kNorm, y.vNorm}) if (g != null) java.util.Arrays.fill(g.value().f, 1f);
            y.ffnNorm.initialize();
            if (y.moe != null) {
                y.moe.initialize(rng, sigma, outSigma);
            } else if (deepnorm) {
                // w_gate_up stacks two (Hf, C) matrices, gate and up: each is one Xavier matrix of fans C and Hf.
                xavierNormal(rng, y.wGateUp.value().f, Hf, C, beta);
                xavierNormal(rng, y.wDown.value().f, C, Hf, beta);
            } else {
                truncatedNormal(rng, y.wGateUp.value().f, sigma);
                truncatedNormal(rng, y.wDown.value().f, outSigma);
            }
        }
        if (finalNorm != null) finalNorm.initialize();
        if (lmHead != tokEmb) truncatedNormal(rng, lmHead.value().f, 1.0 / Math.sqrt(C));
        ropeTables(cos.f, sin.f, T, hd, cfg.ropeBase);
    }

    /**
     * RoPE's cos/sin of theta(p, i) = p * base^(-2i/hd) for positions 0..T-1, tables (T, hd/2)
     * (SPEC §8.3). Angles are formed and rotated in double: at p ~ 1e4 a float angle has lost most
     * of its fractional digits, and ArchScale notes RoPE precision matters for stability.
     */
    public static void ropeTables(float[] cos, float[] sin, int T, int hd, double base) {
        int half = hd / 2;
        for (int p = 0; p < T; p++) {
            for (int i = 0; i < half; i++) {
                double theta = p * Math.pow(base, -2.0 * i / hd);
                cos[p * half + i] = (float) Math.cos(theta);
                sin[p * half + i] = (float) Math.sin(theta);
            }
        }
    }

    /**
     * Xavier (Glorot) normal init of a (fanOut, fanIn) matrix, as torch.nn.init.xavier_normal_:
     * N(0, (gain·sqrt(2/(fanIn + fanOut)))^2), not truncated.
     */
    static void xavierNormal(SplittableRandom rng, float[] a, int fanOut, int fanIn, double gain) {
        double std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
        for (int i = 0; i < a.length; i++) a[i] = (float) (gaussian(rng) * std);
    }

    static void truncatedNormal(SplittableRandom rng, float[] a, double sigma) {
        for (int i = 0; i < a.length; i++) {
            double z;
            do z = gaussian(rng); while (Math.abs(z) > 3);
            a[i] = (float) (z * sigma);
        }
    }

    static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    public Buffer logits() { return logits; }

    public Buffer finalHidden() { return xf; }

    /**
     * The buffers a step's metrics come from: {@code program.metrics} and each MoE block's expert
     * counts (E floats each), what a backend downloads before {@link #metricValues}.
     */
    public Buffer[] metricBuffers() {
        Buffer[] out = new Buffer[1 + moeLayers.size()];
        out[0] = program.metrics;
        for (int i = 0; i < moeLayers.size(); i++) out[i + 1] = moeLayers.get(i).counts;
        return out;
    }

    /**
     * Every metric named in {@code program.metricNames}, from the downloaded {@link #metricBuffers}:
     * the device's slots, then (MoE) the router losses summed over blocks and each expert's load
     * fraction c_e / (N K′). The sublayer RMS slots are scaled by |s| here: the device measures the
     * branch before its scale, and RMS(s·x) = |s|·RMS(x) (SPEC §6.8 logs it after the scale).
     */
    public float[] metricValues() {
        float[] m = java.util.Arrays.copyOf(program.metrics.f, program.metricNames.size());
        if (branchScale != 1f) {
            for (int l = 0; l < L; l++) {
                m[l * LAYER_METRICS.length] *= Math.abs(branchScale);
                m[l * LAYER_METRICS.length + 1] *= Math.abs(branchScale);
            }
        }
        if (moeLayers.isEmpty()) return m;
        int i = derivedFrom;
        double aux = 0, z = 0;
        for (MoeLayer moe : moeLayers) {
            aux += program.metrics.f[moe.metricSlot];
            z += program.metrics.f[moe.metricSlot + 1];
        }
        m[i++] = (float) aux;
        m[i++] = (float) z;
        for (MoeLayer moe : moeLayers) {
            double slots = (double) N * moe.K;
            for (int e = 0; e < moe.E; e++) m[i++] = (float) (moe.counts.f[e] / slots);
        }
        return m;
    }

    /** Parameters one token uses: the dense ones plus, per MoE block, the router and K′ (+ shared) experts. */
    public long activeParameterCount() {
        long n = program.parameterCount();
        for (MoeLayer moe : moeLayers) n += moe.activeParameters() - moe.totalParameters();
        return n;
    }

    /** FLOPs of one forward + backward per token: 6 per weight of every matmul plus attention (SPEC-free estimate). */
    public double flopsPerToken() {
        double ffnWeights = 0;
        for (Layer y : layers) ffnWeights += y.moe != null ? y.moe.activeParameters() : 3.0 * C * Hf;
        double matmulWeights = L * ((double) C * H * hd * 2 + 2.0 * C * Hkv * hd) + ffnWeights + (double) V * C;
        double attention = L * 2.0 * 2.0 * H * hd * T / 2.0; // QK^T and PV, causal half, per token
        return 6 * matmulWeights + 3 * attention;
    }
}
