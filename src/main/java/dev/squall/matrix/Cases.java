package dev.squall.matrix;

import static dev.squall.matrix.Fixture.d;
import static dev.squall.matrix.Fixture.fill;

import dev.squall.program.Buffer;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Hyper;
import dev.squall.program.Routing;
import dev.squall.program.Stage;
import dev.squall.program.Task;
import dev.squall.program.Task.Summary;
import dev.squall.reference.*;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every kernel family of {@link Task}, at a {@link Shape}. The default is one small odd shape close
 * to a real model's: N = 2 x 61 tokens of width C = 96; attention B = 2, T = 61, H = 4, Hkv = 2,
 * hd = 24; vocabulary 256, SwiGLU hidden 250; MoE E = 7 experts, top-2, expert width 61 (experts 0, 3 and 6
 * empty where the dispatch is given); Muon and the sphere on (C, T), (T, C) and (V, C) matrices and
 * a (3, 40, 24) stack; so no size is a multiple of a vector width or work-group size. {@link #ODD}
 * adds smaller and larger odd shapes (1, 3, 7, 13, 65 ...).
 *
 * <p>Backward rows take their saved activations (rstd, lse, ...) from the double reference rounded
 * to float, so a backward is judged on its own, whatever the forward on that device did.
 */
public final class Cases {
    /**
     * The sizes every case is built at: batch B and sequence T (N = B T tokens), width C, attention
     * heads H over Hkv key/value heads of size hd (even: RoPE rotates pairs), vocabulary V, SwiGLU
     * hidden size, a linear layer's outputs OC, and each expert's outputs.
     */
    public record Shape(String name, int B, int T, int C, int H, int Hkv, int hd, int V, int hidden, int OC, int expertOC) {
        @Override public String toString() { return name; }
    }

    /** The portability matrix's shape (the table in bench/RESULTS.md). */
    public static final Shape DEFAULT = new Shape("default", 2, 61, 96, 4, 2, 24, 256, 250, 500, 61);

    /**
     * Odd shapes beside the default: the smallest that every kernel must survive (one token of
     * width 3: rows of one element, a single key), small primes, and sizes just past a power of two
     * (65, 129), none a multiple of a vector or work-group width.
     */
    public static final List<Shape> ODD = List.of(
            new Shape("B1 T1 C3", 1, 1, 3, 1, 1, 2, 7, 3, 5, 1),
            new Shape("B1 T7 C13", 1, 7, 13, 3, 1, 6, 61, 13, 7, 3),
            new Shape("B3 T13 C65", 3, 13, 65, 6, 3, 10, 129, 65, 31, 13));

    final int B, T, N, C, H, HKV, HD, V, HIDDEN, OC, R, EXPERT_OC;

    Cases(Shape s) {
        B = s.B();
        T = s.T();
        N = B * T;
        C = s.C();
        H = s.H();
        HKV = s.Hkv();
        HD = s.hd();
        V = s.V();
        HIDDEN = s.hidden();
        OC = s.OC();
        R = N * K;
        EXPERT_OC = s.expertOC();
    }
    static final float EPS = 1e-5f, KAPPA = 10f;
    static final double ROPE_BASE = 10000;

    // Tolerances with their reasons, shared by the rows they fit.
    static final double EXACT = 0;
    static final String WHY_EXACT = "a copy or gather: the bits must match";
    static final double ROUNDING = 1e-6;
    static final String WHY_ROUNDING = "one or two float roundings per element";
    static final double POINTWISE = 1e-5;
    static final String WHY_POINTWISE = "per-element float math with exp/tanh/erf: a few ulps";
    static final double ROW = 1e-4;
    static final String WHY_ROW = "each element depends on a float dot product or row statistic over a row or head";
    static final double SUM = 1e-4;
    static final String WHY_ROTATION = "a 2x2 rotation per pair: a difference of two products can cancel";
    static final String WHY_SUM = "summed over all tokens (and heads): rounding grows with the number of terms";

    /** Every case at the default shape. */
    public static List<KernelCase> all() {
        return all(DEFAULT);
    }

    /** Every case at {@code shape}. */
    public static List<KernelCase> all(Shape shape) {
        return new Cases(shape).cases();
    }

    private List<KernelCase> cases() {
        return List.of(
                new KernelCase("embedding", this::embedding),
                new KernelCase("cross_entropy", this::crossEntropy),
                new KernelCase("matmul", this::matmul),
                new KernelCase("rmsnorm", this::rmsNorm),
                new KernelCase("layernorm", this::layerNorm),
                new KernelCase("dyt", this::dyt),
                new KernelCase("derf", this::derf),
                new KernelCase("head_rmsnorm", this::headRmsNorm),
                new KernelCase("bhyt_star", this::bhytStar),
                new KernelCase("bhyt_second", this::bhytSecond),
                new KernelCase("bhyt_cattn", this::bhytCAttn),
                new KernelCase("rope", this::rope),
                new KernelCase("attention", this::attention),
                new KernelCase("attention_decode", this::attentionDecode),
                new KernelCase("swiglu", this::swiGlu),
                new KernelCase("residual", this::residual),
                new KernelCase("summarize", this::summarize),
                new KernelCase("clip_scale", this::clipScale),
                new KernelCase("adamw", this::adamW),
                new KernelCase("router", this::router),
                new KernelCase("router_losses", this::routerLosses),
                new KernelCase("moe_dispatch", this::moeDispatch),
                new KernelCase("grouped_matmul", this::groupedMatmul),
                new KernelCase("mix", this::mix),
                new KernelCase("muon", this::muon),
                new KernelCase("newton_schulz", this::newtonSchulz),
                new KernelCase("sphere_step", this::sphereStep),
                new KernelCase("sphere_adam", this::sphereAdam));
    }

    // ---- embedding and head -----------------------------------------------------------------------

    List<Probe> embedding(Fixture f) {
        Buffer tokens = f.ids("tokens", Math.max(1, V / 4), N); // a quarter of the ids: repeats, so the scatter-add collides
        tokens.i[0] = V - 1; // and the table's last row, where an off-by-one in the row offset would read past it
        Buffer wte = f.random("wte", Role.PARAM, -1, 1, V, C);
        Buffer scale = f.scalar("scale", Role.PARAM, Math.sqrt(C));
        Buffer out = f.written("out", Role.ACTIVATION, N, C), outScaled = f.written("out_scaled", Role.ACTIVATION, N, C);
        Stage fwd = f.forward("embedding.fwd", new Task.EmbeddingForward(out, tokens, wte, null, N, C),
                new Task.EmbeddingForward(outScaled, tokens, wte, scale, N, C));
        double[] rOut = new double[N * C], rOutScaled = new double[N * C];
        EmbeddingRef.forward(rOut, tokens.i, d(wte), N, C);
        EmbeddingRef.forwardScaled(rOutScaled, tokens.i, d(wte), d(scale), N, C);

        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, C);
        Buffer dwte = f.random("wte.grad", Role.GRAD, -1, 1, V, C), dwteScaled = f.random("wte_scaled.grad", Role.GRAD, -1, 1, V, C);
        Buffer dscale = f.random("scale.grad", Role.GRAD, -1, 1, 1);
        double[] rDwte = d(dwte), rDwteScaled = d(dwteScaled), rDscale = d(dscale);
        Stage bwd = f.backward("embedding.bwd", new Task.EmbeddingBackward(dwte, null, dout, tokens, wte, null, N, C),
                new Task.EmbeddingBackward(dwteScaled, dscale, dout, tokens, wte, scale, N, C));
        EmbeddingRef.backward(rDwte, d(dout), tokens.i, N, C);
        EmbeddingRef.backwardScaled(rDwteScaled, rDscale, d(dout), tokens.i, d(wte), d(scale), N, C);
        return List.of(
                new Probe("embedding.fwd", fwd, List.of(Expect.elementwise(out, rOut, EXACT, WHY_EXACT),
                        Expect.elementwise(outScaled, rOutScaled, ROUNDING, "a gather times one scalar: one rounding"))),
                new Probe("embedding.bwd", bwd, List.of(
                        Expect.normRelative(dwte, rDwte, SUM, "scatter-add of repeated ids into an accumulated gradient"),
                        Expect.normRelative(dwteScaled, rDwteScaled, SUM, "scatter-add of repeated ids into an accumulated gradient"),
                        Expect.normRelative(dscale, rDscale, SUM, "a sum over all N x C elements"))));
    }

    List<Probe> crossEntropy(Fixture f) {
        // Logits up to +-12, as a confident model's: most of a row's probabilities are tiny beside its largest.
        Buffer logits = f.random("logits", Role.ACTIVATION, -12, 12, N, V);
        Buffer targets = f.ids("targets", V, N);
        if (N > 1) targets.i[Math.min(5, N - 1)] = -1; // an ignored position: loss 0 and zero gradient
        float dlossScale = 1f / N;
        Buffer evalLosses = f.written("eval_losses", Role.OUTPUT, N);
        Stage eval = f.forward("cross_entropy.eval", new Task.CrossEntropyLoss(evalLosses, null, logits, targets, N, V, 0f));
        Buffer losses = f.written("losses", Role.OUTPUT, N), dlogits = f.written("logits.grad", Role.GRAD, N, V);
        // Training writes the gradient over the logits (dlogits == logits), a kernel of its own on a device.
        Buffer inPlace = fill(f.written("logits_in_place", Role.ACTIVATION, N, V), d(logits));
        Buffer inPlaceLosses = f.written("losses_in_place", Role.OUTPUT, N);
        Stage train = f.backward("cross_entropy.train",
                new Task.CrossEntropyLoss(losses, dlogits, logits, targets, N, V, dlossScale),
                new Task.CrossEntropyLoss(inPlaceLosses, inPlace, inPlace, targets, N, V, dlossScale));
        double[] rLosses = new double[N], rDlogits = new double[N * V];
        CrossEntropyRef.forwardBackward(rLosses, rDlogits, d(logits), targets.i, N, V, dlossScale);
        String why = "logsumexp over " + V + " logits per row, then one exp per element";
        return List.of(
                new Probe("cross_entropy.eval", eval, List.of(Expect.elementwise(evalLosses, rLosses, ROW, why))),
                new Probe("cross_entropy.train", train, List.of(Expect.elementwise(losses, rLosses, ROW, why),
                        Expect.elementwise(dlogits, rDlogits, ROW, why),
                        Expect.elementwise(inPlaceLosses, rLosses, ROW, why),
                        Expect.elementwise(inPlace, rDlogits, ROW, why + " (written over the logits)"))));
    }

    // ---- linear layers ----------------------------------------------------------------------------

    List<Probe> matmul(Fixture f) {
        Buffer inp = f.random("inp", Role.ACTIVATION, -1, 1, N, C);
        Buffer w = f.random("w", Role.PARAM, -0.2, 0.2, OC, C);
        Buffer out = f.written("out", Role.ACTIVATION, N, OC);
        Stage fwd = f.forward("matmul.fwd", new Task.MatmulForward(out, inp, w, N, C, OC));
        double[] rOut = new double[N * OC];
        MatmulRef.forward(rOut, d(inp), d(w), null, N, C, OC);

        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, OC);
        Buffer dinp = f.written("inp.grad", Role.GRAD, N, C), dw = f.random("w.grad", Role.GRAD, -1, 1, OC, C);
        Stage bwd = f.backward("matmul.bwd", new Task.MatmulBackwardInput(dinp, dout, w, N, C, OC),
                new Task.MatmulBackwardWeight(dw, dout, inp, N, C, OC));
        double[] rDinp = new double[N * C], rDw = d(dw);
        MatmulRef.backwardInput(rDinp, d(dout), d(w), N, C, OC);
        MatmulRef.backwardWeight(rDw, null, d(dout), d(inp), N, C, OC);
        return List.of(
                new Probe("matmul.fwd", fwd, List.of(Expect.elementwise(out, rOut, ROW, "dot products over C = " + C))),
                new Probe("matmul.bwd", bwd, List.of(Expect.elementwise(dinp, rDinp, ROW, "dot products over OC = 500"),
                        Expect.normRelative(dw, rDw, SUM, "sums over N = 122 tokens into an accumulated gradient"))));
    }

    // ---- norms ------------------------------------------------------------------------------------

    List<Probe> rmsNorm(Fixture f) {
        Buffer inp = f.random("inp", Role.ACTIVATION, -2, 2, N, C), w = f.random("w", Role.PARAM, 0.5, 1.5, C);
        Buffer out = f.written("out", Role.ACTIVATION, N, C), rstd = f.written("rstd", Role.ACTIVATION, N);
        Stage fwd = f.forward("rmsnorm.fwd", new Task.RmsNormForward(out, rstd, inp, w, N, C, EPS));
        double[] rOut = new double[N * C], rRstd = new double[N];
        RmsNormRef.forward(rOut, rRstd, d(inp), d(w), N, C, EPS);

        Buffer savedRstd = fill(f.written("rstd.saved", Role.ACTIVATION, N), rRstd);
        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, C), dinp = f.written("inp.grad", Role.GRAD, N, C);
        Buffer dw = f.random("w.grad", Role.GRAD, -1, 1, C);
        Stage bwd = f.backward("rmsnorm.bwd", new Task.RmsNormBackward(dinp, dw, dout, inp, w, savedRstd, N, C));
        double[] rDinp = new double[N * C], rDw = d(dw);
        RmsNormRef.backward(rDinp, rDw, d(dout), d(inp), d(w), d(savedRstd), N, C);
        return List.of(
                new Probe("rmsnorm.fwd", fwd, List.of(Expect.elementwise(out, rOut, ROW, WHY_ROW),
                        Expect.elementwise(rstd, rRstd, ROW, WHY_ROW))),
                new Probe("rmsnorm.bwd", bwd, List.of(Expect.elementwise(dinp, rDinp, ROW, WHY_ROW),
                        Expect.normRelative(dw, rDw, SUM, WHY_SUM))));
    }

    List<Probe> layerNorm(Fixture f) {
        // Off-centre by 3, as a residual stream drifts: a one-pass variance (E[x²] - mean²) would lose digits to cancellation.
        Buffer inp = f.random("inp", Role.ACTIVATION, -0.5, 6.5, N, C);
        Buffer w = f.random("w", Role.PARAM, 0.5, 1.5, C), bias = f.random("b", Role.PARAM, -0.5, 0.5, C);
        Buffer out = f.written("out", Role.ACTIVATION, N, C), mean = f.written("mean", Role.ACTIVATION, N);
        Buffer rstd = f.written("rstd", Role.ACTIVATION, N);
        Buffer outNb = f.written("out_nobias", Role.ACTIVATION, N, C), meanNb = f.written("mean_nobias", Role.ACTIVATION, N);
        Buffer rstdNb = f.written("rstd_nobias", Role.ACTIVATION, N);
        Stage fwd = f.forward("layernorm.fwd", new Task.LayerNormForward(out, mean, rstd, inp, w, bias, N, C, EPS),
                new Task.LayerNormForward(outNb, meanNb, rstdNb, inp, w, null, N, C, EPS));
        double[] rOut = new double[N * C], rMean = new double[N], rRstd = new double[N], rOutNb = new double[N * C];
        LayerNormRef.forward(rOut, rMean, rRstd, d(inp), d(w), d(bias), N, C, EPS);
        LayerNormRef.forward(rOutNb, new double[N], new double[N], d(inp), d(w), null, N, C, EPS);

        Buffer sMean = fill(f.written("mean.saved", Role.ACTIVATION, N), rMean);
        Buffer sRstd = fill(f.written("rstd.saved", Role.ACTIVATION, N), rRstd);
        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, C);
        Buffer dinp = f.written("inp.grad", Role.GRAD, N, C), dinpNb = f.written("inp_nobias.grad", Role.GRAD, N, C);
        Buffer dw = f.random("w.grad", Role.GRAD, -1, 1, C), db = f.random("b.grad", Role.GRAD, -1, 1, C);
        Buffer dwNb = f.random("w_nobias.grad", Role.GRAD, -1, 1, C);
        Stage bwd = f.backward("layernorm.bwd",
                new Task.LayerNormBackward(dinp, dw, db, dout, inp, w, sMean, sRstd, N, C),
                new Task.LayerNormBackward(dinpNb, dwNb, null, dout, inp, w, sMean, sRstd, N, C));
        double[] rDinp = new double[N * C], rDw = d(dw), rDb = d(db), rDinpNb = new double[N * C], rDwNb = d(dwNb);
        LayerNormRef.backward(rDinp, rDw, rDb, d(dout), d(inp), d(w), d(sMean), d(sRstd), N, C);
        LayerNormRef.backward(rDinpNb, rDwNb, null, d(dout), d(inp), d(w), d(sMean), d(sRstd), N, C);
        return List.of(
                new Probe("layernorm.fwd", fwd, List.of(Expect.elementwise(out, rOut, ROW, WHY_ROW),
                        Expect.elementwise(mean, rMean, ROW, WHY_ROW), Expect.elementwise(rstd, rRstd, ROW, WHY_ROW),
                        Expect.elementwise(outNb, rOutNb, ROW, WHY_ROW))),
                new Probe("layernorm.bwd", bwd, List.of(Expect.elementwise(dinp, rDinp, ROW, WHY_ROW),
                        Expect.normRelative(dw, rDw, SUM, WHY_SUM), Expect.normRelative(db, rDb, SUM, WHY_SUM),
                        Expect.elementwise(dinpNb, rDinpNb, ROW, WHY_ROW), Expect.normRelative(dwNb, rDwNb, SUM, WHY_SUM))));
    }

    List<Probe> dyt(Fixture f) {
        Buffer inp = f.random("inp", Role.ACTIVATION, -3, 3, N, C), alpha = f.scalar("alpha", Role.PARAM, 0.7);
        Buffer w = f.random("w", Role.PARAM, 0.5, 1.5, C), bias = f.random("b", Role.PARAM, -0.5, 0.5, C);
        Buffer out = f.written("out", Role.ACTIVATION, N, C), outNb = f.written("out_nobias", Role.ACTIVATION, N, C);
        Stage fwd = f.forward("dyt.fwd", new Task.DytForward(out, inp, alpha, w, bias, N, C),
                new Task.DytForward(outNb, inp, alpha, w, null, N, C));
        double[] rOut = new double[N * C], rOutNb = new double[N * C];
        DynamicTanhRef.forward(rOut, d(inp), d(alpha), d(w), d(bias), N, C);
        DynamicTanhRef.forward(rOutNb, d(inp), d(alpha), d(w), null, N, C);

        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, C);
        Buffer dinp = f.written("inp.grad", Role.GRAD, N, C), dinpNb = f.written("inp_nobias.grad", Role.GRAD, N, C);
        Buffer dalpha = f.random("alpha.grad", Role.GRAD, -1, 1, 1), dalphaNb = f.random("alpha_nobias.grad", Role.GRAD, -1, 1, 1);
        Buffer dw = f.random("w.grad", Role.GRAD, -1, 1, C), db = f.random("b.grad", Role.GRAD, -1, 1, C);
        Buffer dwNb = f.random("w_nobias.grad", Role.GRAD, -1, 1, C);
        Stage bwd = f.backward("dyt.bwd", new Task.DytBackward(dinp, dalpha, dw, db, dout, inp, alpha, w, N, C),
                new Task.DytBackward(dinpNb, dalphaNb, dwNb, null, dout, inp, alpha, w, N, C));
        double[] rDinp = new double[N * C], rDa = d(dalpha), rDw = d(dw), rDb = d(db);
        double[] rDinpNb = new double[N * C], rDaNb = d(dalphaNb), rDwNb = d(dwNb);
        DynamicTanhRef.backward(rDinp, rDa, rDw, rDb, d(dout), d(inp), d(alpha), d(w), N, C);
        DynamicTanhRef.backward(rDinpNb, rDaNb, rDwNb, null, d(dout), d(inp), d(alpha), d(w), N, C);
        return List.of(
                new Probe("dyt.fwd", fwd, List.of(Expect.elementwise(out, rOut, POINTWISE, WHY_POINTWISE),
                        Expect.elementwise(outNb, rOutNb, POINTWISE, WHY_POINTWISE))),
                new Probe("dyt.bwd", bwd, List.of(Expect.elementwise(dinp, rDinp, POINTWISE, WHY_POINTWISE),
                        Expect.normRelative(dalpha, rDa, SUM, WHY_SUM), Expect.normRelative(dw, rDw, SUM, WHY_SUM),
                        Expect.normRelative(db, rDb, SUM, WHY_SUM),
                        Expect.elementwise(dinpNb, rDinpNb, POINTWISE, WHY_POINTWISE),
                        Expect.normRelative(dalphaNb, rDaNb, SUM, WHY_SUM), Expect.normRelative(dwNb, rDwNb, SUM, WHY_SUM))));
    }

    List<Probe> derf(Fixture f) {
        Buffer inp = f.random("inp", Role.ACTIVATION, -3, 3, N, C);
        Buffer alpha = f.scalar("alpha", Role.PARAM, 0.7), shift = f.scalar("shift", Role.PARAM, 0.1);
        Buffer w = f.random("w", Role.PARAM, 0.5, 1.5, C), bias = f.random("b", Role.PARAM, -0.5, 0.5, C);
        Buffer out = f.written("out", Role.ACTIVATION, N, C), outNb = f.written("out_nobias", Role.ACTIVATION, N, C);
        Stage fwd = f.forward("derf.fwd", new Task.DerfForward(out, inp, alpha, shift, w, bias, N, C),
                new Task.DerfForward(outNb, inp, alpha, shift, w, null, N, C));
        double[] rOut = new double[N * C], rOutNb = new double[N * C];
        DynamicErfRef.forward(rOut, d(inp), d(alpha), d(shift), d(w), d(bias), N, C);
        DynamicErfRef.forward(rOutNb, d(inp), d(alpha), d(shift), d(w), null, N, C);

        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, C);
        Buffer dinp = f.written("inp.grad", Role.GRAD, N, C), dinpNb = f.written("inp_nobias.grad", Role.GRAD, N, C);
        Buffer da = f.random("alpha.grad", Role.GRAD, -1, 1, 1), ds = f.random("shift.grad", Role.GRAD, -1, 1, 1);
        Buffer daNb = f.random("alpha_nobias.grad", Role.GRAD, -1, 1, 1), dsNb = f.random("shift_nobias.grad", Role.GRAD, -1, 1, 1);
        Buffer dw = f.random("w.grad", Role.GRAD, -1, 1, C), db = f.random("b.grad", Role.GRAD, -1, 1, C);
        Buffer dwNb = f.random("w_nobias.grad", Role.GRAD, -1, 1, C);
        Stage bwd = f.backward("derf.bwd",
                new Task.DerfBackward(dinp, da, ds, dw, db, dout, inp, alpha, shift, w, N, C),
                new Task.DerfBackward(dinpNb, daNb, dsNb, dwNb, null, dout, inp, alpha, shift, w, N, C));
        double[] rDinp = new double[N * C], rDa = d(da), rDs = d(ds), rDw = d(dw), rDb = d(db);
        double[] rDinpNb = new double[N * C], rDaNb = d(daNb), rDsNb = d(dsNb), rDwNb = d(dwNb);
        DynamicErfRef.backward(rDinp, rDa, rDs, rDw, rDb, d(dout), d(inp), d(alpha), d(shift), d(w), N, C);
        DynamicErfRef.backward(rDinpNb, rDaNb, rDsNb, rDwNb, null, d(dout), d(inp), d(alpha), d(shift), d(w), N, C);
        return List.of(
                new Probe("derf.fwd", fwd, List.of(Expect.elementwise(out, rOut, POINTWISE, WHY_POINTWISE),
                        Expect.elementwise(outNb, rOutNb, POINTWISE, WHY_POINTWISE))),
                new Probe("derf.bwd", bwd, List.of(Expect.elementwise(dinp, rDinp, POINTWISE, WHY_POINTWISE),
                        Expect.normRelative(da, rDa, SUM, WHY_SUM), Expect.normRelative(ds, rDs, SUM, WHY_SUM),
                        Expect.normRelative(dw, rDw, SUM, WHY_SUM), Expect.normRelative(db, rDb, SUM, WHY_SUM),
                        Expect.elementwise(dinpNb, rDinpNb, POINTWISE, WHY_POINTWISE),
                        Expect.normRelative(daNb, rDaNb, SUM, WHY_SUM), Expect.normRelative(dsNb, rDsNb, SUM, WHY_SUM),
                        Expect.normRelative(dwNb, rDwNb, SUM, WHY_SUM))));
    }

    List<Probe> headRmsNorm(Fixture f) {
        Buffer inp = f.random("inp", Role.ACTIVATION, -2, 2, N, H * HD), w = f.random("w", Role.PARAM, 0.5, 1.5, HD);
        Buffer out = f.written("out", Role.ACTIVATION, N, H * HD), rstd = f.written("rstd", Role.ACTIVATION, N, H);
        Stage fwd = f.forward("head_rmsnorm.fwd", new Task.HeadRmsNormForward(out, rstd, inp, w, N, H, HD, EPS));
        double[] rOut = new double[N * H * HD], rRstd = new double[N * H];
        HeadRmsNormRef.forward(rOut, rRstd, d(inp), d(w), N, H, HD, EPS);

        Buffer sRstd = fill(f.written("rstd.saved", Role.ACTIVATION, N, H), rRstd);
        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, H * HD), dinp = f.written("inp.grad", Role.GRAD, N, H * HD);
        Buffer dw = f.random("w.grad", Role.GRAD, -1, 1, HD);
        Stage bwd = f.backward("head_rmsnorm.bwd", new Task.HeadRmsNormBackward(dinp, dw, dout, inp, w, sRstd, N, H, HD));
        double[] rDinp = new double[N * H * HD], rDw = d(dw);
        HeadRmsNormRef.backward(rDinp, rDw, d(dout), d(inp), d(w), d(sRstd), N, H, HD);
        return List.of(
                new Probe("head_rmsnorm.fwd", fwd, List.of(Expect.elementwise(out, rOut, ROW, WHY_ROW),
                        Expect.elementwise(rstd, rRstd, ROW, WHY_ROW))),
                new Probe("head_rmsnorm.bwd", bwd, List.of(Expect.elementwise(dinp, rDinp, ROW, WHY_ROW),
                        Expect.normRelative(dw, rDw, SUM, WHY_SUM))));
    }

    // ---- BHyT -------------------------------------------------------------------------------------

    List<Probe> bhytStar(Fixture f) {
        Buffer inp = f.random("inp", Role.ACTIVATION, -2, 2, N, C), lambda = f.scalar("lambda", Role.PARAM, 2.0);
        Buffer w = f.random("w", Role.PARAM, 0.5, 1.5, C);
        Buffer out = f.written("out", Role.ACTIVATION, N, C), meanSq = f.written("mean_sq", Role.ACTIVATION, N);
        Stage fwd = f.forward("bhyt_star.fwd", new Task.BhytStarForward(out, meanSq, inp, lambda, w, N, C, KAPPA, EPS));
        double[] rOut = new double[N * C], rMs = new double[N];
        BhytStarRef.forward(rOut, rMs, d(inp), d(lambda), d(w), N, C, KAPPA, EPS);

        Buffer sMs = fill(f.written("mean_sq.saved", Role.ACTIVATION, N), rMs);
        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, C), dinp = f.written("inp.grad", Role.GRAD, N, C);
        Buffer dl = f.random("lambda.grad", Role.GRAD, -1, 1, 1), dw = f.random("w.grad", Role.GRAD, -1, 1, C);
        Stage bwd = f.backward("bhyt_star.bwd",
                new Task.BhytStarBackward(dinp, dl, dw, dout, inp, sMs, lambda, w, N, C, KAPPA, EPS));
        double[] rDinp = new double[N * C], rDl = d(dl), rDw = d(dw);
        BhytStarRef.backward(rDinp, rDl, rDw, d(dout), d(inp), d(sMs), d(lambda), d(w), N, C, KAPPA, EPS);
        return List.of(
                new Probe("bhyt_star.fwd", fwd, List.of(Expect.elementwise(out, rOut, ROW, WHY_ROW),
                        Expect.elementwise(meanSq, rMs, ROW, WHY_ROW))),
                new Probe("bhyt_star.bwd", bwd, List.of(Expect.elementwise(dinp, rDinp, ROW, WHY_ROW),
                        Expect.normRelative(dl, rDl, SUM, WHY_SUM), Expect.normRelative(dw, rDw, SUM, WHY_SUM))));
    }

    List<Probe> bhytSecond(Fixture f) {
        Buffer x = f.random("x", Role.ACTIVATION, -2, 2, N, C), h = f.random("h", Role.ACTIVATION, -3, 3, N, C);
        double[] rMsX = new double[N];
        BhytRef.statistic(rMsX, d(x), N, C);
        Buffer msX = fill(f.written("mean_sq_x", Role.ACTIVATION, N), rMsX);
        Buffer cAttn = f.scalar("c_attn", Role.STATE, 0.8);
        Buffer l1 = f.scalar("lambda1", Role.PARAM, 2.0), l2 = f.scalar("lambda2", Role.PARAM, 1.0);
        Buffer w = f.random("w2", Role.PARAM, 0.5, 1.5, C);
        Buffer out = f.written("out", Role.ACTIVATION, N, C), rho2 = f.written("rho2", Role.ACTIVATION, N);
        Stage fwd = f.forward("bhyt_second.fwd",
                new Task.BhytSecondForward(out, rho2, h, msX, cAttn, l1, l2, w, N, C, KAPPA, EPS));
        double[] rOut = new double[N * C], rRho2 = new double[N];
        BhytRef.forwardSecond(rOut, rRho2, d(h), d(msX), d(cAttn), d(l1), d(l2), d(w), N, C, KAPPA, EPS);

        Buffer sRho2 = fill(f.written("rho2.saved", Role.ACTIVATION, N), rRho2);
        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, C);
        Buffer dh = f.written("h.grad", Role.GRAD, N, C), dx = f.written("x.grad_cross", Role.GRAD, N, C);
        Buffer dl2 = f.random("lambda2.grad", Role.GRAD, -1, 1, 1), dw = f.random("w2.grad", Role.GRAD, -1, 1, C);
        Stage bwd = f.backward("bhyt_second.bwd",
                new Task.BhytSecondBackward(dh, dx, dl2, dw, dout, h, x, sRho2, l2, w, N, C, KAPPA));
        double[] rDh = new double[N * C], rDx = new double[N * C], rDl2 = d(dl2), rDw = d(dw);
        BhytRef.backwardSecond(rDh, rDx, rDl2, rDw, d(dout), d(h), d(x), d(sRho2), d(l2), d(w), N, C, KAPPA);
        return List.of(
                new Probe("bhyt_second.fwd", fwd, List.of(Expect.elementwise(out, rOut, ROW, WHY_ROW),
                        Expect.elementwise(rho2, rRho2, ROW, WHY_ROW))),
                new Probe("bhyt_second.bwd", bwd, List.of(Expect.elementwise(dh, rDh, POINTWISE, WHY_POINTWISE),
                        Expect.elementwise(dx, rDx, ROW, WHY_ROW),
                        Expect.normRelative(dl2, rDl2, SUM, WHY_SUM), Expect.normRelative(dw, rDw, SUM, WHY_SUM))));
    }

    List<Probe> bhytCAttn(Fixture f) {
        Buffer wv = f.random("wv", Role.PARAM, -0.2, 0.2, HKV * HD, C), wo = f.random("wo", Role.PARAM, -0.2, 0.2, C, H * HD);
        Buffer c = f.written("c_attn", Role.STATE, 1);
        Stage s = f.forward("bhyt_cattn", new Task.BhytAttnConstant(c, wv, wo, C, H, HKV, HD, T));
        double[] rC = new double[1];
        BhytRef.cAttn(rC, d(wv), d(wo), C, H, HKV, HD, T);
        return List.of(new Probe("bhyt_cattn", s,
                List.of(Expect.normRelative(c, rC, SUM, "a squared Frobenius norm: C x C dot products of length " + C + ", summed"))));
    }

    // ---- attention --------------------------------------------------------------------------------

    Buffer[] ropeTables(Fixture f, int positions) {
        double[] cos = new double[positions * HD / 2], sin = new double[positions * HD / 2];
        RopeRef.tables(cos, sin, positions, HD, ROPE_BASE);
        return new Buffer[] {fill(f.written("rope_cos", Role.STATE, positions, HD / 2), cos),
                fill(f.written("rope_sin", Role.STATE, positions, HD / 2), sin)};
    }

    List<Probe> rope(Fixture f) {
        Buffer[] cs = ropeTables(f, T);
        Buffer inp = f.random("inp", Role.ACTIVATION, -1, 1, B, T, H * HD), out = f.written("out", Role.ACTIVATION, B, T, H * HD);
        Stage fwd = f.forward("rope.fwd", new Task.RopeForward(out, inp, cs[0], cs[1], B, T, H, HD));
        double[] rOut = new double[N * H * HD];
        RopeRef.forward(rOut, d(inp), d(cs[0]), d(cs[1]), B, T, H, HD);
        Buffer dout = f.random("dout", Role.GRAD, -1, 1, B, T, H * HD), dinp = f.written("inp.grad", Role.GRAD, B, T, H * HD);
        // Training rotates the gradient back in place (dinp == dout), a kernel of its own on a device.
        Buffer inPlace = fill(f.written("inp.grad_in_place", Role.GRAD, B, T, H * HD), d(dout));
        Stage bwd = f.backward("rope.bwd", new Task.RopeBackward(dinp, dout, cs[0], cs[1], B, T, H, HD),
                new Task.RopeBackward(inPlace, inPlace, cs[0], cs[1], B, T, H, HD));
        double[] rDinp = new double[N * H * HD];
        RopeRef.backward(rDinp, d(dout), d(cs[0]), d(cs[1]), B, T, H, HD);
        return List.of(new Probe("rope.fwd", fwd, List.of(Expect.elementwise(out, rOut, POINTWISE, WHY_ROTATION))),
                new Probe("rope.bwd", bwd, List.of(Expect.elementwise(dinp, rDinp, POINTWISE, WHY_ROTATION),
                        Expect.elementwise(inPlace, rDinp, POINTWISE, WHY_ROTATION + " (rotated in place)"))));
    }

    List<Probe> attention(Fixture f) {
        float scale = (float) (1 / Math.sqrt(HD));
        Buffer q = f.random("q", Role.ACTIVATION, -2, 2, B, T, H * HD);
        Buffer k = f.random("k", Role.ACTIVATION, -2, 2, B, T, HKV * HD), v = f.random("v", Role.ACTIVATION, -1, 1, B, T, HKV * HD);
        Buffer out = f.written("out", Role.ACTIVATION, B, T, H * HD), lse = f.written("lse", Role.ACTIVATION, B, H, T);
        Stage fwd = f.forward("attention.fwd", new Task.AttentionForward(out, lse, q, k, v, B, T, H, HKV, HD, scale));
        double[] rOut = new double[N * H * HD], rLse = new double[B * H * T];
        AttentionRef.forward(rOut, rLse, d(q), d(k), d(v), B, T, H, HKV, HD, scale);

        Buffer sOut = fill(f.written("out.saved", Role.ACTIVATION, B, T, H * HD), rOut);
        Buffer sLse = fill(f.written("lse.saved", Role.ACTIVATION, B, H, T), rLse);
        Buffer dout = f.random("dout", Role.GRAD, -1, 1, B, T, H * HD);
        Buffer dq = f.written("q.grad", Role.GRAD, B, T, H * HD);
        Buffer dk = f.written("k.grad", Role.GRAD, B, T, HKV * HD), dv = f.written("v.grad", Role.GRAD, B, T, HKV * HD);
        Stage bwd = f.backward("attention.bwd",
                new Task.AttentionBackward(dq, dk, dv, dout, q, k, v, sOut, sLse, B, T, H, HKV, HD, scale));
        double[] rDq = new double[N * H * HD], rDk = new double[N * HKV * HD], rDv = new double[N * HKV * HD];
        AttentionRef.backward(rDq, rDk, rDv, d(dout), d(q), d(k), d(v), d(sOut), d(sLse), B, T, H, HKV, HD, scale);
        String whyGrad = "sums over up to " + T + " keys (queries) and " + H / HKV + " query heads, with cancellation in P(dP - D)";
        return List.of(
                new Probe("attention.fwd", fwd, List.of(
                        Expect.elementwise(out, rOut, ROW, "softmax-weighted sums over up to " + T + " keys of dot products of length " + HD),
                        Expect.elementwise(lse, rLse, ROW, "logsumexp over up to " + T + " scores"))),
                new Probe("attention.bwd", bwd, List.of(Expect.normRelative(dq, rDq, SUM, whyGrad),
                        Expect.normRelative(dk, rDk, SUM, whyGrad), Expect.normRelative(dv, rDv, SUM, whyGrad))));
    }

    /** One generation step as the model runs it: RoPE at a position held in a buffer, cache append, attention. */
    List<Probe> attentionDecode(Fixture f) {
        int pos = T * 3 / 5, maxT = T, kv = HKV * HD;
        float scale = (float) (1 / Math.sqrt(HD));
        Buffer[] cs = ropeTables(f, maxT);
        Buffer position = f.program.ints("position", Role.INPUT, 1);
        position.i[0] = pos;
        Buffer qN = f.random("q_norm", Role.ACTIVATION, -2, 2, H * HD), kN = f.random("k_norm", Role.ACTIVATION, -2, 2, kv);
        Buffer vN = f.random("v_norm", Role.ACTIVATION, -1, 1, kv);
        Buffer qR = f.written("q_rope", Role.ACTIVATION, H * HD), kR = f.written("k_rope", Role.ACTIVATION, kv);
        // Value rows past the position hold large garbage: attending to one would change the output visibly.
        Buffer kCache = f.random("k_cache", Role.STATE, -2, 2, maxT, kv), vCache = f.random("v_cache", Role.STATE, -1, 1, maxT, kv);
        for (int i = (pos + 1) * kv; i < maxT * kv; i++) vCache.f[i] = -1e3f;
        Buffer att = f.written("att", Role.ACTIVATION, H * HD);
        Stage s = f.forward("attention_decode", new Task.RopeAt(qR, qN, cs[0], cs[1], position, 1, H, HD),
                new Task.RopeAt(kR, kN, cs[0], cs[1], position, 1, HKV, HD),
                new Task.CacheWrite(kCache, kR, position, kv), new Task.CacheWrite(vCache, vN, position, kv),
                new Task.AttentionDecode(att, qR, kCache, vCache, position, maxT, H, HKV, HD, scale));

        int half = HD / 2;
        double[] cosAt = Arrays.copyOfRange(d(cs[0]), pos * half, (pos + 1) * half);
        double[] sinAt = Arrays.copyOfRange(d(cs[1]), pos * half, (pos + 1) * half);
        double[] rQ = new double[H * HD], rK = new double[kv];
        RopeRef.forward(rQ, d(qN), cosAt, sinAt, 1, 1, H, HD);
        RopeRef.forward(rK, d(kN), cosAt, sinAt, 1, 1, HKV, HD);
        double[] rKCache = d(kCache), rVCache = d(vCache), vRow = d(vN);
        for (int j = 0; j < kv; j++) {
            rKCache[pos * kv + j] = (float) rK[j]; // the cache holds the float-rounded rotated key
            rVCache[pos * kv + j] = vRow[j];
        }
        // Causal attention over positions 0..pos: the last row of the dense reference.
        int tLen = pos + 1;
        double[] qAll = new double[tLen * H * HD], outAll = new double[tLen * H * HD];
        for (int j = 0; j < H * HD; j++) qAll[pos * H * HD + j] = rQ[j];
        AttentionRef.forward(outAll, new double[H * tLen], qAll, Arrays.copyOf(rKCache, tLen * kv),
                Arrays.copyOf(rVCache, tLen * kv), 1, tLen, H, HKV, HD, scale);
        double[] rAtt = Arrays.copyOfRange(outAll, pos * H * HD, tLen * H * HD);
        return List.of(new Probe("attention_decode", s, List.of(
                Expect.elementwise(qR, rQ, POINTWISE, WHY_ROTATION), Expect.elementwise(kR, rK, POINTWISE, WHY_ROTATION),
                Expect.elementwise(kCache, rKCache, POINTWISE, "the appended row is the rotated key; other rows untouched"),
                Expect.elementwise(vCache, rVCache, EXACT, WHY_EXACT),
                Expect.elementwise(att, rAtt, ROW, "softmax-weighted sums over the " + (pos + 1) + " cached keys"))));
    }

    // ---- feed-forward and residual ----------------------------------------------------------------

    List<Probe> swiGlu(Fixture f) {
        Buffer gu = f.random("gu", Role.ACTIVATION, -4, 4, N, 2 * HIDDEN), out = f.written("out", Role.ACTIVATION, N, HIDDEN);
        // Gates of +-40 and 0 in the first row: the sigmoid must neither overflow exp(-h) nor lose silu(h) -> 0.
        float[] extremes = {40f, -40f, 0f};
        for (int j = 0; j < Math.min(HIDDEN, extremes.length); j++) gu.f[j] = extremes[j];
        Stage fwd = f.forward("swiglu.fwd", new Task.SwiGluForward(out, gu, N, HIDDEN));
        double[] rOut = new double[N * HIDDEN];
        SwiGluRef.forward(rOut, d(gu), N, HIDDEN);
        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, HIDDEN), dgu = f.written("gu.grad", Role.GRAD, N, 2 * HIDDEN);
        Stage bwd = f.backward("swiglu.bwd", new Task.SwiGluBackward(dgu, dout, gu, N, HIDDEN));
        double[] rDgu = new double[N * 2 * HIDDEN];
        SwiGluRef.backward(rDgu, d(dout), d(gu), N, HIDDEN);
        return List.of(new Probe("swiglu.fwd", fwd, List.of(Expect.elementwise(out, rOut, POINTWISE, WHY_POINTWISE))),
                new Probe("swiglu.bwd", bwd, List.of(Expect.elementwise(dgu, rDgu, POINTWISE, WHY_POINTWISE))));
    }

    List<Probe> residual(Fixture f) {
        int n = N * C;
        Buffer a = f.random("a", Role.ACTIVATION, -1, 1, N, C), b = f.random("b", Role.ACTIVATION, -1, 1, N, C);
        Buffer out = f.written("out", Role.ACTIVATION, N, C), copy = f.written("copy", Role.ACTIVATION, N, C);
        Stage fwd = f.forward("residual.fwd", new Task.ResidualAdd(out, a, b, n), new Task.Copy(copy, a, n));
        double[] rOut = new double[n];
        ResidualRef.forward(rOut, d(a), d(b), n);
        Buffer dst = f.random("dst.grad", Role.GRAD, -1, 1, N, C), src = f.random("src.grad", Role.GRAD, -1, 1, N, C);
        Buffer zeroed = f.random("zeroed.grad", Role.GRAD, -1, 1, N, C);
        Stage bwd = f.backward("residual.bwd", new Task.Accumulate(dst, src, n), new Task.Zero(zeroed));
        double[] rDst = d(dst);
        ResidualRef.accumulate(rDst, d(src), n);
        return List.of(new Probe("residual.fwd", fwd, List.of(Expect.elementwise(out, rOut, ROUNDING, WHY_ROUNDING),
                        Expect.elementwise(copy, d(a), EXACT, WHY_EXACT))),
                new Probe("residual.bwd", bwd, List.of(Expect.elementwise(dst, rDst, ROUNDING, WHY_ROUNDING),
                        Expect.elementwise(zeroed, new double[n], EXACT, "zeroing: every element must be 0"))));
    }

    // ---- summaries and the optimizer ---------------------------------------------------------------

    List<Probe> summarize(Fixture f) {
        Buffer losses = f.random("losses", Role.OUTPUT, 2, 6, N);
        Buffer lse = f.random("lse", Role.ACTIVATION, 1, 5, B, H, T);
        Buffer x = f.random("x", Role.ACTIVATION, -1, 1, N, C);
        for (int r = 3; r < N; r += 17) x.f[r * C + (r % C)] = r % 2 == 0 ? 30f : -30f; // clear 5-sigma outliers
        // Each summary writes slot 1 of its own 3-float buffer; slots 0 and 2 must stay as they were.
        Summary[] kinds = Summary.values();
        List<Expect> expects = new ArrayList<>();
        Stage s = f.forward("summarize");
        for (Summary kind : kinds) {
            Buffer out = f.random("out." + kind.name().toLowerCase(), Role.OUTPUT, 1, 2, 3);
            if (kind != Summary.ADD_SUM_SQUARES) out.f[1] = Float.NaN;
            Buffer src = switch (kind) { case MEAN -> losses; case MEAN_SQUARE -> lse; default -> x; };
            int rows = src == lse ? B * H : N, cols = src == lse ? T : src == losses ? 1 : C;
            s.add(new Task.Summarize(kind, out, 1, src, rows, cols));
            double[] ref = d(out), v = d(src);
            ref[1] = switch (kind) {
                case MEAN -> StatsRef.mean(v);
                case MEAN_SQUARE -> StatsRef.meanSquare(v);
                case RMS -> StatsRef.rms(v);
                case ADD_SUM_SQUARES -> StatsRef.addSumSquares(ref[1], v);
                case OUTLIER_PERCENT -> StatsRef.outlierPercent(v, rows, cols);
            };
            String why = kind == Summary.OUTLIER_PERCENT
                    ? "a count: one miscounted element moves it by 1/7 of its value"
                    : "one sum over up to " + N * C + " elements, rounded once to float on the JVM (blockwise float sums on a device)";
            expects.add(Expect.elementwise(out, ref, kind == Summary.OUTLIER_PERCENT ? ROUNDING : POINTWISE, why));
        }
        return List.of(new Probe("summarize", s, expects));
    }

    List<Probe> clipScale(Fixture f) {
        // Two optimizer groups, clipped (norm sqrt(10) > 1) and not (norm 0.5 < 1).
        List<Expect> expects = new ArrayList<>();
        Stage s = f.forward("clip_scale");
        double[][] cases = {{10.0, 1.0 / Math.sqrt(10.0)}, {0.25, 1.0}};
        for (int c = 0; c < cases.length; c++) {
            Buffer sq = f.scalar("grad_sq" + c, Role.OPTIMIZER, cases[c][0]);
            Buffer h1 = hyper(f, "hyper_decay" + c, 0.1f), h2 = hyper(f, "hyper_nodecay" + c, 0f);
            s.add(new Task.ClipScale(sq, new Buffer[] {h1, h2}, 1f));
            for (Buffer h : new Buffer[] {h1, h2}) {
                double[] ref = d(h);
                ref[Hyper.GRAD_SCALE] = cases[c][1];
                expects.add(Expect.elementwise(h, ref, ROUNDING, "a square root and a division; other entries untouched"));
            }
        }
        return List.of(new Probe("clip_scale", s, expects));
    }

    private Buffer hyper(Fixture f, String name, float weightDecay) {
        Buffer h = f.written(name, Role.OPTIMIZER, Hyper.SIZE);
        Hyper.setAdamW(h.f, 1e-3f, 0.9f, 0.95f, 1e-8f, weightDecay, 3, 0.5f);
        h.f[Hyper.GRAD_SCALE] = Float.NaN; // must be set by the task
        return h;
    }

    List<Probe> adamW(Fixture f) {
        int n = 61 * C;
        Stage s = f.forward("adamw");
        List<Expect> expects = new ArrayList<>();
        // An early step with weight decay, and a late one without (step 1000: the bias corrections'
        // beta^t, computed in float on a device, have all but vanished).
        float[][] steps = {{1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 3, 0.7f}, {2e-3f, 0.8f, 0.999f, 1e-6f, 0f, 1000, 0.25f}};
        for (float[] h : steps) {
            String at = steps[0] == h ? "" : "_late";
            Buffer p = f.random("param" + at, Role.PARAM, -1, 1, n), g = f.random("param" + at + ".grad", Role.GRAD, -1, 1, n);
            Buffer m = f.random("m" + at, Role.OPTIMIZER, -0.1, 0.1, n), v = f.random("v" + at, Role.OPTIMIZER, 0, 0.01, n);
            Buffer hyper = f.written("hyper" + at, Role.OPTIMIZER, Hyper.SIZE);
            Hyper.setAdamW(hyper.f, h[0], h[1], h[2], h[3], h[4], (int) h[5], h[6]);
            s.add(new Task.AdamWUpdate(p, g, m, v, hyper));
            double[] base = d(p), rP = d(p), rM = d(m), rV = d(v);
            AdamWRef.update(rP, d(g), rM, rV, d(hyper), n);
            expects.add(Expect.delta(p, base, rP, 1e-3, "the change is ~1e-3 of p, so storing p in float alone costs ~3e-5 of it"));
            expects.add(Expect.elementwise(m, rM, POINTWISE, "a float moving average: a few roundings"));
            expects.add(Expect.elementwise(v, rV, POINTWISE, "a float moving average: a few roundings"));
        }
        return List.of(new Probe("adamw", s, expects));
    }

    // ---- mixture of experts -----------------------------------------------------------------------

    /** Routed experts and picks per token of the MoE cases: 7 experts, so no power of two, top-2. */
    static final int E = 7, K = 2;

    /**
     * Router logits whose 7 values per row lie at least 0.4 apart (levels 0.6 apart, noise under
     * 0.1): the top-k selection cannot depend on rounding, so the expert indices must match exactly.
     * The levels rotate with the row, so every expert is picked by some rows.
     */
    Buffer routerLogits(Fixture f) {
        Buffer logits = f.random("logits", Role.ACTIVATION, -0.1, 0.1, N, E);
        for (int n = 0; n < N; n++) {
            for (int e = 0; e < E; e++) logits.f[n * E + e] += 0.6f * ((3 * n + 5 * e) % E - 3);
        }
        return logits;
    }

    /** The experts {@link #expertChoices} picks from: 0, 3 and 6 never chosen. */
    static final int[] CHOSEN_EXPERTS = {1, 2, 4, 5};

    /**
     * K distinct experts per token, never experts 0, 3 or 6: the dispatch and the grouped products see
     * an empty expert first, in the middle and last, where the row-to-expert scan has its edge cases.
     */
    int[] expertChoices() {
        int[] idx = new int[R];
        int n = CHOSEN_EXPERTS.length;
        for (int t = 0; t < N; t++) {
            int first = (3 * t) % n, second = (first + 1 + t % (n - 1)) % n; // 1 .. n-1 further on: distinct
            idx[t * K] = CHOSEN_EXPERTS[first];
            idx[t * K + 1] = CHOSEN_EXPERTS[second];
        }
        return idx;
    }

    List<Probe> router(Fixture f) {
        Buffer logits = routerLogits(f);
        List<Probe> probes = new ArrayList<>();
        String whySoftmax = "a softmax over 7 (or 2) logits: a few ulps per element";
        for (Routing kind : Routing.values()) {
            String k = kind.label;
            Buffer idx = f.writtenInts("expert_idx." + k, Role.ACTIVATION, N, K);
            Buffer gates = f.written("gates." + k, Role.ACTIVATION, N, K), weights = f.written("weights." + k, Role.ACTIVATION, N, K);
            Buffer probs = f.written("probs." + k, Role.ACTIVATION, N, E), lse = f.written("lse." + k, Role.ACTIVATION, N);
            Stage fwd = f.forward("router." + k + ".fwd", new Task.RouterForward(idx, gates, weights, probs, lse, logits, N, E, K, kind));
            int[] rIdx = new int[R];
            double[] rGates = new double[R], rWeights = new double[R], rProbs = new double[N * E], rLse = new double[N];
            RouterRef.forward(rIdx, rGates, rWeights, rProbs, rLse, d(logits), N, E, K, kind);

            Buffer sIdx = f.ints("expert_idx.saved." + k, Role.ACTIVATION, rIdx, N, K);
            Buffer sGates = fill(f.written("gates.saved." + k, Role.ACTIVATION, N, K), rGates);
            Buffer sWeights = fill(f.written("weights.saved." + k, Role.ACTIVATION, N, K), rWeights);
            Buffer sProbs = fill(f.written("probs.saved." + k, Role.ACTIVATION, N, E), rProbs);
            Buffer dweights = f.random("weights.grad." + k, Role.GRAD, -1, 1, N, K);
            Buffer dlogits = f.written("logits.grad." + k, Role.GRAD, N, E);
            Stage bwd = f.backward("router." + k + ".bwd",
                    new Task.RouterBackward(dlogits, dweights, sGates, sWeights, sProbs, sIdx, N, E, K, kind));
            double[] rDlogits = new double[N * E];
            RouterRef.backward(rDlogits, d(dweights), d(sGates), d(sWeights), d(sProbs), rIdx, N, E, K, kind);
            probes.add(new Probe("router." + k + ".fwd", fwd, List.of(
                    Expect.exactInts(idx, rIdx, "top-k of logits 0.4 apart: comparisons only, no rounding can reorder them"),
                    Expect.elementwise(gates, rGates, POINTWISE, whySoftmax),
                    Expect.elementwise(weights, rWeights, POINTWISE, whySoftmax),
                    Expect.elementwise(probs, rProbs, POINTWISE, whySoftmax),
                    Expect.elementwise(lse, rLse, POINTWISE, "max plus the log of a sum of 7 exps"))));
            probes.add(new Probe("router." + k + ".bwd", bwd, List.of(Expect.elementwise(dlogits, rDlogits, POINTWISE,
                    "a softmax Jacobian over 2 picks: a few roundings, a - sum(g a) may cancel"))));
        }
        return probes;
    }

    List<Probe> routerLosses(Fixture f) {
        Buffer logits = routerLogits(f);
        int[] rIdx = new int[R];
        double[] rProbs = new double[N * E], rLse = new double[N];
        RouterRef.forward(rIdx, new double[R], new double[R], rProbs, rLse, d(logits), N, E, K, Routing.SOFTMAX_TOPK);
        Buffer idx = f.ints("expert_idx", Role.ACTIVATION, rIdx, N, K);
        Buffer probs = fill(f.written("probs", Role.ACTIVATION, N, E), rProbs), lse = fill(f.written("lse", Role.ACTIVATION, N), rLse);
        float gamma = 1f, beta = 1f, scale = 0.5f;

        // Slots 0..3 are written (balance, z, max/mean, CV); slot 4 must stay as it was.
        Buffer counts = f.written("counts", Role.ACTIVATION, E), out = f.random("out", Role.OUTPUT, 1, 2, 5);
        for (int i = 0; i < 4; i++) out.f[i] = Float.NaN;
        Stage fwd = f.forward("router_losses.fwd", new Task.RouterCounts(counts, idx, N, K, E),
                new Task.BalanceLossForward(out, 0, probs, counts, N, E, K, gamma), new Task.ZLossForward(out, 1, lse, N, beta),
                new Task.LoadImbalance(out, 2, counts, E));
        double[] rCounts = new double[E], rOut = d(out);
        RouterLossesRef.counts(rCounts, rIdx, N, K, E);
        RouterLossesRef.balanceForward(rOut, 0, d(probs), rCounts, N, E, K, gamma);
        RouterLossesRef.zForward(rOut, 1, d(lse), N, beta);
        RouterLossesRef.loadImbalance(rOut, 2, rCounts, E);

        // The losses' gradients add to a router gradient of the same size (about 1e-3).
        Buffer sCounts = fill(f.written("counts.saved", Role.ACTIVATION, E), rCounts);
        Buffer dBalance = f.random("logits.grad.balance", Role.GRAD, -1e-3, 1e-3, N, E);
        Buffer dZ = f.random("logits.grad.z", Role.GRAD, -1e-3, 1e-3, N, E);
        Stage bwd = f.backward("router_losses.bwd", new Task.BalanceLossBackward(dBalance, probs, sCounts, N, E, K, gamma, scale),
                new Task.ZLossBackward(dZ, probs, lse, N, E, beta, scale));
        double[] rDBalance = d(dBalance), rDZ = d(dZ);
        RouterLossesRef.balanceBackward(rDBalance, d(probs), d(sCounts), N, E, K, gamma, scale);
        RouterLossesRef.zBackward(rDZ, d(probs), d(lse), N, E, beta, scale);
        String whyGrad = "a few roundings per element, added to an accumulated gradient of the same size: where the"
                + " two cancel, the rounding is relative to the addends, not to the small sum";
        return List.of(
                new Probe("router_losses.fwd", fwd, List.of(Expect.elementwise(counts, rCounts, EXACT, "a count: integers in float"),
                        Expect.elementwise(out, rOut, ROUNDING,
                                "sums over all tokens in double, rounded once to float; slot 4 untouched"))),
                new Probe("router_losses.bwd", bwd, List.of(Expect.elementwise(dBalance, rDBalance, ROW, whyGrad),
                        Expect.elementwise(dZ, rDZ, ROW, whyGrad))));
    }

    List<Probe> moeDispatch(Fixture f) {
        int[] choices = expertChoices();
        Buffer idx = f.ints("expert_idx", Role.ACTIVATION, choices, N, K);
        Buffer x = f.random("x", Role.ACTIVATION, -1, 1, N, C), ys = f.random("ys", Role.ACTIVATION, -1, 1, R, C);
        Buffer weights = f.random("weights", Role.ACTIVATION, 0.1, 1, N, K);
        Buffer rowSlot = f.writtenInts("row_slot", Role.ACTIVATION, R), slotRow = f.writtenInts("slot_row", Role.ACTIVATION, R);
        Buffer offsets = f.writtenInts("offsets", Role.ACTIVATION, E + 1);
        Buffer xs = f.written("xs", Role.ACTIVATION, R, C), y = f.written("y", Role.ACTIVATION, N, C);
        // As the MoE block runs them: the plan, then the gather and the combine read the plan just made.
        Stage fwd = f.forward("moe_dispatch.fwd", new Task.MoePlan(rowSlot, slotRow, offsets, idx, N, K, E),
                new Task.MoeGather(xs, x, rowSlot, N, K, C), new Task.MoeCombine(y, ys, weights, slotRow, N, K, C));
        int[] rRowSlot = new int[R], rSlotRow = new int[R], rOffsets = new int[E + 1];
        MoeDispatchRef.plan(rRowSlot, rSlotRow, rOffsets, choices, N, K, E);
        double[] rXs = new double[R * C], rY = new double[N * C];
        MoeDispatchRef.gather(rXs, d(x), rRowSlot, N, K, C);
        MoeDispatchRef.combine(rY, d(ys), d(weights), rSlotRow, N, K, C);

        Buffer sSlotRow = f.ints("slot_row.saved", Role.ACTIVATION, rSlotRow, R);
        Buffer dy = f.random("y.grad", Role.GRAD, -1, 1, N, C), dxs = f.random("xs.grad", Role.GRAD, -1, 1, R, C);
        Buffer dys = f.written("ys.grad", Role.GRAD, R, C), dweights = f.written("weights.grad", Role.GRAD, N, K);
        Buffer dx = f.written("x.grad", Role.GRAD, N, C);
        Stage bwd = f.backward("moe_dispatch.bwd", new Task.MoeCombineBackward(dys, dweights, dy, ys, weights, sSlotRow, N, K, C),
                new Task.MoeGatherBackward(dx, dxs, sSlotRow, N, K, C));
        double[] rDys = new double[R * C], rDweights = new double[R], rDx = new double[N * C];
        MoeDispatchRef.combineBackward(rDys, rDweights, d(dy), d(ys), d(weights), rSlotRow, N, K, C);
        MoeDispatchRef.gatherBackward(rDx, d(dxs), rSlotRow, N, K, C);
        String whyPlan = "a stable counting sort: indices, exact";
        String whyPairs = "sums of a token's 2 slots: one or two roundings";
        String whyWeighted = "a weighted sum of a token's 2 slots: a sum of two products can cancel";
        return List.of(
                new Probe("moe_dispatch.fwd", fwd, List.of(Expect.exactInts(rowSlot, rRowSlot, whyPlan),
                        Expect.exactInts(slotRow, rSlotRow, whyPlan),
                        Expect.exactInts(offsets, rOffsets, "prefix counts per expert (experts 0, 3 and 6 empty): exact"),
                        Expect.elementwise(xs, rXs, EXACT, WHY_EXACT), Expect.elementwise(y, rY, POINTWISE, whyWeighted))),
                new Probe("moe_dispatch.bwd", bwd, List.of(Expect.elementwise(dys, rDys, ROUNDING, "a product: one rounding"),
                        Expect.elementwise(dweights, rDweights, ROW, "a dot product over " + C + " features"),
                        Expect.elementwise(dx, rDx, ROUNDING, whyPairs))));
    }

    List<Probe> groupedMatmul(Fixture f) {
        int[] offs = new int[E + 1];
        MoeDispatchRef.plan(new int[R], new int[R], offs, expertChoices(), N, K, E);
        Buffer offsets = f.ints("offsets", Role.ACTIVATION, offs, E + 1);
        Buffer inp = f.random("inp", Role.ACTIVATION, -1, 1, R, C), w = f.random("w", Role.PARAM, -0.2, 0.2, E, EXPERT_OC, C);
        Buffer out = f.written("out", Role.ACTIVATION, R, EXPERT_OC);
        Stage fwd = f.forward("grouped_matmul.fwd", new Task.GroupedMatmulForward(out, inp, w, offsets, R, C, EXPERT_OC, E));
        double[] rOut = new double[R * EXPERT_OC];
        GroupedMatmulRef.forward(rOut, d(inp), d(w), offs, R, C, EXPERT_OC, E);

        Buffer dout = f.random("dout", Role.GRAD, -1, 1, R, EXPERT_OC), dinp = f.written("inp.grad", Role.GRAD, R, C);
        Buffer dw = f.random("w.grad", Role.GRAD, -1, 1, E, EXPERT_OC, C); // empty experts' slices must keep their base
        Stage bwd = f.backward("grouped_matmul.bwd", new Task.GroupedMatmulBackwardInput(dinp, dout, w, offsets, R, C, EXPERT_OC, E),
                new Task.GroupedMatmulBackwardWeight(dw, dout, inp, offsets, R, C, EXPERT_OC, E));
        double[] rDinp = new double[R * C], rDw = d(dw);
        GroupedMatmulRef.backwardInput(rDinp, d(dout), d(w), offs, R, C, EXPERT_OC, E);
        GroupedMatmulRef.backwardWeight(rDw, d(dout), d(inp), offs, R, C, EXPERT_OC, E);
        return List.of(
                new Probe("grouped_matmul.fwd", fwd, List.of(Expect.elementwise(out, rOut, ROW, "a dot product over " + C + " inputs"))),
                new Probe("grouped_matmul.bwd", bwd, List.of(Expect.elementwise(dinp, rDinp, ROW, "a dot product over " + EXPERT_OC + " outputs"),
                        Expect.normRelative(dw, rDw, SUM, "sums over each chosen expert's rows (about N/2 of them) into an accumulated gradient"))));
    }

    List<Probe> mix(Fixture f) {
        int n = N * C;
        float alpha = (float) Math.sqrt(0.7), beta = (float) Math.sqrt(0.3); // sqrtgate's sqrt(1 - p) y + sqrt(p) S(f)
        Buffer a = f.random("a", Role.ACTIVATION, -1, 1, N, C), b = f.random("b", Role.ACTIVATION, -1, 1, N, C);
        Buffer out = f.written("out", Role.ACTIVATION, N, C);
        Stage fwd = f.forward("mix.fwd", new Task.MixForward(out, a, b, alpha, beta, n));
        double[] rOut = new double[n];
        MixRef.forward(rOut, d(a), d(b), alpha, beta, n);
        Buffer dout = f.random("dout", Role.GRAD, -1, 1, N, C);
        Buffer da = f.written("a.grad", Role.GRAD, N, C), db = f.written("b.grad", Role.GRAD, N, C);
        Buffer daOnly = f.written("a_only.grad", Role.GRAD, N, C), dbOnly = f.written("b_only.grad", Role.GRAD, N, C);
        Stage bwd = f.backward("mix.bwd", new Task.MixBackward(da, db, dout, alpha, beta, n),
                new Task.MixBackward(daOnly, null, dout, alpha, beta, n), new Task.MixBackward(null, dbOnly, dout, alpha, beta, n));
        double[] rDa = new double[n], rDb = new double[n];
        MixRef.backward(rDa, rDb, d(dout), alpha, beta, n);
        return List.of(new Probe("mix.fwd", fwd, List.of(Expect.elementwise(out, rOut, POINTWISE,
                "a sum of two scaled tensors: a sum of two products can cancel"))),
                new Probe("mix.bwd", bwd, List.of(Expect.elementwise(da, rDa, ROUNDING, "a product: one rounding"),
                        Expect.elementwise(db, rDb, ROUNDING, "a product: one rounding"),
                        Expect.elementwise(daOnly, rDa, ROUNDING, "a product: one rounding (no b gradient wanted)"),
                        Expect.elementwise(dbOnly, rDb, ROUNDING, "a product: one rounding (no a gradient wanted)"))));
    }

    // ---- Muon, Newton-Schulz and the sphere --------------------------------------------------------

    static final String WHY_NS = "NS5: five rounds of three float matmuls over the longer side: ~1e-5 of the norm";

    /** Scratch of NS5 for slices up to {@code slice} floats and Gram matrices up to {@code gram}, as MuonDirections sizes it. */
    Buffer[] nsScratch(Fixture f, int slice, int gram) {
        return new Buffer[] {f.written("ns_x", Role.ACTIVATION, slice), f.written("ns_gram", Role.ACTIVATION, gram),
                f.written("ns_gram_squared", Role.ACTIVATION, gram), f.written("ns_next", Role.ACTIVATION, slice)};
    }

    /** One Muon step as MuonOptimizer emits it, on a (C, T) matrix (tall at the default shape: transposed NS5, shape factor sqrt(C/T)). */
    List<Probe> muon(Fixture f) {
        int rows = C, cols = T, n = rows * cols;
        Buffer p = f.random("param", Role.PARAM, -0.2, 0.2, rows, cols), g = f.random("param.grad", Role.GRAD, -1, 1, rows, cols);
        Buffer mom = f.random("momentum", Role.OPTIMIZER, -0.5, 0.5, rows, cols);
        Buffer hyper = f.written("hyper", Role.OPTIMIZER, Hyper.SIZE);
        Hyper.setMuon(hyper.f, 0.02f, 0.95f, 0.1f, 3, 0.8f);
        Buffer update = f.written("update", Role.ACTIVATION, n), ortho = f.written("ortho", Role.ACTIVATION, n);
        Buffer[] s = nsScratch(f, n, Task.NewtonSchulzOrthogonalize.gramSize(rows, cols));
        Stage st = f.forward("muon.step", new Task.MuonMomentum(update, mom, g, hyper, n),
                new Task.NewtonSchulzOrthogonalize(ortho, update, s[0], s[1], s[2], s[3], 1, rows, cols),
                new Task.MuonUpdate(p, ortho, hyper, n, Task.MuonUpdate.shapeFactor(rows, cols)));
        double[] base = d(p), rP = d(p), rMom = d(mom);
        MuonRef.step(rP, rMom, d(g), d(hyper), 1, rows, cols);
        double[] rUpdate = MuonRef.nesterov(d(mom), d(g), d(hyper)), rOrtho = new double[n];
        NewtonSchulzRef.orthogonalize(rOrtho, rUpdate, 1, rows, cols);
        return List.of(new Probe("muon.step", st, List.of(
                Expect.elementwise(update, rUpdate, POINTWISE, "Nesterov: a few float roundings per element"),
                Expect.elementwise(mom, rMom, POINTWISE, "a float moving average: a few roundings"),
                Expect.normRelative(ortho, rOrtho, ROW, WHY_NS),
                Expect.delta(p, base, rP, ROW, "the change carries NS5's float error (~1e-5 of its norm)"))));
    }

    /** NS5 of a wide matrix and of a tall 3-D stack (each slice its own), sharing scratch as the optimizer does. */
    List<Probe> newtonSchulz(Fixture f) {
        int rows = HD, cols = T, slices = 3, sRows = 40, sCols = 24;
        Buffer g = f.random("g", Role.ACTIVATION, -1, 1, rows, cols), gs = f.random("g_stack", Role.ACTIVATION, -1, 1, slices, sRows, sCols);
        for (int i = sRows * sCols; i < 2 * sRows * sCols; i++) gs.f[i] *= 30; // slices of very different norms
        Buffer out = f.written("out", Role.ACTIVATION, rows, cols), outStack = f.written("out_stack", Role.ACTIVATION, slices, sRows, sCols);
        Buffer[] s = nsScratch(f, Math.max(rows * cols, sRows * sCols),
                Math.max(Task.NewtonSchulzOrthogonalize.gramSize(rows, cols), Task.NewtonSchulzOrthogonalize.gramSize(sRows, sCols)));
        Stage st = f.forward("newton_schulz", new Task.NewtonSchulzOrthogonalize(out, g, s[0], s[1], s[2], s[3], 1, rows, cols),
                new Task.NewtonSchulzOrthogonalize(outStack, gs, s[0], s[1], s[2], s[3], slices, sRows, sCols));
        double[] rOut = new double[rows * cols], rStack = new double[slices * sRows * sCols];
        NewtonSchulzRef.orthogonalize(rOut, d(g), 1, rows, cols);
        NewtonSchulzRef.orthogonalize(rStack, d(gs), slices, sRows, sCols);
        return List.of(new Probe("newton_schulz", st, List.of(Expect.normRelative(out, rOut, ROW, WHY_NS),
                Expect.normRelative(outStack, rStack, ROW, WHY_NS + "; every slice has norm ~1 after NS5, whatever its input norm"))));
    }

    /** The sphere update's tasks in the order HyperPOptimizer adds them. */
    Stage sphereTasks(Stage s, Buffer param, Buffer direction, Buffer norms, Buffer hyper, int n) {
        s.add(new Task.SphereDecay(param, hyper, n));
        s.add(new Task.SphereSumSquares(norms, Hyper.SphereNorms.RADIUS_SQ, param, n));
        s.add(new Task.SphereSumSquares(norms, Hyper.SphereNorms.DIRECTION_SQ, direction, n));
        s.add(new Task.SphereStep(param, direction, norms, hyper, n));
        s.add(new Task.SphereSumSquares(norms, Hyper.SphereNorms.STEPPED_SQ, param, n));
        s.add(new Task.SphereRetract(param, norms, n));
        return s;
    }

    /** ||W||² after the decay, ||direction||², ||W||² after the step: what the sums of squares write (SPEC §6.2). */
    double[] sphereNorms(double[] param, double[] direction, double[] hyper) {
        double lr = hyper[Hyper.LR], keep = 1 - lr * hyper[Hyper.WEIGHT_DECAY];
        double[] w = param.clone();
        for (int i = 0; i < w.length; i++) w[i] *= keep;
        double radius = SphereRef.norm(w), length = Math.max(SphereRef.norm(direction), 1e-8);
        for (int i = 0; i < w.length; i++) w[i] -= lr * radius * direction[i] / length;
        double stepped = SphereRef.norm(w);
        return new double[] {radius * radius, length * length, stepped * stepped};
    }

    static final String WHY_SPHERE_NORMS = "squares summed in double, stored in float: one rounding (plus the float inputs')";
    static final String WHY_SPHERE_STEP = "a relative step of 0.05 then a rescale to the radius: a few roundings of W, ~1e-6 of the change";

    List<Probe> sphereStep(Fixture f) {
        int n = T * C;
        Buffer p = f.random("param", Role.PARAM, -0.2, 0.2, T, C), dir = f.random("direction", Role.ACTIVATION, -1, 1, T, C);
        Buffer hyper = f.written("hyper", Role.OPTIMIZER, Hyper.SIZE);
        Hyper.setMuon(hyper.f, 0.05f, 0.95f, 0.1f, 3, 1f);
        Buffer norms = f.written("norms", Role.ACTIVATION, Hyper.SphereNorms.SIZE);
        Stage st = sphereTasks(f.forward("sphere.step"), p, dir, norms, hyper, n);
        double[] base = d(p), rP = d(p);
        SphereRef.sphereStep(rP, d(dir), d(hyper));
        return List.of(new Probe("sphere.step", st, List.of(
                Expect.elementwise(norms, sphereNorms(base, d(dir), d(hyper)), ROUNDING, WHY_SPHERE_NORMS),
                Expect.delta(p, base, rP, POINTWISE, WHY_SPHERE_STEP))));
    }

    /** Adam on the sphere as HyperP runs it for an untied LM head: Adam's direction, then the sphere update. */
    List<Probe> sphereAdam(Fixture f) {
        int n = V * C;
        Buffer p = f.random("param", Role.PARAM, -0.2, 0.2, V, C), g = f.random("param.grad", Role.GRAD, -1, 1, V, C);
        Buffer m = f.random("m", Role.OPTIMIZER, -0.1, 0.1, n), v = f.random("v", Role.OPTIMIZER, 0, 0.01, n);
        Buffer hyper = f.written("hyper", Role.OPTIMIZER, Hyper.SIZE);
        Hyper.setAdamW(hyper.f, 0.05f, 0.9f, 0.95f, 1e-8f, 0f, 3, 0.7f); // HyperP: no weight decay on the head
        Buffer dir = f.written("direction", Role.ACTIVATION, n), norms = f.written("norms", Role.ACTIVATION, Hyper.SphereNorms.SIZE);
        Stage st = f.forward("sphere.adam", new Task.SphereAdamDirection(dir, m, v, g, hyper, n));
        sphereTasks(st, p, dir, norms, hyper, n);
        double[] base = d(p), rP = d(p), rM = d(m), rV = d(v), h = d(hyper);
        SphereRef.adamStep(rP, rM, rV, d(g), h);
        double t = h[Hyper.STEP];
        double[] rDir = new double[n];
        for (int i = 0; i < n; i++) {
            double mHat = rM[i] / (1 - Math.pow(h[Hyper.BETA1], t)), vHat = rV[i] / (1 - Math.pow(h[Hyper.BETA2], t));
            rDir[i] = mHat / (Math.sqrt(vHat) + h[Hyper.EPS]);
        }
        return List.of(new Probe("sphere.adam", st, List.of(
                Expect.elementwise(dir, rDir, POINTWISE, "bias-corrected m / sqrt(v): a few roundings and a square root"),
                Expect.elementwise(m, rM, POINTWISE, "a float moving average: a few roundings"),
                Expect.elementwise(v, rV, POINTWISE, "a float moving average: a few roundings"),
                Expect.elementwise(norms, sphereNorms(base, rDir, h), POINTWISE,
                        WHY_SPHERE_NORMS + ", of a direction a few roundings off"),
                Expect.delta(p, base, rP, POINTWISE, WHY_SPHERE_STEP))));
    }
}
