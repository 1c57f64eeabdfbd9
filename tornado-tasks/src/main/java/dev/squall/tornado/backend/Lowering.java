package dev.squall.tornado.backend;

import dev.squall.program.Buffer;
import dev.squall.program.Task;
import dev.squall.tornado.kernels.*;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Turns each step-program {@link Task} record into the device tasks of its kernel family: the same
 * arguments as the JVM kernel plus a {@code KernelContext}, launch grids from {@link LaunchGeometry}
 * (the stage's {@code g.grid}), and the second task of every grid-wide sum (per-block partials, then an ordered
 * sum). The switches cover every record of the sealed task families with no default branch, so a
 * record without a device kernel does not compile.
 */
final class Lowering {
    private Lowering() {}

    static void lower(Task task, StageGraph g) {
        checkDistinct(task);
        switch (task) {
            case Task.EmbeddingForward t -> embeddingForward(t, g);
            case Task.EmbeddingBackward t -> embeddingBackward(t, g);
            case Task.CrossEntropyLoss t -> crossEntropy(t, g);
            case Task.MatmulForward t -> g.add("matmul_fwd", g.grid.perElement(t.N() * t.OC()), (tg, id) -> tg.task(id,
                    MatmulKernels::forward, g.ctx, g.f(t.out()), g.f(t.inp()), g.f(t.weight()), t.C(), t.OC()));
            case Task.MatmulBackwardInput t -> g.add("matmul_bwd_inp", g.grid.perElement(t.N() * t.C()),
                    (tg, id) -> tg.task(id, MatmulKernels::backwardInput, g.ctx, g.f(t.dinp()), g.f(t.dout()), g.f(t.weight()), t.C(), t.OC()));
            case Task.MatmulBackwardWeight t -> g.add("matmul_bwd_w", g.grid.perElement(t.OC() * t.C()),
                    (tg, id) -> tg.task(id, MatmulKernels::backwardWeight, g.ctx, g.f(t.dweight()), g.f(t.dout()), g.f(t.inp()), t.N(), t.C(), t.OC()));
            case Task.RmsNormForward t -> Norms.rmsForward(t, g);
            case Task.RmsNormBackward t -> Norms.rmsBackward(t, g);
            case Task.LayerNormForward t -> Norms.layerForward(t, g);
            case Task.LayerNormBackward t -> Norms.layerBackward(t, g);
            case Task.DytForward t -> Norms.dytForward(t, g);
            case Task.DytBackward t -> Norms.dytBackward(t, g);
            case Task.DerfForward t -> Norms.derfForward(t, g);
            case Task.DerfBackward t -> Norms.derfBackward(t, g);
            case Task.HeadRmsNormForward t -> Norms.headForward(t, g);
            case Task.HeadRmsNormBackward t -> Norms.headBackward(t, g);
            case Task.BhytStarForward t -> Norms.bhytStarForward(t, g);
            case Task.BhytStarBackward t -> Norms.bhytStarBackward(t, g);
            case Task.BhytSecondForward t -> Norms.bhytSecondForward(t, g);
            case Task.BhytSecondBackward t -> Norms.bhytSecondBackward(t, g);
            case Task.BhytAttnConstant t -> Norms.bhytAttnConstant(t, g);
            case Task.RopeForward t -> g.add("rope_fwd", g.grid.perElement(t.B() * t.T() * t.nHeads() * (t.hd() / 2)),
                    (tg, id) -> tg.task(id, RopeKernels::forward, g.ctx, g.f(t.out()), g.f(t.inp()), g.f(t.cos()), g.f(t.sin()), t.B(), t.T(),
                    t.nHeads(), t.hd()));
            case Task.RopeBackward t when t.dinp() == t.dout() -> g.add("rope_bwd_inplace",
                    g.grid.perElement(t.B() * t.T() * t.nHeads() * (t.hd() / 2)), (tg, id) -> tg.task(id, RopeKernels::backwardInPlace,
                    g.ctx, g.f(t.dinp()), g.f(t.cos()), g.f(t.sin()), t.B(), t.T(), t.nHeads(), t.hd()));
            case Task.RopeBackward t -> g.add("rope_bwd", g.grid.perElement(t.B() * t.T() * t.nHeads() * (t.hd() / 2)),
                    (tg, id) -> tg.task(id, RopeKernels::backward, g.ctx, g.f(t.dinp()), g.f(t.dout()), g.f(t.cos()), g.f(t.sin()), t.B(), t.T(),
                    t.nHeads(), t.hd()));
            case Task.RopeAt t -> g.add("rope_at", g.grid.perElement(t.nTokens() * t.nHeads() * (t.hd() / 2)),
                    (tg, id) -> tg.task(id, RopeKernels::forwardAt, g.ctx, g.f(t.out()), g.f(t.inp()), g.f(t.cos()), g.f(t.sin()), g.i(t.position()),
                    t.nTokens(), t.nHeads(), t.hd()));
            case Task.AttentionForward t -> attentionForward(t, g);
            case Task.AttentionBackward t -> attentionBackward(t, g);
            case Task.CacheWrite t -> g.add("cache_write", g.grid.perElement(t.width()), (tg, id) -> tg.task(id,
                    UtilKernels::cacheWrite, g.ctx, g.f(t.cache()), g.f(t.row()), g.i(t.position()), t.width()));
            case Task.AttentionDecode t -> g.add("attention_decode", g.grid.decodeHeads(t.H()),
                    (tg, id) -> tg.task(id, DecodeKernels::attention, g.ctx, g.f(t.out()), g.f(t.q()), g.f(t.kCache()),
                            g.f(t.vCache()), g.i(t.position()), t.maxT(), t.H(), t.Hkv(), t.hd(), t.scale()));
            case Task.SwiGluForward t -> g.add("swiglu_fwd", g.grid.perElement(t.N() * t.hidden()),
                    (tg, id) -> tg.task(id, SwiGluKernels::forward, g.ctx, g.f(t.out()), g.f(t.gu()), t.N(), t.hidden()));
            case Task.SwiGluBackward t -> g.add("swiglu_bwd", g.grid.perElement(t.N() * t.hidden()),
                    (tg, id) -> tg.task(id, SwiGluKernels::backward, g.ctx, g.f(t.dgu()), g.f(t.dout()), g.f(t.gu()), t.N(), t.hidden()));
            case Task.ResidualAdd t -> g.add("residual", g.grid.perElement(t.n()), (tg, id) -> tg.task(id,
                    ResidualKernels::forward, g.ctx, g.f(t.out()), g.f(t.a()), g.f(t.b()), t.n()));
            case Task.Accumulate t -> g.add("accumulate", g.grid.perElement(t.n()), (tg, id) -> tg.task(id,
                    ResidualKernels::accumulate, g.ctx, g.f(t.dst()), g.f(t.src()), t.n()));
            case Task.Copy t -> g.add("copy", g.grid.perElement(t.n()), (tg, id) -> tg.task(id,
                    UtilKernels::copy, g.ctx, g.f(t.dst()), g.f(t.src()), t.n()));
            case Task.Zero t -> g.add("zero", g.grid.perElement(t.dst().size()), (tg, id) -> tg.task(id,
                    UtilKernels::zero, g.ctx, g.f(t.dst()), t.dst().size()));
            case Task.MixForward t -> MoeLowering.mixForward(t, g);
            case Task.MixBackward t -> MoeLowering.mixBackward(t, g);
            case Task.Summarize t -> summarize(t, g);
            case Task.Moe t -> MoeLowering.lower(t, g);
            case Task.Update t -> OptimizerLowering.lower(t, g);
        }
    }

