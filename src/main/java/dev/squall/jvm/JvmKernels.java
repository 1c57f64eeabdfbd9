package dev.squall.jvm;

import dev.squall.kernels.*;
import dev.squall.program.Buffer;
import dev.squall.program.Hyper;
import dev.squall.program.Routing;
import dev.squall.program.Task;

/**
 * The JVM backend's half of the seam: each {@link Task} record to its kernel in
 * {@code dev.squall.kernels}. The switches name every record of every family and have no default
 * branch, so a new record without a JVM kernel does not compile.
 */
final class JvmKernels {
    private JvmKernels() {}

    static void run(Task task) {
        switch (task) {
            case Task.Head t -> head(t);
            case Task.Linear t -> linear(t);
            case Task.Norm t -> norm(t);
            case Task.AttentionFamily t -> attentionFamily(t);
            case Task.Elementwise t -> elementwise(t);
            case Task.Moe t -> moe(t);
            case Task.Statistic t -> statistic(t);
            case Task.Update t -> update(t);
        }
    }

    private static void head(Task.Head task) {
        switch (task) {
            case Task.EmbeddingForward t -> {
                if (t.scale() == null) Embedding.forward(t.out().f, t.tokens().i, t.wte().f, t.N(), t.C());
                else Embedding.forwardScaled(t.out().f, t.tokens().i, t.wte().f, t.scale().f, t.N(), t.C());
            }
            case Task.EmbeddingBackward t -> {
                if (t.scale() == null) Embedding.backward(t.dwte().f, t.dout().f, t.tokens().i, t.N(), t.C());
                else Embedding.backwardScaled(t.dwte().f, t.dscale().f, t.dout().f, t.tokens().i, t.wte().f,
                        t.scale().f, t.N(), t.C());
            }
            case Task.CrossEntropyLoss t -> {
                if (t.dlogits() == null) CrossEntropy.forward(t.losses().f, t.logits().f, t.targets().i, t.N(), t.V());
                else CrossEntropy.forwardBackward(t.losses().f, t.dlogits().f, t.logits().f, t.targets().i, t.N(),
                        t.V(), t.dlossScale());
            }
        }
    }

    private static void linear(Task.Linear task) {
        switch (task) {
            case Task.MatmulForward t -> Matmul.forward(t.out().f, t.inp().f, t.weight().f, null, t.N(), t.C(), t.OC());
            case Task.MatmulBackwardInput t -> Matmul.backwardInput(t.dinp().f, t.dout().f, t.weight().f, t.N(),
                    t.C(), t.OC());
            case Task.MatmulBackwardWeight t -> Matmul.backwardWeight(t.dweight().f, null, t.dout().f, t.inp().f,
                    t.N(), t.C(), t.OC());
        }
    }

    private static void norm(Task.Norm task) {
        switch (task) {
            case Task.RmsNormForward t -> RmsNorm.forward(t.out().f, t.rstd().f, t.inp().f, t.weight().f, t.N(),
                    t.C(), t.eps());
            case Task.RmsNormBackward t -> RmsNorm.backward(t.dinp().f, t.dweight().f, t.dout().f, t.inp().f,
                    t.weight().f, t.rstd().f, t.N(), t.C());
            case Task.LayerNormForward t -> LayerNorm.forward(t.out().f, t.mean().f, t.rstd().f, t.inp().f,
                    t.weight().f, f(t.bias()), t.N(), t.C(), t.eps());
            case Task.LayerNormBackward t -> LayerNorm.backward(t.dinp().f, t.dweight().f, f(t.dbias()), t.dout().f,
                    t.inp().f, t.weight().f, t.mean().f, t.rstd().f, t.N(), t.C());
            case Task.DytForward t -> DynamicTanh.forward(t.out().f, t.inp().f, t.alpha().f, t.weight().f,
                    f(t.bias()), t.N(), t.C());
            case Task.DytBackward t -> DynamicTanh.backward(t.dinp().f, t.dalpha().f, t.dweight().f, f(t.dbias()),
                    t.dout().f, t.inp().f, t.alpha().f, t.weight().f, t.N(), t.C());
            case Task.DerfForward t -> DynamicErf.forward(t.out().f, t.inp().f, t.alpha().f, t.shift().f,
                    t.weight().f, f(t.bias()), t.N(), t.C());
            case Task.DerfBackward t -> DynamicErf.backward(t.dinp().f, t.dalpha().f, t.dshift().f, t.dweight().f,
                    f(t.dbias()), t.dout().f, t.inp().f, t.alpha().f, t.shift().f, t.weight().f, t.N(), t.C());
            case Task.HeadRmsNormForward t -> HeadRmsNorm.forward(t.out().f, t.rstd().f, t.inp().f, t.weight().f,
                    t.N(), t.nHeads(), t.hd(), t.eps());
            case Task.HeadRmsNormBackward t -> HeadRmsNorm.backward(t.dinp().f, t.dweight().f, t.dout().f, t.inp().f,
                    t.weight().f, t.rstd().f, t.N(), t.nHeads(), t.hd());
            case Task.BhytStarForward t -> BhytStar.forward(t.out().f, t.meanSq().f, t.inp().f, t.lambda().f,
                    t.weight().f, t.N(), t.C(), t.kappa(), t.eps());
            case Task.BhytStarBackward t -> BhytStar.backward(t.dinp().f, t.dlambda().f, t.dweight().f, t.dout().f,
                    t.inp().f, t.meanSq().f, t.lambda().f, t.weight().f, t.N(), t.C(), t.kappa(), t.eps());
            case Task.BhytSecondForward t -> Bhyt.forwardSecond(t.out().f, t.rho2().f, t.h().f, t.meanSqX().f,
                    t.cAttn().f, t.lambda1().f, t.lambda2().f, t.weight().f, t.N(), t.C(), t.kappa(), t.eps());
            case Task.BhytSecondBackward t -> {
                Bhyt.backwardSecond(t.dh().f, t.dinpCross().f, t.dlambda2().f, t.dweight2().f, t.dout().f, t.h().f,
                        t.inpX().f, t.rho2().f, t.lambda2().f, t.weight2().f, t.N(), t.C(), t.kappa());
            }
            case Task.BhytAttnConstant t -> Bhyt.cAttn(t.cAttn().f, t.wv().f, t.wo().f, t.C(), t.nHeads(),
                    t.nKvHeads(), t.hd(), t.seqLen());
        }
    }

