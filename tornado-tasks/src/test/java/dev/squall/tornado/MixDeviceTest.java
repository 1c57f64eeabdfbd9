package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.MixRef;
import dev.squall.tornado.kernels.MixKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Mix forward and the three backward entry points on the default TornadoVM device against the double
 * reference, outputs NaN-poisoned. Elementwise products of floats: float rounding only.
 */
class MixDeviceTest {

    @ParameterizedTest(name = "n={0}")
    @CsvSource({"1", "7", "33", "1000"})
    void forwardAndBackwardsMatchTheReference(int n) {
        float alpha = 0.8660254f, beta = 0.5f;
        float[] a = normal(n, n, 1.0), b = normal(n + 1, n, 2.0), g = normal(n + 2, n, 1.0);
        FloatArray fa = FloatArray.fromArray(a), fb = FloatArray.fromArray(b), dout = FloatArray.fromArray(g);
        FloatArray out = poisoned(n), da = poisoned(n), db = poisoned(n), daOnly = poisoned(n), dbOnly = poisoned(n);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("mix")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, fa, fb, dout, out, da, db, daOnly, dbOnly)
                .task("fwd", MixKernels::forward, ctx, out, fa, fb, alpha, beta, n)
                .task("bwd", MixKernels::backward, ctx, da, db, dout, alpha, beta, n)
                .task("bwdA", MixKernels::backwardA, ctx, daOnly, dout, alpha, n)
                .task("bwdB", MixKernels::backwardB, ctx, dbOnly, dout, beta, n)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, da, db, daOnly, dbOnly);
        GridScheduler grids = new GridScheduler();
        for (String t : new String[] {"fwd", "bwd", "bwdA", "bwdB"}) grids.addWorkerGrid("mix." + t, grid(n, 0));
        run(graph, grids);

        double[] rOut = new double[n], rDa = new double[n], rDb = new double[n];
        MixRef.forward(rOut, d(a), d(b), alpha, beta, n);
        MixRef.backward(rDa, rDb, d(g), alpha, beta, n);
        // Two products and a sum in float: a few ulps.
        close("out", out, rOut, 1e-6, 1e-7);
        close("da", da, rDa, 1e-6, 0);
        close("db", db, rDb, 1e-6, 0);
        close("da alone", daOnly, rDa, 1e-6, 0);
        close("db alone", dbOnly, rDb, 1e-6, 0);
    }
}
