package dev.squall.model;

import dev.squall.kernels.Router;

/** How an MoE router turns logits into mixing weights (MODEL.md "MoE sublayer"; SPEC §6.6, §7.1). */
public enum RouterKind {
    /** OLMoE: softmax over all experts, top-k, no renormalisation (SPEC §7.1). */
    SOFTMAX_TOPK("softmax-topk", Router.SOFTMAX_TOPK),
    /** Mixtral/ArchScale: top-k logits, softmax over the selected ones (SPEC §6.6). */
    TOPK_SOFTMAX("topk-softmax", Router.TOPK_SOFTMAX),
    /** HyperP's SqrtGate: sqrt of the top-k softmax gates, RMS-preserving (SPEC §6.6). */
    SQRTGATE("sqrtgate", Router.SQRTGATE);

    public final String cli;
    /** The {@link Router} kernel's constant for this kind. */
    public final int kernel;

    RouterKind(String cli, int kernel) {
        this.cli = cli;
        this.kernel = kernel;
    }

    public static RouterKind parse(String s) { return Names.parse(RouterKind.class, values(), s, "router"); }

    @Override public String toString() { return cli; }
}
