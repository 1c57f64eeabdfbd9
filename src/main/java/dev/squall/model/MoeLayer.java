package dev.squall.model;

import dev.squall.program.Buffer;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.StepProgram.Param;
import dev.squall.program.Task;

/**
 * The MoE sublayer of one block, replacing its dense FFN (docs/MODEL.md "MoE sublayer" and "Router
 * losses"; SPEC §6.6, §6.7, §7.1-§7.4): router logits, top-K′ selection and mixing weights, a
 * dropless dispatch of every (token, slot) pair into rows sorted by expert, the experts' SwiGLU as
 * grouped products over those rows, the weighted combine back per token, and the optional shared
 * expert. The router losses' values are metrics of the forward; their gradients join the router
 * logits' gradient in the backward.
 *
 * <pre>
 * Shapes: N tokens, C = d_model, E experts, K = K′ routed per token, Fe expert hidden, R = N*K sorted rows
 *   logits, probs (N, E); lse (N); expertIdx, gates, weights (N, K); counts (E)
 *   rowSlot, slotRow (R); offsets (E + 1)
 *   xs (R, C) dispatched inputs; hs (R, 2Fe) gate|up; acts (R, Fe); ys (R, C) expert outputs
 *   routed (N, C) the weighted routed sum (only with a shared expert, else it is the output)
 *   shared: gu (N, 2Fe), act (N, Fe), out (N, C)
 * </pre>
 *
 * <p>Metric slots (from {@code metricSlot} in the program's metrics): aux_loss (γ·L_switch), z_loss
 * (β·mean LSE²), router_z (mean LSE², SPEC §6.8), load_max_mean, load_cv.
 */
final class MoeLayer {
    static final String[] METRICS = {"aux_loss", "z_loss", "router_z", "load_max_mean", "load_cv"};
    /** SPEC §6.6: sqrt(1 - p)·y + sqrt(p)·S(f) under SqrtGate, p = 1/2. */
    static final double SHARED_P = 0.5;

    final int N, C, E, K, Fe;
    final RouterKind kind;
    final float gamma, beta;
    final Param router, wGateUp, wDown, sharedGateUp, sharedDown;
    final Buffer logits, probs, lse, expertIdx, gates, weights, counts, rowSlot, slotRow, offsets;
    final Buffer xs, hs, acts, ys, routed, sharedGu, sharedAct, sharedOut;
    /** Weights of the routed sum and the shared expert in the output. */
    final float routedMix, sharedMix;
    /** First of this layer's {@link #METRICS} slots in the program's metrics, or -1 (decoding: no metrics). */
    final int metricSlot;
    final Grads g;

    /** Gradient scratch of the MoE backward, one set shared by every MoE block (blocks run one at a time). */
    static final class Grads {
        final Buffer dlogits, dweights, dys, dacts, dhs, dxs, dRouted, dSharedOut, dSharedAct, dSharedGu, dSharedIn, dRouterIn;

        Grads(StepProgram p, ModelConfig cfg, int N) {
            int C = cfg.dModel, E = cfg.experts, K = cfg.routedK(), Fe = cfg.expertHiddenSize(), R = N * K;
            dlogits = p.floats("grad.moe.logits", Role.ACTIVATION, N, E);
            dweights = p.floats("grad.moe.weights", Role.ACTIVATION, N, K);
            dys = p.floats("grad.moe.ys", Role.ACTIVATION, R, C);
            dacts = p.floats("grad.moe.acts", Role.ACTIVATION, R, Fe);
            dhs = p.floats("grad.moe.hs", Role.ACTIVATION, R, 2 * Fe);
            dxs = p.floats("grad.moe.xs", Role.ACTIVATION, R, C);
            dRouterIn = p.floats("grad.moe.router_in", Role.ACTIVATION, N, C);
            boolean shared = cfg.sharedExpert;
            dRouted = shared ? p.floats("grad.moe.routed", Role.ACTIVATION, N, C) : null;
            dSharedOut = shared ? p.floats("grad.moe.shared.out", Role.ACTIVATION, N, C) : null;
            dSharedAct = shared ? p.floats("grad.moe.shared.act", Role.ACTIVATION, N, Fe) : null;
            dSharedGu = shared ? p.floats("grad.moe.shared.gu", Role.ACTIVATION, N, 2 * Fe) : null;
            dSharedIn = shared ? p.floats("grad.moe.shared.in", Role.ACTIVATION, N, C) : null;
        }
    }

