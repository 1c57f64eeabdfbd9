package dev.squall.model;

/** Which normalization a block uses (SPEC §1-§4). The command line spells them in lower case. */
public enum NormKind {
    LAYERNORM("layernorm"), RMSNORM("rmsnorm"), DYT("dyt"), DERF("derf"), BHYT("bhyt"), BHYT_STAR("bhyt-star");

    public final String cli;

    NormKind(String cli) { this.cli = cli; }

    /** Elementwise norms (no per-row statistic) carry a learnable embedding scale, SPEC §2.4. */
    public boolean isElementwise() { return this == DYT || this == DERF; }

    public static NormKind parse(String s) { return Names.parse(NormKind.class, values(), s, "norm"); }

    @Override public String toString() { return cli; }
}
