package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.DynamicTanhRef;
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
 * DyT forward and backward on the default TornadoVM device against the double reference, with and
 * without beta; outputs NaN-poisoned, dgamma, dbeta and dalpha accumulated onto a random base.
 */
class DynamicTanhDeviceTest {
    static final int G = DynamicTanhKernels.ROW_GROUP;

    @ParameterizedTest(name = "N={0} C={1} bias={2}")
    @CsvSource({"1,1,true", "3,7,false", "13,31,true", "7,127,false", "65,100,true", "33,1024,true"})
    void forwardAndBackwardMatchTheReference(int N, int C, boolean withBias) {
        long seed = 41L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), bb = normal(seed + 4, C, 1.0);
        float[] g = normal(seed + 2, N * C, 1.0);
        float[] al = {0.7f}, daBase = {0.3f};
        float[] dwBase = normal(seed + 3, C, 1.0), dbBase = normal(seed + 5, C, 1.0);
        int blocks = DynamicTanhKernels.blocks(N);

        FloatArray inp = FloatArray.fromArray(x), weight = FloatArray.fromArray(w), bias = FloatArray.fromArray(bb);
        FloatArray dout = FloatArray.fromArray(g), alpha = FloatArray.fromArray(al);
        FloatArray out = poisoned(N * C), dinp = poisoned(N * C), rows = poisoned(N);
        FloatArray wp = poisoned(blocks * C), bp = poisoned(blocks * C);
        FloatArray dweight = FloatArray.fromArray(dwBase), dbias = FloatArray.fromArray(dbBase);
        FloatArray dalpha = FloatArray.fromArray(daBase);
        KernelContext ctx = new KernelContext();
        String name = withBias ? "dytb" : "dyt";
        TaskGraph graph = new TaskGraph(name)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, weight, bias, dout, alpha, out, dinp, rows,
                        wp, bp, dweight, dbias, dalpha);
        if (withBias) graph.task("fwd", DynamicTanhKernels::forward, ctx, out, inp, alpha, weight, bias, C);
        else graph.task("fwd", DynamicTanhKernels::forwardNoBias, ctx, out, inp, alpha, weight, C);
        graph.task("bwd", DynamicTanhKernels::backwardRows, ctx, dinp, rows, dout, inp, alpha, weight, C)
                .task("dar", DynamicTanhKernels::addScalar, ctx, dalpha, rows, N);
        if (withBias) {
            graph.task("pp", DynamicTanhKernels::paramPartials, ctx, wp, bp, dout, inp, alpha, N, C)
                    .task("dwr", ColumnSums::addColumns, ctx, dweight, wp, C, blocks)
                    .task("dbr", ColumnSums::addColumns, ctx, dbias, bp, C, blocks);
        } else {
            graph.task("pp", DynamicTanhKernels::weightPartials, ctx, wp, dout, inp, alpha, N, C)
                    .task("dwr", ColumnSums::addColumns, ctx, dweight, wp, C, blocks);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out, dinp, dweight, dbias, dalpha);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid(name + ".fwd", grid(N * C, 0));
        grids.addWorkerGrid(name + ".bwd", grid(N * G, G));
        grids.addWorkerGrid(name + ".dar", grid(1, 0));
        grids.addWorkerGrid(name + ".pp", grid(blocks * C, 0));
        grids.addWorkerGrid(name + ".dwr", grid(C, 0));
        if (withBias) grids.addWorkerGrid(name + ".dbr", grid(C, 0));
        run(graph, grids);

        double[] rOut = new double[N * C], rDx = new double[N * C], rDw = new double[C];
        double[] rDb = withBias ? new double[C] : null, rDa = new double[1];
        DynamicTanhRef.forward(rOut, d(x), d(al), d(w), withBias ? d(bb) : null, N, C);
        DynamicTanhRef.backward(rDx, rDa, rDw, rDb, d(g), d(x), d(al), d(w), N, C);
        // Elementwise float32 tanh: a few ulps (OpenCL tanh is within 5 ulp).
        close("out", out, rOut, 1e-5, 1e-6);
        close("dx", dinp, rDx, 1e-5, 1e-6);
        // Grid-wide sums: dgamma/dbeta over N rows, dalpha over N*C elements; error grows like sqrt(count).
        close("dgamma", dweight, plus(dwBase, rDw), 1e-4, 1e-5 * Math.sqrt(N));
        if (withBias) close("dbeta", dbias, plus(dbBase, rDb), 1e-4, 1e-5 * Math.sqrt(N));
        else close("dbeta untouched", dbias, d(dbBase), 0, 0);
        close("dalpha", dalpha, plus(daBase, rDa), 1e-4, 1e-5 * Math.sqrt((double) N * C));
    }
}
