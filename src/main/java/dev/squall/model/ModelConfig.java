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

    public boolean usesEmbedScale() { return embedScale != null ? embedScale : norm.isElementwise(); }

    public double effectiveInitStd() { return initStd > 0 ? initStd : Math.sqrt(2.0 / (5.0 * dModel)); }

    /** c_attn refresh period in steps for a run of {@code totalSteps}: SPEC §4.1, clip(steps // 50, 1, 1000). */
    public int bhytRefreshEvery(int totalSteps) {
        return bhytRefresh > 0 ? bhytRefresh : Math.max(1, Math.min(1000, totalSteps / 50));
    }

    /** Throws {@link ConfigException} naming the first bad field and how to fix it. */
    public ModelConfig validate() {
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
        if (!(normEps > 0)) throw new ConfigException("norm_eps: must be > 0, got " + normEps);
        if (!(ropeBase > 1)) throw new ConfigException("rope_base: must be > 1, got " + ropeBase);
        if (!(bhytKappa > 0)) throw new ConfigException("bhyt_kappa: must be > 0, got " + bhytKappa);
        if (bhytRefresh < 0) throw new ConfigException("bhyt_refresh: must be >= 0 (0 = automatic), got " + bhytRefresh);
        if (initStd < 0) throw new ConfigException("init_std: must be >= 0 (0 = sqrt(2/(5d))), got " + initStd);
        if (norm == null) throw new ConfigException("norm: missing; use one of layernorm, rmsnorm, dyt, derf, bhyt, bhyt-star");
        if (placement == null) throw new ConfigException("placement: missing; use pre, post, hybridnorm or hybridnorm-star");
        if (attnNorm == null) throw new ConfigException("attn_norm: missing; use none, qk or qkv");
        return this;
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
