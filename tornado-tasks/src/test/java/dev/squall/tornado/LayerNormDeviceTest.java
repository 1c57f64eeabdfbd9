package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.LayerNormRef;
import dev.squall.tornado.kernels.ColumnSums;
import dev.squall.tornado.kernels.LayerNormKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * LayerNorm forward and backward on the default TornadoVM device against the double reference, with
 * and without beta; outputs NaN-poisoned, dgamma and dbeta accumulated onto a random base.
 */
class LayerNormDeviceTest {
    static final float EPS = 1e-5f;
    static final int G = LayerNormKernels.ROW_GROUP;

    @ParameterizedTest(name = "N={0} C={1} bias={2}")
    @CsvSource({"1,1,true", "3,7,false", "13,31,true", "7,127,false", "65,100,true", "33,1024,true"})
    void forwardAndBackwardMatchTheReference(int N, int C, boolean withBias) {
        long seed = 37L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), bb = normal(seed + 4, C, 1.0);
        float[] g = normal(seed + 2, N * C, 1.0);
        // A common offset per row: the two-pass variance must not lose it to cancellation.
        for (int i = 0; i < N * C; i++) x[i] += 3.0f;
        float[] dwBase = normal(seed + 3, C, 1.0), dbBase = normal(seed + 5, C, 1.0);
        int blocks = LayerNormKernels.blocks(N);

        FloatArray inp = FloatArray.fromArray(x), weight = FloatArray.fromArray(w), bias = FloatArray.fromArray(bb);
        FloatArray dout = FloatArray.fromArray(g);
        FloatArray out = poisoned(N * C), mean = poisoned(N), rstd = poisoned(N), dinp = poisoned(N * C);
        FloatArray wp = poisoned(blocks * C), bp = poisoned(blocks * C);
        FloatArray dweight = FloatArray.fromArray(dwBase), dbias = FloatArray.fromArray(dbBase);
        KernelContext ctx = new KernelContext();
        String name = withBias ? "lnb" : "ln";
        TaskGraph graph = new TaskGraph(name)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, weight, bias, dout, out, mean, rstd, dinp,
                        wp, bp, dweight, dbias);
        if (withBias) graph.task("fwd", LayerNormKernels::forward, ctx, out, mean, rstd, inp, weight, bias, C, EPS);
        else graph.task("fwd", LayerNormKernels::forwardNoBias, ctx, out, mean, rstd, inp, weight, C, EPS);
        graph.task("bwd", LayerNormKernels::backwardInput, ctx, dinp, dout, inp, weight, mean, rstd, C);
        if (withBias) {
            graph.task("pp", LayerNormKernels::paramPartials, ctx, wp, bp, dout, inp, mean, rstd, N, C)
                    .task("dwr", ColumnSums::addColumns, ctx, dweight, wp, C, blocks)
                    .task("dbr", ColumnSums::addColumns, ctx, dbias, bp, C, blocks);
        } else {
            graph.task("pp", LayerNormKernels::weightPartials, ctx, wp, dout, inp, mean, rstd, N, C)
                    .task("dwr", ColumnSums::addColumns, ctx, dweight, wp, C, blocks);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out, mean, rstd, dinp, dweight, dbias);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid(name + ".fwd", grid(N * G, G));
        grids.addWorkerGrid(name + ".bwd", grid(N * G, G));
        grids.addWorkerGrid(name + ".pp", grid(blocks * C, 0));
        grids.addWorkerGrid(name + ".dwr", grid(C, 0));
        if (withBias) grids.addWorkerGrid(name + ".dbr", grid(C, 0));
        run(graph, grids);

        double[] rOut = new double[N * C], rMean = new double[N], rRstd = new double[N], rDx = new double[N * C];
        double[] rDw = new double[C], rDb = withBias ? new double[C] : null;
        LayerNormRef.forward(rOut, rMean, rRstd, d(x), d(w), withBias ? d(bb) : null, N, C, EPS);
        LayerNormRef.backward(rDx, rDw, rDb, d(g), d(x), d(w), rMean, rRstd, N, C);
        // float32 after length-C reductions; the offset of 3 costs a few ulps of the mean.
        close("out", out, rOut, 1e-5, 1e-5);
        close("mean", mean, rMean, 1e-5, 1e-6);
        close("rstd", rstd, rRstd, 1e-5, 0);
        close("dx", dinp, rDx, 1e-4, 1e-5);
        // Grid-wide sums over N rows: error grows like sqrt(N).
        close("dgamma", dweight, plus(dwBase, rDw), 1e-4, 1e-5 * Math.sqrt(N));
        if (withBias) close("dbeta", dbias, plus(dbBase, rDb), 1e-4, 1e-5 * Math.sqrt(N));
        else close("dbeta untouched", dbias, d(dbBase), 0, 0);
    }
}
