package dev.squall.model;

/** Per-head RMSNorm on queries and keys (QK-Norm) or on values too (QKV-Norm), before RoPE (SPEC §5.1). */
public enum AttnNorm {
    NONE("none"), QK("qk"), QKV("qkv");

    public final String cli;

    AttnNorm(String cli) { this.cli = cli; }

    public boolean normsQK() { return this != NONE; }

    public boolean normsV() { return this == QKV; }

    public static AttnNorm parse(String s) { return Names.parse(AttnNorm.class, values(), s, "attn-norm"); }

    @Override public String toString() { return cli; }
}
