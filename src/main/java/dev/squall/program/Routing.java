package dev.squall.program;

/**
 * How a router turns its logits into mixing weights (SPEC §6.6, §7.1), as a router task carries it.
 * Each backend maps the rule to its own kernel entry point.
 */
public enum Routing {
    /** OLMoE: softmax over all experts, top-k, no renormalisation (SPEC §7.1). */
    SOFTMAX_TOPK("softmax-topk"),
    /** Mixtral/ArchScale: top-k logits, softmax over the selected ones (SPEC §6.6). */
    TOPK_SOFTMAX("topk-softmax"),
    /** HyperP's SqrtGate: sqrt of the top-k softmax gates, RMS-preserving (SPEC §6.6). */
    SQRTGATE("sqrtgate");

    /** The command line's and the metrics' spelling. */
    public final String label;

    Routing(String label) { this.label = label; }

    @Override public String toString() { return label; }
}
