package dev.squall.tornado.backend;

import dev.squall.program.Task;
import dev.squall.tornado.kernels.*;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Lowering of the mixture-of-experts records (router, router losses, dispatch and combine, grouped
 * matmuls, mix); false for any other record. Grids follow each kernel class's launch legend: the
 * router and the per-row loss backwards run a work-item per token row, combineBackward a work-group
 * per slot, the rest a work-item per output element. The scalar losses are per-block partials in a
 * graph-local scratch array, then one ordered finishing task. Per-kind and per-gradient variants are
 * separate kernels (a task cannot branch on a baked constant or take a null array).
 */
final class MoeLowering {
    private MoeLowering() {}

    static void lower(Task.Moe task, StageGraph g) {
        switch (task) {
            case Task.RouterForward t -> routerForward(t, g);
            case Task.RouterBackward t -> routerBackward(t, g);
            case Task.RouterCounts t -> g.add("router_counts", g.grid.perElement(t.E()), (tg, id) -> tg.task(id,
                    RouterLossKernels::counts, g.ctx, g.f(t.counts()), g.i(t.expertIdx()), t.N(), t.K(), t.E()));
            case Task.BalanceLossForward t -> {
                int blocks = RouterLossKernels.blocks(t.N());
                FloatArray p = g.scratch(blocks);
                g.add("balance_partials", g.grid.perElement(blocks),
                        (tg, id) -> tg.task(id, RouterLossKernels::balancePartials,
                        g.ctx, p, g.f(t.probs()), g.f(t.counts()), t.N(), t.E()));
                g.add("balance_finish", g.grid.serial(),
                        (tg, id) -> tg.task(id, RouterLossKernels::balanceFinish, g.ctx,
                        g.f(t.out()), p, t.slot(), blocks, t.N(), t.E(), t.K(), t.gamma()));
            }
            case Task.BalanceLossBackward t -> g.add("balance_bwd", g.grid.perElement(t.N()), (tg, id) -> tg.task(id,
                    RouterLossKernels::balanceBackward, g.ctx, g.f(t.dlogits()), g.f(t.probs()), g.f(t.counts()),
                    t.N(), t.E(), t.K(), t.gamma(), t.scale()));
            case Task.ZLossForward t -> {
                int blocks = RouterLossKernels.blocks(t.N());
                FloatArray p = g.scratch(blocks);
                g.add("z_partials", g.grid.perElement(blocks),
                        (tg, id) -> tg.task(id, RouterLossKernels::zPartials, g.ctx,
                        p, g.f(t.lse()), t.N()));
                g.add("z_finish", g.grid.serial(), (tg, id) -> tg.task(id, RouterLossKernels::zFinish, g.ctx,
                        g.f(t.out()), p, t.slot(), blocks, t.N(), t.beta()));
            }
            case Task.ZLossBackward t -> g.add("z_bwd", g.grid.perElement(t.N() * t.E()), (tg, id) -> tg.task(id,
                    RouterLossKernels::zBackward, g.ctx, g.f(t.dlogits()), g.f(t.probs()), g.f(t.lse()),
                    t.N(), t.E(), t.beta(), t.scale()));
            case Task.LoadImbalance t -> g.add("load_imbalance", g.grid.serial(), (tg, id) -> tg.task(id,
                    RouterLossKernels::loadImbalance, g.ctx, g.f(t.out()), g.f(t.counts()), t.slot(), t.E()));
            case Task.MoePlan t -> g.add("moe_plan", g.grid.perElement(t.E() + 1),
                    (tg, id) -> tg.task(id, MoeDispatchKernels::plan,
                    g.ctx, g.i(t.rowSlot()), g.i(t.slotRow()), g.i(t.offsets()), g.i(t.expertIdx()), t.N(), t.K(), t.E()));
            case Task.MoeGather t -> g.add("moe_gather", g.grid.perElement(t.N() * t.K() * t.C()),
                    (tg, id) -> tg.task(id, MoeDispatchKernels::gather, g.ctx, g.f(t.xs()), g.f(t.x()), g.i(t.rowSlot()), t.N(), t.K(), t.C()));
            case Task.MoeGatherBackward t -> g.add("moe_gather_bwd", g.grid.perElement(t.N() * t.C()),
                    (tg, id) -> tg.task(id, MoeDispatchKernels::gatherBackward, g.ctx, g.f(t.dx()), g.f(t.dxs()), g.i(t.slotRow()),
                    t.N(), t.K(), t.C()));
            case Task.MoeCombine t -> g.add("moe_combine", g.grid.perElement(t.N() * t.C()), (tg, id) -> tg.task(id,
                    MoeDispatchKernels::combine, g.ctx, g.f(t.y()), g.f(t.ys()), g.f(t.weights()), g.i(t.slotRow()),
                    t.N(), t.K(), t.C()));
            case Task.MoeCombineBackward t -> {
                g.add("moe_combine_bwd", g.grid.moeCombineSlots(t.N() * t.K()), (tg, id) -> tg.task(id,
                        MoeDispatchKernels::combineBackward, g.ctx, g.f(t.dys()), g.f(t.dweights()), g.f(t.dy()),
                        g.f(t.ys()), g.f(t.weights()), g.i(t.slotRow()), t.N(), t.K(), t.C()));
            }
            case Task.GroupedMatmulForward t -> g.add("grouped_matmul_fwd", g.grid.perElement(t.R() * t.OC()),
                    (tg, id) -> tg.task(id, GroupedMatmulKernels::forward, g.ctx, g.f(t.out()), g.f(t.inp()), g.f(t.weight()), g.i(t.offsets()),
                    t.R(), t.C(), t.OC(), t.E()));
            case Task.GroupedMatmulBackwardInput t -> g.add("grouped_matmul_bwd_inp", g.grid.perElement(t.R() * t.C()), (tg, id) ->
                    tg.task(id, GroupedMatmulKernels::backwardInput, g.ctx, g.f(t.dinp()), g.f(t.dout()),
                            g.f(t.weight()), g.i(t.offsets()), t.R(), t.C(), t.OC(), t.E()));
            case Task.GroupedMatmulBackwardWeight t -> g.add("grouped_matmul_bwd_w", g.grid.perElement(t.E() * t.OC() * t.C()),
                    (tg, id) -> tg.task(id, GroupedMatmulKernels::backwardWeight, g.ctx, g.f(t.dweight()),
                            g.f(t.dout()), g.f(t.inp()), g.i(t.offsets()), t.R(), t.C(), t.OC(), t.E()));
        }
    }

