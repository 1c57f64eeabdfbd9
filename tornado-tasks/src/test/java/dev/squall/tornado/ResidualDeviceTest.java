package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.ResidualRef;
import dev.squall.tornado.kernels.ResidualKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Residual adds on the default TornadoVM device against the double reference: the output
 * NaN-poisoned, the accumulate target on a random base.
 */
class ResidualDeviceTest {

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3, 91, 127, 2145, 32768})
    void everyOpMatchesTheReference(int n) {
        long seed = 17L * n;
        float[] a = normal(seed, n, 1.0), b = normal(seed + 1, n, 1.0);
        float[] dstBase = normal(seed + 3, n, 1.0);

        FloatArray fa = FloatArray.fromArray(a), fb = FloatArray.fromArray(b);
        FloatArray dst = FloatArray.fromArray(dstBase), out = poisoned(n);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("res")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, fa, fb, dst, out)
                .task("fwd", ResidualKernels::forward, ctx, out, fa, fb, n)
                .task("acc", ResidualKernels::accumulate, ctx, dst, fb, n)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, dst);
        GridScheduler grids = new GridScheduler();
        for (String t : new String[] {"fwd", "acc"}) grids.addWorkerGrid("res." + t, grid(n, 0));
        run(graph, grids);

        double[] rOut = new double[n], rDst = d(dstBase);
        ResidualRef.forward(rOut, d(a), d(b), n);
        ResidualRef.accumulate(rDst, d(b), n);
        // One float rounding per element of O(1) values: a few ulps plus an absolute floor for cancellation.
        close("out", out, rOut, 1e-6, 1e-7);
        close("dst", dst, rDst, 1e-6, 1e-7);
    }
}
