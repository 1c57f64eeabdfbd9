package dev.squall.tornado.backend;

import dev.squall.program.Buffer;
import dev.squall.program.Task;
import dev.squall.tornado.kernels.AdamWKernels;
import dev.squall.tornado.kernels.MuonKernels;
import dev.squall.tornado.kernels.NewtonSchulzKernels;
import dev.squall.tornado.kernels.SphereKernels;
import dev.squall.tornado.kernels.UtilKernels;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Lowering of the Muon, Newton–Schulz and Frobenius-sphere records (SPEC §6.1-§6.4); false for any
 * other record. Elementwise records are one task over the tensor; a squared norm is per-block
 * partials then an ordered sum into its slot of the norms array; NS5 is, per slice of a stack, the
 * slice's inverse norm (two tasks), the load (transposed when tall), five Gram / polynomial /
 * iterate steps ping-ponging between the record's x and next scratch, and the store.
 */
final class OptimizerLowering {
    private OptimizerLowering() {}

    static void lower(Task.Update task, StageGraph g) {
        switch (task) {
            case Task.ClipScale t -> {
                for (Buffer h : t.hypers()) {
                    g.add("clip_scale", g.grid.serial(), (tg, id) -> tg.task(id,
                            UtilKernels::clipScale, g.ctx, g.f(h), g.f(t.gradSq()), t.maxNorm()));
                }
            }
            case Task.AdamWUpdate t -> g.add("adamw", g.grid.perElement(t.param().size()), (tg, id) -> tg.task(id,
                    AdamWKernels::update, g.ctx, g.f(t.param()), g.f(t.grad()), g.f(t.m()), g.f(t.v()), g.f(t.hyper()),
                    t.param().size()));
            case Task.MuonMomentum t -> g.add("muon_momentum", g.grid.perElement(t.n()), (tg, id) -> tg.task(id,
                    MuonKernels::momentum, g.ctx, g.f(t.update()), g.f(t.momentum()), g.f(t.grad()), g.f(t.hyper()), t.n()));
            case Task.MuonUpdate t -> g.add("muon_update", g.grid.perElement(t.n()), (tg, id) -> tg.task(id,
                    MuonKernels::update, g.ctx, g.f(t.param()), g.f(t.ortho()), g.f(t.hyper()), t.n(), t.shapeFactor()));
            case Task.NewtonSchulzOrthogonalize t -> newtonSchulz(t, g);
            case Task.SphereDecay t -> g.add("sphere_decay", g.grid.perElement(t.n()), (tg, id) -> tg.task(id,
                    SphereKernels::decay, g.ctx, g.f(t.param()), g.f(t.hyper()), t.n()));
            case Task.SphereSumSquares t -> {
                int blocks = SphereKernels.blocks(t.n());
                FloatArray partials = g.scratch(blocks);
                g.add("sphere_sumsq", g.grid.perElement(blocks), (tg, id) -> tg.task(id,
                        SphereKernels::sumSquaresPartials, g.ctx, partials, g.f(t.x()), 0, t.n()));
                g.add("sphere_sumsq_into", g.grid.serial(), (tg, id) -> tg.task(id,
                        SphereKernels::sumSquaresInto, g.ctx, g.f(t.norms()), partials, t.slot(), blocks));
            }
            case Task.SphereStep t -> g.add("sphere_step", g.grid.perElement(t.n()), (tg, id) -> tg.task(id,
                    SphereKernels::stepAlong, g.ctx, g.f(t.param()), g.f(t.direction()), g.f(t.norms()), g.f(t.hyper()), t.n()));
            case Task.SphereRetract t -> g.add("sphere_retract", g.grid.perElement(t.n()), (tg, id) -> tg.task(id,
                    SphereKernels::retract, g.ctx, g.f(t.param()), g.f(t.norms()), t.n()));
            case Task.SphereAdamDirection t -> g.add("sphere_adam_direction", g.grid.perElement(t.n()),
                    (tg, id) -> tg.task(id, SphereKernels::adamDirection, g.ctx, g.f(t.direction()), g.f(t.m()), g.f(t.v()), g.f(t.grad()),
                    g.f(t.hyper()), t.n()));
        }
    }

    private static void newtonSchulz(Task.NewtonSchulzOrthogonalize t, StageGraph g) {
        int rows = t.rows(), cols = t.cols(), size = rows * cols;
        int r = Math.min(rows, cols), c = Math.max(rows, cols), tall = rows > cols ? 1 : 0;
        int blocks = SphereKernels.blocks(size);
        FloatArray partials = g.scratch(blocks), scale = g.scratch(1);
        Buffer[] iterates = {t.x(), t.next()};
        for (int s = 0; s < t.slices(); s++) {
            int base = s * size;
            g.add("ns_sumsq", g.grid.perElement(blocks), (tg, id) -> tg.task(id,
                    SphereKernels::sumSquaresPartials, g.ctx, partials, g.f(t.g()), base, size));
            g.add("ns_inverse_norm", g.grid.serial(), (tg, id) -> tg.task(id,
                    NewtonSchulzKernels::inverseNorm, g.ctx, scale, partials, blocks));
            g.add("ns_load", g.grid.perElement(size), (tg, id) -> tg.task(id,
                    NewtonSchulzKernels::load, g.ctx, g.f(t.x()), g.f(t.g()), scale, base, rows, cols, tall));
            int k = 0;
            for (float[] abc : NewtonSchulzKernels.COEFFICIENTS) {
                Buffer x = iterates[k % 2], xNext = iterates[(k + 1) % 2];
                float a = abc[0], b = abc[1], cc = abc[2];
                g.add("ns_gram", g.grid.perElement(r * r), (tg, id) -> tg.task(id,
                        NewtonSchulzKernels::gram, g.ctx, g.f(t.gram()), g.f(x), r, c));
                g.add("ns_poly", g.grid.perElement(r * r), (tg, id) -> tg.task(id,
                        NewtonSchulzKernels::gramPolynomial, g.ctx, g.f(t.gramSquared()), g.f(t.gram()), r, b, cc));
                g.add("ns_iterate", g.grid.perElement(r * c), (tg, id) -> tg.task(id,
                        NewtonSchulzKernels::iterate, g.ctx, g.f(xNext), g.f(t.gramSquared()), g.f(x), r, c, a));
                k++;
            }
            Buffer last = iterates[k % 2];
            g.add("ns_store", g.grid.perElement(size), (tg, id) -> tg.task(id,
                    NewtonSchulzKernels::store, g.ctx, g.f(t.out()), g.f(last), base, rows, cols, tall));
        }
    }
}