    /** out = alpha a + beta b: shared-expert mixing and the residual branch scale. */
    static void mixForward(Task.MixForward t, StageGraph g) {
        g.add("mix_fwd", g.grid.perElement(t.n()), (tg, id) -> tg.task(id, MixKernels::forward, g.ctx,
                g.f(t.out()), g.f(t.a()), g.f(t.b()), t.alpha(), t.beta(), t.n()));
    }

    private static void routerForward(Task.RouterForward t, StageGraph g) {
        int N = t.N(), E = t.E(), K = t.K();
        switch (t.kind()) {
            case SOFTMAX_TOPK -> g.add("router_fwd_softmax_topk", g.grid.perElement(N), (tg, id) -> tg.task(id,
                    RouterKernels::forwardSoftmaxTopk, g.ctx, g.i(t.expertIdx()), g.f(t.gates()), g.f(t.weights()),
                    g.f(t.probs()), g.f(t.lse()), g.f(t.logits()), N, E, K));
            case TOPK_SOFTMAX -> g.add("router_fwd_topk_softmax", g.grid.perElement(N), (tg, id) -> tg.task(id,
                    RouterKernels::forwardTopkSoftmax, g.ctx, g.i(t.expertIdx()), g.f(t.gates()), g.f(t.weights()),
                    g.f(t.probs()), g.f(t.lse()), g.f(t.logits()), N, E, K));
            case SQRTGATE -> g.add("router_fwd_sqrtgate", g.grid.perElement(N), (tg, id) -> tg.task(id,
                    RouterKernels::forwardSqrtGate, g.ctx, g.i(t.expertIdx()), g.f(t.gates()), g.f(t.weights()),
                    g.f(t.probs()), g.f(t.lse()), g.f(t.logits()), N, E, K));
        }
    }

    private static void routerBackward(Task.RouterBackward t, StageGraph g) {
        int N = t.N(), E = t.E(), K = t.K();
        switch (t.kind()) {
            case SOFTMAX_TOPK -> g.add("router_bwd_softmax_topk", g.grid.perElement(N), (tg, id) -> tg.task(id,
                    RouterKernels::backwardSoftmaxTopk, g.ctx, g.f(t.dlogits()), g.f(t.dweights()), g.f(t.gates()),
                    g.f(t.probs()), g.i(t.expertIdx()), N, E, K));
            case TOPK_SOFTMAX -> g.add("router_bwd_topk_softmax", g.grid.perElement(N), (tg, id) -> tg.task(id,
                    RouterKernels::backwardTopkSoftmax, g.ctx, g.f(t.dlogits()), g.f(t.dweights()), g.f(t.gates()),
                    g.i(t.expertIdx()), N, E, K));
            case SQRTGATE -> g.add("router_bwd_sqrtgate", g.grid.perElement(N), (tg, id) -> tg.task(id,
                    RouterKernels::backwardSqrtGate, g.ctx, g.f(t.dlogits()), g.f(t.dweights()), g.f(t.gates()),
                    g.f(t.weights()), g.i(t.expertIdx()), N, E, K));
        }
    }

    static void mixBackward(Task.MixBackward t, StageGraph g) {
        if (t.da() != null && t.db() != null) {
            g.add("mix_bwd", g.grid.perElement(t.n()), (tg, id) -> tg.task(id, MixKernels::backward, g.ctx,
                    g.f(t.da()), g.f(t.db()), g.f(t.dout()), t.alpha(), t.beta(), t.n()));
        } else if (t.da() != null) {
            g.add("mix_bwd_a", g.grid.perElement(t.n()), (tg, id) -> tg.task(id, MixKernels::backwardA, g.ctx,
                    g.f(t.da()), g.f(t.dout()), t.alpha(), t.n()));
        } else if (t.db() != null) {
            g.add("mix_bwd_b", g.grid.perElement(t.n()), (tg, id) -> tg.task(id, MixKernels::backwardB, g.ctx,
                    g.f(t.db()), g.f(t.dout()), t.beta(), t.n()));
        }
    }
}
