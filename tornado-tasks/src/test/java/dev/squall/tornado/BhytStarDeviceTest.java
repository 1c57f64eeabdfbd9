package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.BhytStarRef;
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
 * BHyT* forward and backward on the default TornadoVM device against the double reference, outputs
 * NaN-poisoned, dgamma and dlambda accumulated onto a random base.
 */
class BhytStarDeviceTest {
    static final float KAPPA = BhytKernels.KAPPA, EPS = BhytKernels.EPS;
    static final int G = BhytStarKernels.ROW_GROUP;

    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1,1", "3,7", "13,31", "7,127", "65,100", "33,1024"})
    void forwardAndBackwardMatchTheReference(int N, int C) {
        long seed = 53L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), g = normal(seed + 2, N * C, 1.0);
        float[] lam = {2.0f}, dlBase = {0.4f}, dwBase = normal(seed + 3, C, 1.0);
        int blocks = BhytKernels.blocks(N);

        FloatArray inp = FloatArray.fromArray(x), weight = FloatArray.fromArray(w), dout = FloatArray.fromArray(g);
        FloatArray lambda = FloatArray.fromArray(lam);
        FloatArray out = poisoned(N * C), meanSq = poisoned(N), dinp = poisoned(N * C), rows = poisoned(N);
        FloatArray partials = poisoned(blocks * C);
        FloatArray dweight = FloatArray.fromArray(dwBase), dlambda = FloatArray.fromArray(dlBase);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("bhs")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, weight, dout, lambda, out, meanSq, dinp, rows,
                        partials, dweight, dlambda)
                .task("fwd", BhytStarKernels::forward, ctx, out, meanSq, inp, lambda, weight, C, KAPPA, EPS)
                .task("bwd", BhytKernels::backwardInputRows, ctx, dinp, rows, dout, inp, meanSq, lambda, weight, C,
                        KAPPA, EPS)
                .task("dlr", DynamicTanhKernels::addScalar, ctx, dlambda, rows, N)
                .task("dwp", BhytKernels::inputGainPartials, ctx, partials, dout, inp, meanSq, lambda, N, C, KAPPA, EPS)
                .task("dwr", ColumnSums::addColumns, ctx, dweight, partials, C, blocks)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, meanSq, dinp, dweight, dlambda);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("bhs.fwd", grid(N * G, G));
        grids.addWorkerGrid("bhs.bwd", grid(N * G, G));
        grids.addWorkerGrid("bhs.dlr", grid(1, 0));
        grids.addWorkerGrid("bhs.dwp", grid(blocks * C, 0));
        grids.addWorkerGrid("bhs.dwr", grid(C, 0));
        run(graph, grids);

        double[] rOut = new double[N * C], rMs = new double[N], rDx = new double[N * C], rDw = new double[C];
        double[] rDl = new double[1];
        BhytStarRef.forward(rOut, rMs, d(x), d(lam), d(w), N, C, KAPPA, EPS);
        BhytStarRef.backward(rDx, rDl, rDw, d(g), d(x), rMs, d(lam), d(w), N, C, KAPPA, EPS);
        // float32 after length-C reductions, as RMSNorm's device test.
        close("out", out, rOut, 1e-5, 1e-6);
        close("meanSq", meanSq, rMs, 1e-5, 0);
        close("dx", dinp, rDx, 1e-4, 1e-6);
        // Grid-wide sums over N rows (dgamma) and N*C elements (dlambda): error grows like sqrt(count).
        close("dgamma", dweight, plus(dwBase, rDw), 1e-4, 1e-5 * Math.sqrt(N));
        close("dlambda", dlambda, plus(dlBase, rDl), 1e-4, 1e-5 * Math.sqrt((double) N * C));
    }
}
