package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.HeadRmsNormRef;
import dev.squall.tornado.kernels.ColumnSums;
import dev.squall.tornado.kernels.RmsNormKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Per-head RMSNorm forward and backward on the default TornadoVM device against the double reference
 * (explicit token and head loops), outputs NaN-poisoned, the shared dweight accumulated onto a random base.
 * The device runs it as the backend lowers it: the RMSNorm kernels over N * nHeads rows of width hd.
 */
class HeadRmsNormDeviceTest {
    static final float EPS = 1e-5f;
    static final int G = RmsNormKernels.ROW_GROUP;

    @ParameterizedTest(name = "N={0} heads={1} hd={2}")
    @CsvSource({"1,1,1", "3,2,7", "13,3,31", "7,4,65", "65,5,33", "33,8,128"})
    void forwardAndBackwardMatchTheReference(int N, int nHeads, int hd) {
        long seed = 47L * N + 7L * nHeads + hd;
        int C = nHeads * hd, R = N * nHeads, blocks = RmsNormKernels.blocks(R);
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, hd, 1.0), g = normal(seed + 2, N * C, 1.0);
        float[] dwBase = normal(seed + 3, hd, 1.0);

        FloatArray inp = FloatArray.fromArray(x), weight = FloatArray.fromArray(w), dout = FloatArray.fromArray(g);
        FloatArray out = poisoned(N * C), rstd = poisoned(R), dinp = poisoned(N * C), partials = poisoned(blocks * hd);
        FloatArray dweight = FloatArray.fromArray(dwBase);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("hrms")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, weight, dout, out, rstd, dinp, partials, dweight)
                .task("fwd", RmsNormKernels::rmsnormForward, ctx, out, rstd, inp, weight, hd, EPS)
                .task("bwd", RmsNormKernels::rmsnormBackwardInput, ctx, dinp, dout, inp, weight, rstd, hd)
                .task("dwp", RmsNormKernels::weightPartials, ctx, partials, dout, inp, rstd, R, hd)
                .task("dwr", ColumnSums::addColumns, ctx, dweight, partials, hd, blocks)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, rstd, dinp, dweight);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("hrms.fwd", grid(R * G, G));
        grids.addWorkerGrid("hrms.bwd", grid(R * G, G));
        grids.addWorkerGrid("hrms.dwp", grid(blocks * hd, 0));
        grids.addWorkerGrid("hrms.dwr", grid(hd, 0));
        run(graph, grids);

        double[] rOut = new double[N * C], rRstd = new double[R], rDx = new double[N * C], rDw = new double[hd];
        HeadRmsNormRef.forward(rOut, rRstd, d(x), d(w), N, nHeads, hd, EPS);
        HeadRmsNormRef.backward(rDx, rDw, d(g), d(x), d(w), rRstd, N, nHeads, hd);
        // float32 after length-hd reductions, as RMSNorm's device test.
        close("out", out, rOut, 1e-5, 1e-6);
        close("rstd", rstd, rRstd, 1e-5, 0);
        close("dx", dinp, rDx, 1e-4, 1e-5);
        // dweight sums over N * nHeads head-rows: error grows like sqrt(R).
        close("dgain", dweight, plus(dwBase, rDw), 1e-4, 1e-5 * Math.sqrt(R));
    }
}
