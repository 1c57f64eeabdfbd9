package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.RmsNormRef;
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
 * RMSNorm forward and backward on the default TornadoVM device against the double reference,
 * with outputs NaN-poisoned and dweight accumulated onto a random base. Bailout is off (the
 * surefire flags), so a kernel that did not compile for the device fails here.
 */
class RmsNormDeviceTest {
    static final float EPS = 1e-5f;

    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1,1", "3,7", "13,31", "7,127", "65,100", "33,1024"})
    void forwardAndBackwardMatchTheReference(int N, int C) {
        long seed = 31L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), g = normal(seed + 2, N * C, 1.0);
        float[] dwBase = normal(seed + 3, C, 1.0);
        int blocks = RmsNormKernels.blocks(N);

        FloatArray inp = FloatArray.fromArray(x), weight = FloatArray.fromArray(w), dout = FloatArray.fromArray(g);
        FloatArray out = poisoned(N * C), rstd = poisoned(N), dinp = poisoned(N * C), partials = poisoned(blocks * C);
        FloatArray dweight = FloatArray.fromArray(dwBase);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("rms")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, weight, dout, out, rstd, dinp, partials, dweight)
                .task("fwd", RmsNormKernels::rmsnormForward, ctx, out, rstd, inp, weight, C, EPS)
                .task("bwd", RmsNormKernels::rmsnormBackwardInput, ctx, dinp, dout, inp, weight, rstd, C)
                .task("dwp", RmsNormKernels::weightPartials, ctx, partials, dout, inp, rstd, N, C)
                .task("dwr", ColumnSums::addColumns, ctx, dweight, partials, C, blocks)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, rstd, dinp, dweight);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("rms.fwd", grid(N * RmsNormKernels.ROW_GROUP, RmsNormKernels.ROW_GROUP));
        grids.addWorkerGrid("rms.bwd", grid(N * RmsNormKernels.ROW_GROUP, RmsNormKernels.ROW_GROUP));
        grids.addWorkerGrid("rms.dwp", grid(blocks * C, 0));
        grids.addWorkerGrid("rms.dwr", grid(C, 0));
        run(graph, grids);

        double[] rOut = new double[N * C], rRstd = new double[N], rDx = new double[N * C], rDw = new double[C];
        RmsNormRef.forward(rOut, rRstd, d(x), d(w), N, C, EPS);
        RmsNormRef.backward(rDx, rDw, d(g), d(x), d(w), rRstd, N, C);
        double[] wantDw = plus(dwBase, rDw);
        // Same tolerances as the JVM kernel's test: elementwise after a length-C reduction.
        close("out", out, rOut, 1e-5, 1e-6);
        close("rstd", rstd, rRstd, 1e-5, 0);
        close("dx", dinp, rDx, 1e-4, 1e-5);
        close("dgamma", dweight, wantDw, 1e-4, 1e-5 * Math.sqrt(N));
    }
}
