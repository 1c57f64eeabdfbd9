package dev.squall.model;

/**
 * Everything that fixes a model's shape and its initial weights. Field names map to snake_case keys
 * in JSON config files and checkpoint metadata ({@link ConfigFields}); defaults are the {@code small}
 * preset. {@link #validate()} runs before anything is allocated.
 */
public final class ModelConfig {
    public int vocabSize = 256;
    public int dModel = 256;
    public int nLayers = 4;
    public int nHeads = 4;
    public int nKvHeads = 4;
    public int ffnHidden = 704;
    public int seqLen = 256;

    public NormKind norm = NormKind.RMSNORM;
    public Placement placement = Placement.PRE;
    public AttnNorm attnNorm = AttnNorm.NONE;
    /**
     * Mix-LN (SPEC §11.2): the fraction of blocks, from the first, that are Post-Norm; the rest are
     * Pre-Norm. 0.25 is the paper's default. Read only under placement mixln.
     */
    public double mixlnPostFraction = 0.25;
    public boolean tiedEmbeddings = true;
    public float normEps = 1e-5f;
    public double ropeBase = 10000;

    /** DyT/Derf alpha0 at the attention input, the FFN input and the final norm (SPEC §2.3, §3.3). */
    public float alphaAttn = 0.5f;
    public float alphaFfn = 0.5f;
    public float alphaFinal = 0.5f;
    /** Derf's shift s0 (SPEC §3.3). */
    public float derfShift = 0f;
    /** Learnable embedding scale initialised to sqrt(d) (SPEC §2.4); on for DyT/Derf unless set. */
    public Boolean embedScale = null;

    /** BHyT (SPEC §4.4): kappa, lambda of the input and the second norm, c_attn refresh period (0: auto). */
    public float bhytKappa = 10f;
    public float bhytLambdaIn = 2f;
    public float bhytLambdaPost = 1f;
    public int bhytRefresh = 0;

    /** Init std of input projections and embeddings; 0 means sqrt(2/(5d)) (SPEC §5.4). */
    public double initStd = 0;
    public long seed = 1337;

    /** Routed experts per MoE block; 0 keeps every FFN dense (MODEL.md "MoE sublayer"). */
    public int experts = 0;
    /** Experts per token, the shared expert counted: K' = top_k - 1 routed with it, top_k without (SPEC §6.6). */
    public int topK = 2;
    public RouterKind router = RouterKind.SOFTMAX_TOPK;
    /** One always-active expert beside the routed ones. */
    public boolean sharedExpert = false;
    /** Block l is an MoE block when (l + 1) % moe_every == 0. */
    public int moeEvery = 1;
    /** Hidden size of each expert; 0 means max(1, ffn_hidden / top_k), fine-grained (SPEC §6.6). */
    public int expertHidden = 0;
    /** Switch load-balancing weight gamma (SPEC §6.7, §7.2) and router z-loss weight beta (SPEC §7.3). */
    public float auxWeight = 0.01f;
    public float zWeight = 0f;
    /**
     * Each attention and FFN/MoE output is multiplied by this before its residual add (SPEC §6.5).
     * Null means 1, or 1/sqrt(2L) under the hyperp optimizer: the trainer resolves it (see
     * {@link #withBranchScaleFor}) and records the number in the run's configuration.
     */
    public Double branchScale = null;

    public static ModelConfig small() { return new ModelConfig(); }

    public static ModelConfig tiny() {
        ModelConfig c = new ModelConfig();
        c.dModel = 64;
        c.nLayers = 2;
        c.nHeads = 4;
        c.nKvHeads = 2;
        c.ffnHidden = 176;
        c.seqLen = 64;
        return c;
    }

    public static ModelConfig preset(String name) {
        return switch (name) {
            case "tiny" -> tiny();
            case "small" -> small();
            default -> throw new ConfigException("preset: unknown preset '" + name + "'; use tiny or small");
        };
    }

    public int headDim() { return dModel / nHeads; }

    /** Is block {@code layer} (0-based) an MoE block? */
    public boolean isMoeBlock(int layer) { return experts > 0 && (layer + 1) % moeEvery == 0; }

    public int moeBlocks() {
        int n = 0;
        for (int l = 0; l < nLayers; l++) if (isMoeBlock(l)) n++;
        return n;
    }

    /** K', the routed experts per token. */
    public int routedK() { return sharedExpert ? topK - 1 : topK; }

    /** Fe, each expert's hidden size. */
    public int expertHiddenSize() { return expertHidden > 0 ? expertHidden : Math.max(1, ffnHidden / topK); }

    /** The residual branch scale in effect (null counts as 1). */
    public float effectiveBranchScale() { return branchScale == null ? 1f : branchScale.floatValue(); }

    /**
     * A copy with {@code branch_scale} resolved: kept when set, else 1/sqrt(2L) when the model is trained
     * with hyperp (depth-muP, SPEC §6.5) and 1 otherwise.
     */
    public ModelConfig withBranchScaleFor(boolean hyperp) {
        ModelConfig c = copy();
        if (c.branchScale == null) c.branchScale = hyperp ? 1.0 / Math.sqrt(2.0 * nLayers) : 1.0;
        return c;
    }

    /** Mix-LN: how many blocks, from the first, are Post-Norm: floor(mixln_post_fraction·L). */
    public int mixlnPostBlocks() { return (int) Math.floor(mixlnPostFraction * nLayers); }

    /**
     * DeepNorm's residual weight alpha = (2L)^(1/4) for a decoder-only model of L blocks (DeepNet,
     * arXiv 2203.00555; SPEC §11.1, checked against microsoft/torchscale's decoder, which uses
     * (2·decoder_layers)^(1/4) without an encoder), 1 for every other placement.
     */
    public float residualWeight() { return placement == Placement.DEEPNORM ? (float) Math.pow(2.0 * nLayers, 0.25) : 1f; }