    /** TornadoVM cannot pass one array as two arguments of a task (its graph compiler hangs): refuse early. */
    private static void checkDistinct(Task task) {
        Set<Buffer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Buffer b : task.buffers()) {
            if (b == null) continue;
            boolean inPlaceKernel = task instanceof Task.CrossEntropyLoss ce && ce.dlogits() == ce.logits()
                    || task instanceof Task.RopeBackward r && r.dinp() == r.dout();
            if (!seen.add(b) && !inPlaceKernel) {
                throw new IllegalStateException("TornadoVM backend: " + task.getClass().getSimpleName() + " uses "
                        + b.name + " twice; a device task needs distinct arrays (give it its own in-place kernel)");
            }
        }
    }

    private static void embeddingForward(Task.EmbeddingForward t, StageGraph g) {
        if (t.scale() == null) {
            g.add("embedding_fwd", g.grid.perElement(t.N() * t.C()),
                    (tg, id) -> tg.task(id, EmbeddingKernels::forward, g.ctx,
                    g.f(t.out()), g.i(t.tokens()), g.f(t.wte()), t.N(), t.C()));
        } else {
            g.add("embedding_fwd_scaled", g.grid.perElement(t.N() * t.C()),
                    (tg, id) -> tg.task(id, EmbeddingKernels::forwardScaled, g.ctx,
                    g.f(t.out()), g.i(t.tokens()), g.f(t.wte()), g.f(t.scale()), t.N(), t.C()));
        }
    }

    private static void embeddingBackward(Task.EmbeddingBackward t, StageGraph g) {
        if (t.scale() == null) {
            g.add("embedding_bwd", g.grid.perElement(t.C()), (tg, id) -> tg.task(id, EmbeddingKernels::backward, g.ctx,
                    g.f(t.dwte()), g.f(t.dout()), g.i(t.tokens()), t.N(), t.C()));
            return;
        }
        g.add("embedding_bwd_scaled", g.grid.perElement(t.C()),
                (tg, id) -> tg.task(id, EmbeddingKernels::backwardScaled, g.ctx,
                g.f(t.dwte()), g.f(t.dout()), g.i(t.tokens()), g.f(t.scale()), t.N(), t.C()));
        int blocks = EmbeddingKernels.blocks(t.N());
        FloatArray partials = g.scratch(blocks);
        g.add("embedding_dscale", g.grid.perElement(blocks),
                (tg, id) -> tg.task(id, EmbeddingKernels::dscalePartials, g.ctx,
                partials, g.f(t.dout()), g.i(t.tokens()), g.f(t.wte()), t.N(), t.C()));
        g.add("embedding_dscale_sum", g.grid.serial(), (tg, id) -> tg.task(id, ColumnSums::addColumns, g.ctx,
                g.f(t.dscale()), partials, 1, blocks));
    }

    private static void crossEntropy(Task.CrossEntropyLoss t, StageGraph g) {
        if (t.dlogits() == null) {
            g.add("cross_entropy", g.grid.crossEntropyRows(t.N()),
                    (tg, id) -> tg.task(id, CrossEntropyKernels::forward, g.ctx,
                    g.f(t.losses()), g.f(t.logits()), g.i(t.targets()), t.V()));
            return;
        }
        FloatArray scale = g.constant(t.dlossScale());
        if (t.dlogits() == t.logits()) {
            g.add("cross_entropy_fb_inplace", g.grid.crossEntropyRows(t.N()), (tg, id) -> tg.task(id,
                    CrossEntropyKernels::forwardBackwardInPlace, g.ctx, g.f(t.losses()), g.f(t.logits()),
                    g.i(t.targets()), scale, t.V()));
        } else {
            g.add("cross_entropy_fb", g.grid.crossEntropyRows(t.N()),
                    (tg, id) -> tg.task(id, CrossEntropyKernels::forwardBackward,
                    g.ctx, g.f(t.losses()), g.f(t.dlogits()), g.f(t.logits()), g.i(t.targets()), scale, t.V()));
        }
    }

    private static void attentionForward(Task.AttentionForward t, StageGraph g) {
        int rows = t.B() * t.H() * t.T();
        g.add("attention_fwd", g.grid.attentionRows(rows), (tg, id) -> tg.task(id,
                AttentionKernels::forward, g.ctx, g.f(t.out()), g.f(t.lse()), g.f(t.q()), g.f(t.k()), g.f(t.v()),
                t.B(), t.T(), t.H(), t.Hkv(), t.hd(), t.scale()));
    }

    private static void attentionBackward(Task.AttentionBackward t, StageGraph g) {
        int rows = t.B() * t.H() * t.T();
        FloatArray dsum = g.scratch(rows);
        g.add("attention_row_dots", g.grid.perElement(rows), (tg, id) -> tg.task(id, AttentionKernels::rowDots, g.ctx,
                dsum, g.f(t.dout()), g.f(t.out()), t.T(), t.H(), t.hd()));
        g.add("attention_bwd_q", g.grid.perElement(rows),
                (tg, id) -> tg.task(id, AttentionKernels::backwardQuery, g.ctx,
                g.f(t.dq()), g.f(t.dout()), g.f(t.q()), g.f(t.k()), g.f(t.v()), g.f(t.lse()), dsum,
                t.T(), t.H(), t.Hkv(), t.hd(), t.scale()));
        g.add("attention_bwd_kv", g.grid.perElement(t.B() * t.Hkv() * t.T()),
                (tg, id) -> tg.task(id, AttentionKernels::backwardKeyValue,
                g.ctx, g.f(t.dk()), g.f(t.dv()), g.f(t.dout()), g.f(t.q()), g.f(t.k()), g.f(t.v()), g.f(t.lse()), dsum,
                t.T(), t.H(), t.Hkv(), t.hd(), t.scale()));
    }

    private static void summarize(Task.Summarize t, StageGraph g) {
        int n = t.N() * t.C();
        switch (t.kind()) {
            case OUTLIER_PERCENT -> {
                FloatArray rowCounts = g.scratch(t.N());
                g.add("outlier_rows", g.grid.outlierRows(t.N()), (tg, id) -> tg.task(id,
                        StatsKernels::outlierRows, g.ctx, rowCounts, g.f(t.x()), t.C()));
                g.add("outlier_finish", g.grid.serial(), (tg, id) -> tg.task(id, StatsKernels::outlierFinish, g.ctx,
                        g.f(t.out()), rowCounts, t.slot(), t.N(), t.C()));
            }
            case MEAN, MEAN_SQUARE, RMS, ADD_SUM_SQUARES -> {
                int kind = switch (t.kind()) {
                    case MEAN -> StatsKernels.MEAN;
                    case MEAN_SQUARE -> StatsKernels.MEAN_SQUARE;
                    case RMS -> StatsKernels.RMS;
                    case ADD_SUM_SQUARES, OUTLIER_PERCENT -> StatsKernels.ADD;
                };
                int squares = kind == StatsKernels.MEAN ? 0 : 1;
                int blocks = StatsKernels.blocks(n);
                FloatArray partials = g.scratch(blocks);
                g.add("stats_partials", g.grid.statsBlocks(n),
                        (tg, id) -> tg.task(id, StatsKernels::sumPartials, g.ctx, partials, g.f(t.x()), n, squares));
                g.add("stats_finish", g.grid.serial(), (tg, id) -> tg.task(id, StatsKernels::finish, g.ctx,
                        g.f(t.out()), partials, t.slot(), blocks, n, kind));
            }
        }
    }
}