    private static void attentionFamily(Task.AttentionFamily task) {
        switch (task) {
            case Task.RopeForward t -> Rope.forward(t.out().f, t.inp().f, t.cos().f, t.sin().f, t.B(), t.T(),
                    t.nHeads(), t.hd());
            case Task.RopeBackward t -> Rope.backward(t.dinp().f, t.dout().f, t.cos().f, t.sin().f, t.B(), t.T(),
                    t.nHeads(), t.hd());
            case Task.AttentionForward t -> Attention.forward(t.out().f, t.lse().f, t.q().f, t.k().f, t.v().f, t.B(),
                    t.T(), t.H(), t.Hkv(), t.hd(), t.scale());
            case Task.AttentionBackward t -> Attention.backward(t.dq().f, t.dk().f, t.dv().f, t.dout().f, t.q().f,
                    t.k().f, t.v().f, t.out().f, t.lse().f, t.B(), t.T(), t.H(), t.Hkv(), t.hd(), t.scale());
            case Task.RopeAt t -> Rope.forwardAt(t.out().f, t.inp().f, t.cos().f, t.sin().f, t.position().i[0],
                    t.nTokens(), t.nHeads(), t.hd());
            case Task.CacheWrite t -> System.arraycopy(t.row().f, 0, t.cache().f, t.position().i[0] * t.width(),
                    t.width());
            case Task.AttentionDecode t -> Attention.decode(t.out().f, t.q().f, t.kCache().f, t.vCache().f,
                    t.position().i[0], 1, t.maxT(), t.H(), t.Hkv(), t.hd(), t.scale());
        }
    }

    private static void elementwise(Task.Elementwise task) {
        switch (task) {
            case Task.SwiGluForward t -> SwiGlu.forward(t.out().f, t.gu().f, t.N(), t.hidden());
            case Task.SwiGluBackward t -> SwiGlu.backward(t.dgu().f, t.dout().f, t.gu().f, t.N(), t.hidden());
            case Task.ResidualAdd t -> Residual.forward(t.out().f, t.a().f, t.b().f, t.n());
            case Task.Accumulate t -> Residual.accumulate(t.dst().f, t.src().f, t.n());
            case Task.Copy t -> System.arraycopy(t.src().f, 0, t.dst().f, 0, t.n());
            case Task.Zero t -> java.util.Arrays.fill(t.dst().f, 0f);
            case Task.MixForward t -> Mix.forward(t.out().f, t.a().f, t.b().f, t.alpha(), t.beta(), t.n());
            case Task.MixBackward t -> Mix.backward(f(t.da()), f(t.db()), t.dout().f, t.alpha(), t.beta(), t.n());
        }
    }