    /** Registers the parameters (MODEL.md names and shapes, all weight-decayed) and the saved activations of block {@code l}. */
    MoeLayer(StepProgram p, ModelConfig cfg, int l, int N, int metricSlot, Grads grads) {
        this.N = N;
        C = cfg.dModel;
        E = cfg.experts;
        K = cfg.routedK();
        Fe = cfg.expertHiddenSize();
        kind = cfg.router;
        gamma = cfg.auxWeight;
        beta = cfg.zWeight;
        this.metricSlot = metricSlot;
        this.g = grads;
        int R = N * K;
        String m = "layers." + l + ".moe.";
        router = p.param(m + "router", true, E, C);
        wGateUp = p.param(m + "w_gate_up", true, E, 2 * Fe, C);
        wDown = p.param(m + "w_down", true, E, C, Fe);
        sharedGateUp = cfg.sharedExpert ? p.param(m + "shared.w_gate_up", true, 2 * Fe, C) : null;
        sharedDown = cfg.sharedExpert ? p.param(m + "shared.w_down", true, C, Fe) : null;

        logits = p.floats(m + "logits", Role.ACTIVATION, N, E);
        probs = p.floats(m + "probs", Role.ACTIVATION, N, E);
        lse = p.floats(m + "lse", Role.ACTIVATION, N);
        expertIdx = p.ints(m + "expert_idx", Role.ACTIVATION, N, K);
        gates = p.floats(m + "gates", Role.ACTIVATION, N, K);
        weights = p.floats(m + "weights", Role.ACTIVATION, N, K);
        counts = p.floats(m + "counts", Role.ACTIVATION, E);
        rowSlot = p.ints(m + "row_slot", Role.ACTIVATION, R);
        slotRow = p.ints(m + "slot_row", Role.ACTIVATION, R);
        offsets = p.ints(m + "offsets", Role.ACTIVATION, E + 1);
        xs = p.floats(m + "xs", Role.ACTIVATION, R, C);
        hs = p.floats(m + "hs", Role.ACTIVATION, R, 2 * Fe);
        acts = p.floats(m + "acts", Role.ACTIVATION, R, Fe);
        ys = p.floats(m + "ys", Role.ACTIVATION, R, C);
        boolean shared = cfg.sharedExpert;
        routed = shared ? p.floats(m + "routed", Role.ACTIVATION, N, C) : null;
        sharedGu = shared ? p.floats(m + "shared.gu", Role.ACTIVATION, N, 2 * Fe) : null;
        sharedAct = shared ? p.floats(m + "shared.act", Role.ACTIVATION, N, Fe) : null;
        sharedOut = shared ? p.floats(m + "shared.out", Role.ACTIVATION, N, C) : null;
        boolean sqrt = kind == RouterKind.SQRTGATE;
        routedMix = sqrt ? (float) Math.sqrt(1 - SHARED_P) : 1f;
        sharedMix = sqrt ? (float) Math.sqrt(SHARED_P) : 1f;
    }

    /** out = MoE(in), (N, C) written; with metrics, the router losses and load statistics too. */
    void forward(Stage s, Buffer in, Buffer out, Buffer metrics) {
        int R = N * K;
        s.add(new Task.MatmulForward(logits, in, router.value(), N, C, E));
        s.add(new Task.RouterForward(expertIdx, gates, weights, probs, lse, logits, N, E, K, kind.routing));
        s.add(new Task.MoePlan(rowSlot, slotRow, offsets, expertIdx, N, K, E));
        s.add(new Task.MoeGather(xs, in, rowSlot, N, K, C));
        s.add(new Task.GroupedMatmulForward(hs, xs, wGateUp.value(), offsets, R, C, 2 * Fe, E));
        s.add(new Task.SwiGluForward(acts, hs, R, Fe));
        s.add(new Task.GroupedMatmulForward(ys, acts, wDown.value(), offsets, R, Fe, C, E));
        if (routed == null) {
            s.add(new Task.MoeCombine(out, ys, weights, slotRow, N, K, C));
        } else {
            s.add(new Task.MoeCombine(routed, ys, weights, slotRow, N, K, C));
            s.add(new Task.MatmulForward(sharedGu, in, sharedGateUp.value(), N, C, 2 * Fe));
            s.add(new Task.SwiGluForward(sharedAct, sharedGu, N, Fe));
            s.add(new Task.MatmulForward(sharedOut, sharedAct, sharedDown.value(), N, Fe, C));
            s.add(new Task.MixForward(out, routed, sharedOut, routedMix, sharedMix, N * C));
        }
        // Counts feed the balance loss's gradient too, so they are computed whenever there is a backward.
        s.add(new Task.RouterCounts(counts, expertIdx, N, K, E));
        if (metricSlot >= 0) {
            s.add(new Task.BalanceLossForward(metrics, metricSlot, probs, counts, N, E, K, gamma));
            s.add(new Task.ZLossForward(metrics, metricSlot + 1, lse, N, beta));
            s.add(new Task.ZLossForward(metrics, metricSlot + 2, lse, N, 1f));
            s.add(new Task.LoadImbalance(metrics, metricSlot + 3, counts, E));
        }
    }

