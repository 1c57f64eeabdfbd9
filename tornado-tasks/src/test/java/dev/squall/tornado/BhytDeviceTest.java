package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.BhytRef;
import dev.squall.tornado.kernels.BhytKernels;
import dev.squall.tornado.kernels.BhytStarKernels;
import dev.squall.tornado.kernels.ColumnSums;
import dev.squall.tornado.kernels.DynamicTanhKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * One BHyT block's norms on the default TornadoVM device against the double reference: the statistic
 * and the input norm (BHyT*'s forward, as the lowering runs them), the second norm (variance
 * approximation), both backwards (dh, the cross gradient into x, dgamma1/2, dlambda1/2), and c_attn under GQA. Outputs NaN-poisoned, parameter gradients
 * accumulated onto a random base.
 */
class BhytDeviceTest {
    static final float KAPPA = BhytKernels.KAPPA, EPS = BhytKernels.EPS;
    static final int G = BhytKernels.ROW_GROUP;

    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1,1", "3,7", "13,31", "7,127", "65,100", "33,1024"})
    void blockNormsMatchTheReference(int N, int C) {
        long seed = 59L * N + C;
        float[] x = normal(seed, N * C, 2.0), hh = normal(seed + 6, N * C, 2.5);
        float[] w1 = normal(seed + 1, C, 1.0), w2 = normal(seed + 7, C, 1.0);
        float[] g1 = normal(seed + 2, N * C, 1.0), g2 = normal(seed + 8, N * C, 1.0);
        float[] l1 = {2.0f}, l2 = {1.5f}, ca = {0.8f}, dl1Base = {0.4f}, dl2Base = {-0.3f};
        float[] dw1Base = normal(seed + 3, C, 1.0), dw2Base = normal(seed + 9, C, 1.0);
        int blocks = BhytKernels.blocks(N);

        FloatArray inp = FloatArray.fromArray(x), h = FloatArray.fromArray(hh);
        FloatArray weight1 = FloatArray.fromArray(w1), weight2 = FloatArray.fromArray(w2);
        FloatArray dout1 = FloatArray.fromArray(g1), dout2 = FloatArray.fromArray(g2);
        FloatArray lambda1 = FloatArray.fromArray(l1), lambda2 = FloatArray.fromArray(l2), cAttn = FloatArray.fromArray(ca);
        FloatArray meanSq = poisoned(N), rho2 = poisoned(N), out1 = poisoned(N * C), out2 = poisoned(N * C);
        FloatArray dinp = poisoned(N * C), dh = poisoned(N * C), cross = poisoned(N * C);
        FloatArray rows1 = poisoned(N), rows2 = poisoned(N), p1 = poisoned(blocks * C), p2 = poisoned(blocks * C);
        FloatArray dweight1 = FloatArray.fromArray(dw1Base), dweight2 = FloatArray.fromArray(dw2Base);
        FloatArray dlambda1 = FloatArray.fromArray(dl1Base), dlambda2 = FloatArray.fromArray(dl2Base);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("bh")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, h, weight1, weight2, dout1, dout2, lambda1,
                        lambda2, cAttn, meanSq, rho2, out1, out2, dinp, dh, cross, rows1, rows2, p1, p2, dweight1,
                        dweight2, dlambda1, dlambda2)
                .task("f1", BhytStarKernels::forward, ctx, out1, meanSq, inp, lambda1, weight1, C, KAPPA, EPS)
                .task("f2", BhytKernels::forwardSecond, ctx, out2, rho2, h, meanSq, cAttn, lambda1, lambda2, weight2,
                        C, KAPPA, EPS)
                .task("b2", BhytKernels::backwardSecondRows, ctx, dh, cross, rows2, dout2, h, inp, rho2, lambda2,
                        weight2, C, KAPPA)
                .task("l2", DynamicTanhKernels::addScalar, ctx, dlambda2, rows2, N)
                .task("p2", BhytKernels::secondGainPartials, ctx, p2, dout2, h, rho2, lambda2, N, C)
                .task("w2", ColumnSums::addColumns, ctx, dweight2, p2, C, blocks)
                .task("b1", BhytKernels::backwardInputRows, ctx, dinp, rows1, dout1, inp, meanSq, lambda1, weight1, C,
                        KAPPA, EPS)
                .task("l1", DynamicTanhKernels::addScalar, ctx, dlambda1, rows1, N)
                .task("p1", BhytKernels::inputGainPartials, ctx, p1, dout1, inp, meanSq, lambda1, N, C, KAPPA, EPS)
                .task("w1", ColumnSums::addColumns, ctx, dweight1, p1, C, blocks)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, meanSq, rho2, out1, out2, dinp, dh, cross, dweight1,
                        dweight2, dlambda1, dlambda2);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("bh.f1", grid(N * G, G));
        grids.addWorkerGrid("bh.f2", grid(N * C, 0));
        grids.addWorkerGrid("bh.b2", grid(N * G, G));
        grids.addWorkerGrid("bh.l2", grid(1, 0));
        grids.addWorkerGrid("bh.p2", grid(blocks * C, 0));
        grids.addWorkerGrid("bh.w2", grid(C, 0));
        grids.addWorkerGrid("bh.b1", grid(N * G, G));
        grids.addWorkerGrid("bh.l1", grid(1, 0));
        grids.addWorkerGrid("bh.p1", grid(blocks * C, 0));
        grids.addWorkerGrid("bh.w1", grid(C, 0));
        run(graph, grids);

        double[] rMs = new double[N], rRho2 = new double[N], rOut1 = new double[N * C], rOut2 = new double[N * C];
        double[] rDx = new double[N * C], rDh = new double[N * C], rCross = new double[N * C];
        double[] rDw1 = new double[C], rDw2 = new double[C], rDl1 = new double[1], rDl2 = new double[1];
        BhytRef.statistic(rMs, d(x), N, C);
        BhytRef.forwardInput(rOut1, d(x), rMs, d(l1), d(w1), N, C, KAPPA, EPS);
        BhytRef.forwardSecond(rOut2, rRho2, d(hh), rMs, d(ca), d(l1), d(l2), d(w2), N, C, KAPPA, EPS);
        BhytRef.backwardSecond(rDh, rCross, rDl2, rDw2, d(g2), d(hh), d(x), rRho2, d(l2), d(w2), N, C, KAPPA);
        BhytRef.backwardInput(rDx, rDl1, rDw1, d(g1), d(x), rMs, d(l1), d(w1), N, C, KAPPA, EPS);
        // float32 after length-C reductions, as RMSNorm's device test.
        close("meanSq", meanSq, rMs, 1e-5, 0);
        close("rho2", rho2, rRho2, 1e-5, 0);
        close("n1", out1, rOut1, 1e-5, 1e-6);
        close("n2", out2, rOut2, 1e-5, 1e-6);
        close("dx", dinp, rDx, 1e-4, 1e-6);
        close("dh", dh, rDh, 1e-5, 1e-6);
        close("dxCross", cross, rCross, 1e-4, 1e-6);
        // Grid-wide sums over N rows (dgamma) and N*C elements (dlambda): error grows like sqrt(count).
        close("dgamma1", dweight1, plus(dw1Base, rDw1), 1e-4, 1e-5 * Math.sqrt(N));
        close("dgamma2", dweight2, plus(dw2Base, rDw2), 1e-4, 1e-5 * Math.sqrt(N));
        close("dlambda1", dlambda1, plus(dl1Base, rDl1), 1e-4, 1e-5 * Math.sqrt((double) N * C));
        close("dlambda2", dlambda2, plus(dl2Base, rDl2), 1e-4, 1e-5 * Math.sqrt((double) N * C));
    }

    @ParameterizedTest(name = "C={0} heads={1} kv={2} hd={3} T={4}")
    @CsvSource({"1,1,1,1,1", "7,2,1,3,5", "13,4,2,4,16", "33,6,3,8,64", "96,12,4,8,256"})
    void cAttnMatchesTheReference(int C, int nHeads, int nKvHeads, int hd, int seqLen) {
        long seed = 61L * C + nHeads + 7L * hd;
        int D = nHeads * hd;
        float[] v = normal(seed, nKvHeads * hd * C, 0.05), o = normal(seed + 1, C * D, 0.05);
        FloatArray wv = FloatArray.fromArray(v), wo = FloatArray.fromArray(o), cRows = poisoned(C), cOut = poisoned(1);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("ca")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, wv, wo, cRows, cOut)
                .task("rows", BhytKernels::cAttnRows, ctx, cRows, wv, wo, C, nHeads, nKvHeads, hd)
                .task("fin", BhytKernels::cAttnFinish, ctx, cOut, cRows, C, seqLen)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, cOut);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("ca.rows", grid(C * G, G));
        grids.addWorkerGrid("ca.fin", grid(1, 0));
        run(graph, grids);
        double[] want = new double[1];
        BhytRef.cAttn(want, d(v), d(o), C, nHeads, nKvHeads, hd, seqLen);
        // A sum of C^2 squares of length-(nKvHeads*hd*group) dot products, all positive: float32 relative error.
        close("cAttn", cOut, want, 1e-5, 0);
    }
}
