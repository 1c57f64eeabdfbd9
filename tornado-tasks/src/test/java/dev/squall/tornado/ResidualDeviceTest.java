package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.ResidualRef;
import dev.squall.tornado.kernels.ColumnSums;
import dev.squall.tornado.kernels.ResidualKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Residual adds on the default TornadoVM device against the double reference: outputs and written
 * gradients NaN-poisoned, the accumulate target and dscale on a random base.
 */
class ResidualDeviceTest {

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3, 91, 127, 2145, 32768})
    void everyOpMatchesTheReference(int n) {
        long seed = 17L * n;
        float[] a = normal(seed, n, 1.0), b = normal(seed + 1, n, 1.0), g = normal(seed + 2, n, 1.0);
        float[] dstBase = normal(seed + 3, n, 1.0);
        float[] sc = {0.37f}, dsBase = {0.5f};
        int blocks = ResidualKernels.blocks(n);

        FloatArray fa = FloatArray.fromArray(a), fb = FloatArray.fromArray(b), dout = FloatArray.fromArray(g);
        FloatArray scale = FloatArray.fromArray(sc), dst = FloatArray.fromArray(dstBase), dscale = FloatArray.fromArray(dsBase);
        FloatArray out = poisoned(n), outScaled = poisoned(n), da = poisoned(n), db = poisoned(n), partials = poisoned(blocks);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("res")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, fa, fb, dout, scale, dst, dscale, out, outScaled, da, db, partials)
                .task("fwd", ResidualKernels::forward, ctx, out, fa, fb, n)
                .task("acc", ResidualKernels::accumulate, ctx, dst, fb, n)
                .task("sfwd", ResidualKernels::scaledAdd, ctx, outScaled, fa, fb, scale, n)
                .task("sbwd", ResidualKernels::scaledAddBackward, ctx, da, db, dout, scale, n)
                .task("dsp", ResidualKernels::dscalePartials, ctx, partials, dout, fb, n)
                .task("dsr", ColumnSums::addColumns, ctx, dscale, partials, 1, blocks)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, dst, outScaled, da, db, dscale);
        GridScheduler grids = new GridScheduler();
        for (String t : new String[] {"fwd", "acc", "sfwd", "sbwd"}) grids.addWorkerGrid("res." + t, grid(n, 0));
        grids.addWorkerGrid("res.dsp", grid(blocks, 0));
        grids.addWorkerGrid("res.dsr", grid(1, 0));
        run(graph, grids);

        double[] rOut = new double[n], rScaled = new double[n], rDa = new double[n], rDb = new double[n];
        double[] rDst = d(dstBase), rDs = d(dsBase);
        ResidualRef.forward(rOut, d(a), d(b), n);
        ResidualRef.accumulate(rDst, d(b), n);
        ResidualRef.scaledAdd(rScaled, d(a), d(b), d(sc), n);
        ResidualRef.scaledAddBackward(rDa, rDb, rDs, d(g), d(b), d(sc), n);
        // One or two float roundings per element of O(1) values: a few ulps plus an absolute floor for cancellation.
        close("out", out, rOut, 1e-6, 1e-7);
        close("dst", dst, rDst, 1e-6, 1e-7);
        close("scaledOut", outScaled, rScaled, 1e-6, 2e-7);
        close("da", da, rDa, 0, 0);
        close("db", db, rDb, 1e-6, 0);
        // dscale: a float sum of n O(1) products; rounding error grows ~ sqrt(n) * |partial sums| ~ n * ulp.
        close("dscale", dscale, rDs, 1e-5, 1e-6 * n);
    }
}