    /**
     * din = J_MoE^T dout (written); parameter gradients accumulate. The router losses enter the
     * logits' gradient with {@code lossScale}, the micro-batch's share of the step (1/accum_steps).
     */
    void backward(Stage s, Buffer dout, Buffer in, Buffer din, float lossScale) {
        int R = N * K;
        Buffer dy = dout;
        if (routed != null) {
            dy = g.dRouted;
            s.add(new Task.MixBackward(g.dRouted, g.dSharedOut, dout, routedMix, sharedMix, N * C));
        }
        s.add(new Task.MoeCombineBackward(g.dys, g.dweights, dy, ys, weights, slotRow, N, K, C));
        s.add(new Task.GroupedMatmulBackwardInput(g.dacts, g.dys, wDown.value(), offsets, R, Fe, C, E));
        s.add(new Task.GroupedMatmulBackwardWeight(wDown.grad(), g.dys, acts, offsets, R, Fe, C, E));
        s.add(new Task.SwiGluBackward(g.dhs, g.dacts, hs, R, Fe));
        s.add(new Task.GroupedMatmulBackwardInput(g.dxs, g.dhs, wGateUp.value(), offsets, R, C, 2 * Fe, E));
        s.add(new Task.GroupedMatmulBackwardWeight(wGateUp.grad(), g.dhs, xs, offsets, R, C, 2 * Fe, E));
        s.add(new Task.MoeGatherBackward(din, g.dxs, slotRow, N, K, C));

        s.add(new Task.RouterBackward(g.dlogits, g.dweights, gates, weights, probs, expertIdx, N, E, K, kind.routing));
        if (gamma != 0) s.add(new Task.BalanceLossBackward(g.dlogits, probs, counts, N, E, K, gamma, lossScale));
        if (beta != 0) s.add(new Task.ZLossBackward(g.dlogits, probs, lse, N, E, beta, lossScale));
        s.add(new Task.MatmulBackwardInput(g.dRouterIn, g.dlogits, router.value(), N, C, E));
        s.add(new Task.Accumulate(din, g.dRouterIn, N * C));
        s.add(new Task.MatmulBackwardWeight(router.grad(), g.dlogits, in, N, C, E));

        if (routed != null) {
            s.add(new Task.MatmulBackwardInput(g.dSharedAct, g.dSharedOut, sharedDown.value(), N, Fe, C));
            s.add(new Task.MatmulBackwardWeight(sharedDown.grad(), g.dSharedOut, sharedAct, N, Fe, C));
            s.add(new Task.SwiGluBackward(g.dSharedGu, g.dSharedAct, sharedGu, N, Fe));
            s.add(new Task.MatmulBackwardInput(g.dSharedIn, g.dSharedGu, sharedGateUp.value(), N, C, 2 * Fe));
            s.add(new Task.MatmulBackwardWeight(sharedGateUp.grad(), g.dSharedGu, in, N, C, 2 * Fe));
            s.add(new Task.Accumulate(din, g.dSharedIn, N * C));
        }
    }

    /** MODEL.md draw order: router, expert stacks, then the shared expert; w_down are output projections. */
    void initialize(java.util.SplittableRandom rng, double sigma, double outSigma) {
        Transformer.truncatedNormal(rng, router.value().f, sigma);
        Transformer.truncatedNormal(rng, wGateUp.value().f, sigma);
        Transformer.truncatedNormal(rng, wDown.value().f, outSigma);
        if (sharedGateUp != null) {
            Transformer.truncatedNormal(rng, sharedGateUp.value().f, sigma);
            Transformer.truncatedNormal(rng, sharedDown.value().f, outSigma);
        }
    }

    /** Parameters a token touches: the router, K′ experts and the shared one (for the active-parameter count). */
    long activeParameters() {
        long expert = 3L * Fe * C;
        return (long) E * C + K * expert + (sharedGateUp != null ? expert : 0);
    }

    long totalParameters() {
        long expert = 3L * Fe * C;
        return (long) E * C + E * expert + (sharedGateUp != null ? expert : 0);
    }
}
