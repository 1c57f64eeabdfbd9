package dev.squall.model;

import dev.squall.program.Routing;

/** How an MoE router turns logits into mixing weights (MODEL.md "MoE sublayer"; SPEC §6.6, §7.1). */
public enum RouterKind {
    /** OLMoE: softmax over all experts, top-k, no renormalisation (SPEC §7.1). */
    SOFTMAX_TOPK("softmax-topk", Routing.SOFTMAX_TOPK),
    /** Mixtral/ArchScale: top-k logits, softmax over the selected ones (SPEC §6.6). */
    TOPK_SOFTMAX("topk-softmax", Routing.TOPK_SOFTMAX),
    /** HyperP's SqrtGate: sqrt of the top-k softmax gates, RMS-preserving (SPEC §6.6). */
    SQRTGATE("sqrtgate", Routing.SQRTGATE);

    public final String cli;
    /** The rule the step program's router tasks carry. */
    public final Routing routing;

    RouterKind(String cli, Routing routing) {
        this.cli = cli;
        this.routing = routing;
    }

    public static RouterKind parse(String s) { return Names.parse(RouterKind.class, values(), s, "router"); }

    @Override public String toString() { return cli; }
}
