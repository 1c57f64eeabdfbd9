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
    HYBRID_STAR("hybridnorm-star");

    public final String cli;

    Placement(String cli) { this.cli = cli; }

    public static Placement parse(String s) { return Names.parse(Placement.class, values(), s, "placement"); }

    @Override public String toString() { return cli; }
}