    private static void moe(Task.Moe task) {
        switch (task) {
            case Task.RouterForward t -> Router.forward(t.expertIdx().i, t.gates().f, t.weights().f, t.probs().f,
                    t.lse().f, t.logits().f, t.N(), t.E(), t.K(), code(t.kind()));
            case Task.RouterBackward t -> Router.backward(t.dlogits().f, t.dweights().f, t.gates().f, t.weights().f,
                    t.probs().f, t.expertIdx().i, t.N(), t.E(), t.K(), code(t.kind()));
            case Task.RouterCounts t -> RouterLosses.counts(t.counts().f, t.expertIdx().i, t.N(), t.K(), t.E());
            case Task.BalanceLossForward t -> RouterLosses.balanceForward(t.out().f, t.slot(), t.probs().f,
                    t.counts().f, t.N(), t.E(), t.K(), t.gamma());
            case Task.BalanceLossBackward t -> RouterLosses.balanceBackward(t.dlogits().f, t.probs().f, t.counts().f,
                    t.N(), t.E(), t.K(), t.gamma(), t.scale());
            case Task.ZLossForward t -> RouterLosses.zForward(t.out().f, t.slot(), t.lse().f, t.N(), t.beta());
            case Task.ZLossBackward t -> RouterLosses.zBackward(t.dlogits().f, t.probs().f, t.lse().f, t.N(), t.E(),
                    t.beta(), t.scale());
            case Task.LoadImbalance t -> RouterLosses.loadImbalance(t.out().f, t.slot(), t.counts().f, t.E());
            case Task.MoePlan t -> MoeDispatch.plan(t.rowSlot().i, t.slotRow().i, t.offsets().i, t.expertIdx().i,
                    t.N(), t.K(), t.E());
            case Task.MoeGather t -> MoeDispatch.gather(t.xs().f, t.x().f, t.rowSlot().i, t.N(), t.K(), t.C());
            case Task.MoeGatherBackward t -> MoeDispatch.gatherBackward(t.dx().f, t.dxs().f, t.slotRow().i, t.N(),
                    t.K(), t.C());
            case Task.MoeCombine t -> MoeDispatch.combine(t.y().f, t.ys().f, t.weights().f, t.slotRow().i, t.N(),
                    t.K(), t.C());
            case Task.MoeCombineBackward t -> MoeDispatch.combineBackward(t.dys().f, t.dweights().f, t.dy().f,
                    t.ys().f, t.weights().f, t.slotRow().i, t.N(), t.K(), t.C());
            case Task.GroupedMatmulForward t -> GroupedMatmul.forward(t.out().f, t.inp().f, t.weight().f,
                    t.offsets().i, t.R(), t.C(), t.OC(), t.E());
            case Task.GroupedMatmulBackwardInput t -> GroupedMatmul.backwardInput(t.dinp().f, t.dout().f,
                    t.weight().f, t.offsets().i, t.R(), t.C(), t.OC(), t.E());
            case Task.GroupedMatmulBackwardWeight t -> GroupedMatmul.backwardWeight(t.dweight().f, t.dout().f,
                    t.inp().f, t.offsets().i, t.R(), t.C(), t.OC(), t.E());
        }
    }

    private static void statistic(Task.Statistic task) {
        switch (task) {
            case Task.Summarize t -> {
                switch (t.kind()) {
                case MEAN -> Stats.mean(t.out().f, t.slot(), t.x().f, t.N() * t.C());
                case MEAN_SQUARE -> Stats.meanSquare(t.out().f, t.slot(), t.x().f, t.N() * t.C());
                case RMS -> Stats.rms(t.out().f, t.slot(), t.x().f, t.N() * t.C());
                case OUTLIER_PERCENT -> Stats.outlierPercent(t.out().f, t.slot(), t.x().f, t.N(), t.C());
                case ADD_SUM_SQUARES -> Stats.addSumSquares(t.out().f, t.slot(), t.x().f, t.N() * t.C());
                }
            }
        }
    }

    private static void update(Task.Update task) {
        switch (task) {
            case Task.ClipScale t -> {
                float norm = (float) Math.sqrt(t.gradSq().f[0]);
                float scale = t.maxNorm() > 0 && norm > t.maxNorm() ? t.maxNorm() / norm : 1f;
                for (Buffer h : t.hypers()) h.f[Hyper.GRAD_SCALE] = scale;
            }
            case Task.AdamWUpdate t -> AdamW.update(t.param().f, t.grad().f, t.m().f, t.v().f, t.hyper().f,
                    t.param().size());
            case Task.MuonMomentum t -> Muon.momentum(t.update().f, t.momentum().f, t.grad().f, t.hyper().f, t.n());
            case Task.NewtonSchulzOrthogonalize t -> NewtonSchulz.orthogonalize(t.out().f, t.g().f, t.x().f,
                    t.gram().f, t.gramSquared().f, t.next().f, t.slices(), t.rows(), t.cols());
            case Task.MuonUpdate t -> Muon.update(t.param().f, t.ortho().f, t.hyper().f, t.n(), t.shapeFactor());
            case Task.SphereDecay t -> Sphere.decay(t.param().f, t.hyper().f, t.n());
            case Task.SphereSumSquares t -> Sphere.sumSquares(t.norms().f, t.slot(), t.x().f, t.n());
            case Task.SphereStep t -> Sphere.step(t.param().f, t.direction().f, t.norms().f, t.hyper().f, t.n());
            case Task.SphereRetract t -> Sphere.retract(t.param().f, t.norms().f, t.n());
            case Task.SphereAdamDirection t -> Sphere.adamDirection(t.direction().f, t.m().f, t.v().f, t.grad().f,
                    t.hyper().f, t.n());
        }
    }

    /** The {@link Router} kernel's constant for a routing rule. */
    private static int code(Routing kind) {
        return switch (kind) {
            case SOFTMAX_TOPK -> Router.SOFTMAX_TOPK;
            case TOPK_SOFTMAX -> Router.TOPK_SOFTMAX;
            case SQRTGATE -> Router.SQRTGATE;
        };
    }

    private static float[] f(Buffer b) { return b == null ? null : b.f; }
}
