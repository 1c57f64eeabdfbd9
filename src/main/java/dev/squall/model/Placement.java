package dev.squall.model;

/** Where the norms sit in a block (SPEC §1.4, §5.2). */
public enum Placement {
    /** x + F(Norm(x)) for both sublayers, final norm before the head. */
    PRE("pre"),
    /** Norm(x + F(x)) for both sublayers; the output is already normalized, no final norm. */
    POST("post"),
    /** Attention without input norm (QKV-Norm inside), FFN Post-Norm whose normalized stream is the residual. */
    HYBRID("hybridnorm"),
    /** HybridNorm, except block 0 is Pre-Norm for both sublayers. */
    HYBRID_STAR("hybridnorm-star"),
    /**
     * Post-Norm with an up-weighted residual, Norm(alpha·x + F(x)), alpha = (2L)^(1/4), and a
     * smaller init for the value, output and FFN matrices (SPEC §11.1); no final norm.
     */
    DEEPNORM("deepnorm"),
    /** Post-Norm in the first floor(mixln_post_fraction·L) blocks, Pre-Norm after; final norm (SPEC §11.2). */
    MIXLN("mixln");

    public final String cli;

    Placement(String cli) { this.cli = cli; }

    public static Placement parse(String s) { return Names.parse(Placement.class, values(), s, "placement"); }

    @Override public String toString() { return cli; }
}
