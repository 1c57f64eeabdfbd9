package dev.squall.tornado.backend;

import dev.squall.program.Buffer;
import dev.squall.program.Task;
import dev.squall.tornado.kernels.*;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Lowering of the norm family (SPEC §1-§5): a row kernel per direction in work-groups of the
 * kernel's row group, then for each learnable tensor per-block partials and an ordered sum
 * ({@link ColumnSums}, {@link DynamicTanhKernels#addScalar}) so dgamma, dbeta, dalpha and dlambda
 * are deterministic.
 */
final class Norms {
    private Norms() {}

    static void rmsForward(Task.RmsNormForward t, StageGraph g) {
        g.add("rmsnorm_fwd", g.grid.rmsNormRows(t.N()), (tg, id) -> tg.task(id, RmsNormKernels::rmsnormForward, g.ctx,
                g.f(t.out()), g.f(t.rstd()), g.f(t.inp()), g.f(t.weight()), t.C(), t.eps()));
    }

    static void rmsBackward(Task.RmsNormBackward t, StageGraph g) {
        int blocks = RmsNormKernels.blocks(t.N());
        g.add("rmsnorm_bwd", g.grid.rmsNormRows(t.N()),
                (tg, id) -> tg.task(id, RmsNormKernels::rmsnormBackwardInput, g.ctx,
                g.f(t.dinp()), g.f(t.dout()), g.f(t.inp()), g.f(t.weight()), g.f(t.rstd()), t.C()));
        FloatArray p = g.scratch(blocks * t.C());
        g.add("rmsnorm_dw", g.grid.perElement(blocks * t.C()),
                (tg, id) -> tg.task(id, RmsNormKernels::weightPartials, g.ctx,
                p, g.f(t.dout()), g.f(t.inp()), g.f(t.rstd()), t.N(), t.C()));
        columns(g, t.dweight(), p, t.C(), blocks);
    }

    static void layerForward(Task.LayerNormForward t, StageGraph g) {
        if (t.bias() != null) {
            g.add("layernorm_fwd", g.grid.layerNormRows(t.N()),
                    (tg, id) -> tg.task(id, LayerNormKernels::forward, g.ctx, g.f(t.out()),
                    g.f(t.mean()), g.f(t.rstd()), g.f(t.inp()), g.f(t.weight()), g.f(t.bias()), t.C(), t.eps()));
        } else {
            g.add("layernorm_fwd", g.grid.layerNormRows(t.N()),
                    (tg, id) -> tg.task(id, LayerNormKernels::forwardNoBias, g.ctx,
                    g.f(t.out()), g.f(t.mean()), g.f(t.rstd()), g.f(t.inp()), g.f(t.weight()), t.C(), t.eps()));
        }
    }

    static void layerBackward(Task.LayerNormBackward t, StageGraph g) {
        int blocks = LayerNormKernels.blocks(t.N()), C = t.C();
        g.add("layernorm_bwd", g.grid.layerNormRows(t.N()),
                (tg, id) -> tg.task(id, LayerNormKernels::backwardInput, g.ctx,
                g.f(t.dinp()), g.f(t.dout()), g.f(t.inp()), g.f(t.weight()), g.f(t.mean()), g.f(t.rstd()), C));
        FloatArray wp = g.scratch(blocks * C);
        if (t.dbias() != null) {
            FloatArray bp = g.scratch(blocks * C);
            g.add("layernorm_dwb", g.grid.perElement(blocks * C),
                    (tg, id) -> tg.task(id, LayerNormKernels::paramPartials, g.ctx,
                    wp, bp, g.f(t.dout()), g.f(t.inp()), g.f(t.mean()), g.f(t.rstd()), t.N(), C));
            columns(g, t.dweight(), wp, C, blocks);
            columns(g, t.dbias(), bp, C, blocks);
        } else {
            g.add("layernorm_dw", g.grid.perElement(blocks * C),
                    (tg, id) -> tg.task(id, LayerNormKernels::weightPartials, g.ctx,
                    wp, g.f(t.dout()), g.f(t.inp()), g.f(t.mean()), g.f(t.rstd()), t.N(), C));
            columns(g, t.dweight(), wp, C, blocks);
        }
    }

    static void dytForward(Task.DytForward t, StageGraph g) {
        if (t.bias() != null) {
            g.add("dyt_fwd", g.grid.perElement(t.N() * t.C()),
                    (tg, id) -> tg.task(id, DynamicTanhKernels::forward, g.ctx,
                    g.f(t.out()), g.f(t.inp()), g.f(t.alpha()), g.f(t.weight()), g.f(t.bias()), t.C()));
        } else {
            g.add("dyt_fwd", g.grid.perElement(t.N() * t.C()),
                    (tg, id) -> tg.task(id, DynamicTanhKernels::forwardNoBias, g.ctx,
                    g.f(t.out()), g.f(t.inp()), g.f(t.alpha()), g.f(t.weight()), t.C()));
        }
    }

    static void dytBackward(Task.DytBackward t, StageGraph g) {
        int blocks = DynamicTanhKernels.blocks(t.N()), C = t.C();
        FloatArray rows = g.scratch(t.N());
        g.add("dyt_bwd", g.grid.dynamicTanhRows(t.N()), (tg, id) -> tg.task(id, DynamicTanhKernels::backwardRows, g.ctx,
                g.f(t.dinp()), rows, g.f(t.dout()), g.f(t.inp()), g.f(t.alpha()), g.f(t.weight()), C));
        scalar(g, t.dalpha(), rows, t.N());
        FloatArray wp = g.scratch(blocks * C);
        if (t.dbias() != null) {
            FloatArray bp = g.scratch(blocks * C);
            g.add("dyt_dwb", g.grid.perElement(blocks * C),
                    (tg, id) -> tg.task(id, DynamicTanhKernels::paramPartials, g.ctx,
                    wp, bp, g.f(t.dout()), g.f(t.inp()), g.f(t.alpha()), t.N(), C));
            columns(g, t.dweight(), wp, C, blocks);
            columns(g, t.dbias(), bp, C, blocks);
        } else {
            g.add("dyt_dw", g.grid.perElement(blocks * C),
                    (tg, id) -> tg.task(id, DynamicTanhKernels::weightPartials, g.ctx,
                    wp, g.f(t.dout()), g.f(t.inp()), g.f(t.alpha()), t.N(), C));
            columns(g, t.dweight(), wp, C, blocks);
        }
    }

    static void derfForward(Task.DerfForward t, StageGraph g) {
        if (t.bias() != null) {
            g.add("derf_fwd", g.grid.perElement(t.N() * t.C()),
                    (tg, id) -> tg.task(id, DynamicErfKernels::forward, g.ctx,
                    g.f(t.out()), g.f(t.inp()), g.f(t.alpha()), g.f(t.shift()), g.f(t.weight()), g.f(t.bias()), t.C()));
        } else {
            g.add("derf_fwd", g.grid.perElement(t.N() * t.C()),
                    (tg, id) -> tg.task(id, DynamicErfKernels::forwardNoBias, g.ctx,
                    g.f(t.out()), g.f(t.inp()), g.f(t.alpha()), g.f(t.shift()), g.f(t.weight()), t.C()));
        }
    }

    static void derfBackward(Task.DerfBackward t, StageGraph g) {
        int blocks = DynamicErfKernels.blocks(t.N()), C = t.C();
        FloatArray aRows = g.scratch(t.N()), sRows = g.scratch(t.N());
        g.add("derf_bwd", g.grid.dynamicErfRows(t.N()), (tg, id) -> tg.task(id, DynamicErfKernels::backwardRows, g.ctx,
                g.f(t.dinp()), aRows, sRows, g.f(t.dout()), g.f(t.inp()), g.f(t.alpha()), g.f(t.shift()),
                g.f(t.weight()), C));
        scalar(g, t.dalpha(), aRows, t.N());
        scalar(g, t.dshift(), sRows, t.N());
        FloatArray wp = g.scratch(blocks * C);
        if (t.dbias() != null) {
            FloatArray bp = g.scratch(blocks * C);
            g.add("derf_dwb", g.grid.perElement(blocks * C),
                    (tg, id) -> tg.task(id, DynamicErfKernels::paramPartials, g.ctx,
                    wp, bp, g.f(t.dout()), g.f(t.inp()), g.f(t.alpha()), g.f(t.shift()), t.N(), C));
            columns(g, t.dweight(), wp, C, blocks);
            columns(g, t.dbias(), bp, C, blocks);
        } else {
            g.add("derf_dw", g.grid.perElement(blocks * C),
                    (tg, id) -> tg.task(id, DynamicErfKernels::weightPartials, g.ctx,
                    wp, g.f(t.dout()), g.f(t.inp()), g.f(t.alpha()), g.f(t.shift()), t.N(), C));
            columns(g, t.dweight(), wp, C, blocks);
        }
    }

    /**
     * Per-head RMSNorm over (N, nHeads, hd) with one gain of hd shared by every head is RMSNorm over
     * N * nHeads rows of width hd (the same memory), so it runs on the RMSNorm kernels; the gain's
     * gradient then sums over tokens and heads alike, as RMSNorm's sums over rows.
     */
    static void headForward(Task.HeadRmsNormForward t, StageGraph g) {
        int R = t.N() * t.nHeads();
        g.add("head_rmsnorm_fwd", g.grid.rmsNormRows(R), (tg, id) -> tg.task(id, RmsNormKernels::rmsnormForward, g.ctx,
                g.f(t.out()), g.f(t.rstd()), g.f(t.inp()), g.f(t.weight()), t.hd(), t.eps()));
    }

    static void headBackward(Task.HeadRmsNormBackward t, StageGraph g) {
        int R = t.N() * t.nHeads(), blocks = RmsNormKernels.blocks(R), hd = t.hd();
        g.add("head_rmsnorm_bwd", g.grid.rmsNormRows(R),
                (tg, id) -> tg.task(id, RmsNormKernels::rmsnormBackwardInput, g.ctx,
                g.f(t.dinp()), g.f(t.dout()), g.f(t.inp()), g.f(t.weight()), g.f(t.rstd()), hd));
        FloatArray p = g.scratch(blocks * hd);
        g.add("head_rmsnorm_dw", g.grid.perElement(blocks * hd),
                (tg, id) -> tg.task(id, RmsNormKernels::weightPartials, g.ctx,
                p, g.f(t.dout()), g.f(t.inp()), g.f(t.rstd()), R, hd));
        columns(g, t.dweight(), p, hd, blocks);
    }

    static void bhytStarForward(Task.BhytStarForward t, StageGraph g) {
        g.add("bhyt_star_fwd", g.grid.bhytRows(t.N()), (tg, id) -> tg.task(id, BhytStarKernels::forward, g.ctx,
                g.f(t.out()), g.f(t.meanSq()), g.f(t.inp()), g.f(t.lambda()), g.f(t.weight()), t.C(), t.kappa(), t.eps()));
    }

    static void bhytStarBackward(Task.BhytStarBackward t, StageGraph g) {
        int blocks = BhytKernels.blocks(t.N()), C = t.C();
        FloatArray rows = g.scratch(t.N());
        g.add("bhyt_bwd", g.grid.bhytRows(t.N()), (tg, id) -> tg.task(id, BhytKernels::backwardInputRows, g.ctx,
                g.f(t.dinp()), rows, g.f(t.dout()), g.f(t.inp()), g.f(t.meanSq()), g.f(t.lambda()), g.f(t.weight()),
                C, t.kappa(), t.eps()));
        scalar(g, t.dlambda(), rows, t.N());
        FloatArray p = g.scratch(blocks * C);
        g.add("bhyt_dw", g.grid.perElement(blocks * C), (tg, id) -> tg.task(id, BhytKernels::inputGainPartials, g.ctx,
                p, g.f(t.dout()), g.f(t.inp()), g.f(t.meanSq()), g.f(t.lambda()), t.N(), C, t.kappa(), t.eps()));
        columns(g, t.dweight(), p, C, blocks);
    }

    static void bhytSecondForward(Task.BhytSecondForward t, StageGraph g) {
        g.add("bhyt_second_fwd", g.grid.perElement(t.N() * t.C()),
                (tg, id) -> tg.task(id, BhytKernels::forwardSecond, g.ctx,
                g.f(t.out()), g.f(t.rho2()), g.f(t.h()), g.f(t.meanSqX()), g.f(t.cAttn()), g.f(t.lambda1()),
                g.f(t.lambda2()), g.f(t.weight()), t.C(), t.kappa(), t.eps()));
    }

    static void bhytSecondBackward(Task.BhytSecondBackward t, StageGraph g) {
        int blocks = BhytKernels.blocks(t.N()), C = t.C();
        FloatArray rows = g.scratch(t.N());
        g.add("bhyt_second_bwd", g.grid.bhytRows(t.N()), (tg, id) -> tg.task(id, BhytKernels::backwardSecondRows, g.ctx,
                g.f(t.dh()), g.f(t.dinpCross()), rows, g.f(t.dout()), g.f(t.h()), g.f(t.inpX()), g.f(t.rho2()),
                g.f(t.lambda2()), g.f(t.weight2()), C, t.kappa()));
        scalar(g, t.dlambda2(), rows, t.N());
        FloatArray p = g.scratch(blocks * C);
        g.add("bhyt_second_dw", g.grid.perElement(blocks * C),
                (tg, id) -> tg.task(id, BhytKernels::secondGainPartials, g.ctx,
                p, g.f(t.dout()), g.f(t.h()), g.f(t.rho2()), g.f(t.lambda2()), t.N(), C));
        columns(g, t.dweight2(), p, C, blocks);
    }

    static void bhytAttnConstant(Task.BhytAttnConstant t, StageGraph g) {
        FloatArray rows = g.scratch(t.C());
        g.add("bhyt_c_attn_rows", g.grid.bhytRows(t.C()), (tg, id) -> tg.task(id, BhytKernels::cAttnRows, g.ctx,
                rows, g.f(t.wv()), g.f(t.wo()), t.C(), t.nHeads(), t.nKvHeads(), t.hd()));
        g.add("bhyt_c_attn", g.grid.serial(), (tg, id) -> tg.task(id, BhytKernels::cAttnFinish, g.ctx,
                g.f(t.cAttn()), rows, t.C(), t.seqLen()));
    }

    /** acc[c] += Σ_b partials[b, c]: the ordered second half of a sum over all tokens. */
    private static void columns(StageGraph g, Buffer acc, FloatArray partials, int C, int blocks) {
        g.add("column_sums", g.grid.perElement(C),
                (tg, id) -> tg.task(id, ColumnSums::addColumns, g.ctx, g.f(acc), partials, C, blocks));
    }

    /** acc[0] += Σ_r rows[r]: a learnable scalar's gradient from per-row contributions. */
    private static void scalar(StageGraph g, Buffer acc, FloatArray rows, int n) {
        g.add("scalar_sum", g.grid.serial(),
                (tg, id) -> tg.task(id, DynamicTanhKernels::addScalar, g.ctx, g.f(acc), rows, n));
    }
}