    /**
     * DeepNorm's init gain beta = (8L)^(-1/4) for the value, output and FFN matrices (SPEC §11.1;
     * torchscale divides fc1, fc2, out_proj and v_proj by (8·decoder_layers)^(1/4)).
     */
    public double deepnormInitGain() { return Math.pow(8.0 * nLayers, -0.25); }

    public boolean usesEmbedScale() { return embedScale != null ? embedScale : norm.isElementwise(); }

    public double effectiveInitStd() { return initStd > 0 ? initStd : Math.sqrt(2.0 / (5.0 * dModel)); }

    /** c_attn refresh period in steps for a run of {@code totalSteps}: SPEC §4.1, clip(steps // 50, 1, 1000). */
    public int bhytRefreshEvery(int totalSteps) {
        return bhytRefresh > 0 ? bhytRefresh : Math.max(1, Math.min(1000, totalSteps / 50));
    }

    /** Throws {@link ConfigException} naming the first bad field and how to fix it. */
    public ModelConfig validate() {
        ConfigFields.requireFinite(this);
        positive("vocab_size", vocabSize);
        positive("d_model", dModel);
        positive("n_layers", nLayers);
        positive("n_heads", nHeads);
        positive("n_kv_heads", nKvHeads);
        positive("ffn_hidden", ffnHidden);
        positive("seq_len", seqLen);
        if (dModel % nHeads != 0) {
            throw new ConfigException("d_model: " + dModel + " is not divisible by n_heads " + nHeads
                    + "; choose d_model a multiple of n_heads (e.g. " + (dModel / nHeads + 1) * nHeads + ")");
        }
        if (nHeads % nKvHeads != 0) {
            throw new ConfigException("n_kv_heads: " + nKvHeads + " does not divide n_heads " + nHeads
                    + "; use a divisor of n_heads (e.g. 1 or " + nHeads + ")");
        }
        if (headDim() % 2 != 0) {
            throw new ConfigException("d_model: head size d_model/n_heads = " + headDim()
                    + " is odd, RoPE rotates pairs; make d_model/n_heads even");
        }
        if (!(normEps > 0 && normEps < 1)) throw new ConfigException("norm_eps: must be in (0, 1), got " + normEps);
        if (!(ropeBase > 1)) throw new ConfigException("rope_base: must be > 1, got " + ropeBase);
        if (!(bhytKappa > 0)) throw new ConfigException("bhyt_kappa: must be > 0, got " + bhytKappa);
        if (bhytRefresh < 0) throw new ConfigException("bhyt_refresh: must be >= 0 (0 = automatic), got " + bhytRefresh);
        if (initStd < 0) throw new ConfigException("init_std: must be >= 0 (0 = sqrt(2/(5d))), got " + initStd);
        if (norm == null) throw new ConfigException("norm: missing; use one of layernorm, rmsnorm, dyt, derf, bhyt, bhyt-star");
        if (placement == null) throw new ConfigException("placement: missing; use pre, post, hybridnorm, hybridnorm-star, deepnorm or mixln");
        if (!(mixlnPostFraction >= 0 && mixlnPostFraction <= 1)) {
            throw new ConfigException("mixln_post_fraction: must be in [0, 1] (the share of Post-Norm blocks), got "
                    + mixlnPostFraction);
        }
        if (placement == Placement.DEEPNORM && experts > 0) {
            throw new ConfigException("placement: deepnorm defines its init for dense FFNs only; use experts 0, or"
                    + " placement post for an MoE model");
        }
        if (attnNorm == null) throw new ConfigException("attn_norm: missing; use none, qk or qkv");
        if (branchScale != null && !(branchScale > 0 && Double.isFinite(branchScale))) {
            throw new ConfigException("branch_scale: must be a positive number (or null for the default), got " + branchScale);
        }
        validateMoe();
        return this;
    }

    private void validateMoe() {
        if (experts < 0) throw new ConfigException("experts: must be >= 0 (0 = dense FFNs), got " + experts);
        if (experts == 0) return;
        if (router == null) throw new ConfigException("router: missing; use softmax-topk, topk-softmax or sqrtgate");
        if (sharedExpert && topK < 2) {
            throw new ConfigException("top_k: " + topK + " with shared_expert leaves no routed expert (top_k counts the"
                    + " shared one); use top_k >= 2 or drop shared_expert");
        }
        int k = routedK();
        if (k < 1 || k > experts) {
            throw new ConfigException("top_k: " + topK + " gives " + k + " routed experts per token"
                    + (sharedExpert ? " (one of top_k is the shared expert)" : "") + ", which must be in 1.." + experts
                    + " (experts); use top_k between " + (sharedExpert ? 2 : 1) + " and " + (experts + (sharedExpert ? 1 : 0)));
        }
        if (moeEvery < 1) throw new ConfigException("moe_every: must be >= 1 (1 = every block), got " + moeEvery);
        if (expertHidden < 0) {
            throw new ConfigException("expert_hidden: must be >= 0 (0 = ffn_hidden / top_k), got " + expertHidden);
        }
        if (!(auxWeight >= 0)) throw new ConfigException("aux_weight: must be >= 0 (0 = no balancing loss), got " + auxWeight);
        if (!(zWeight >= 0)) throw new ConfigException("z_weight: must be >= 0 (0 = log the router Z only), got " + zWeight);
    }

    private static void positive(String field, int value) {
        if (value <= 0) throw new ConfigException(field + ": must be a positive integer, got " + value);
    }

    public ModelConfig copy() {
        ModelConfig c = new ModelConfig();
        ConfigFields.copy(this, c);
        return c;
    }
}
