package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.SwiGluRef;
import dev.squall.tornado.kernels.SwiGluKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * SwiGLU forward and backward on the default TornadoVM device against the double reference, outputs
 * NaN-poisoned; gates span +-40 (scale 8 plus planted extremes) to exercise the overflow-safe sigmoid.
 */
class SwiGluDeviceTest {

    @ParameterizedTest(name = "N={0} Hf={1}")
    @CsvSource({"1,1", "3,7", "13,31", "7,127", "65,33", "64,1024"})
    void forwardAndBackwardMatchTheReference(int N, int Hf) {
        long seed = 29L * N + Hf;
        float[] gu = normal(seed, N * 2 * Hf, 8.0), g = normal(seed + 1, N * Hf, 1.0);
        gu[0] = 40f;
        if (Hf > 1) gu[1] = -40f;
        if (Hf > 2) gu[2] = 0f;
        FloatArray fgu = FloatArray.fromArray(gu), dout = FloatArray.fromArray(g);
        FloatArray out = poisoned(N * Hf), dgu = poisoned(N * 2 * Hf);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("swiglu")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, fgu, dout, out, dgu)
                .task("fwd", SwiGluKernels::forward, ctx, out, fgu, N, Hf)
                .task("bwd", SwiGluKernels::backward, ctx, dgu, dout, fgu, N, Hf)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, dgu);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("swiglu.fwd", grid(N * Hf, 0));
        grids.addWorkerGrid("swiglu.bwd", grid(N * Hf, 0));
        run(graph, grids);

        double[] rOut = new double[N * Hf], rDgu = new double[N * 2 * Hf];
        SwiGluRef.forward(rOut, d(gu), N, Hf);
        SwiGluRef.backward(rDgu, d(g), d(gu), N, Hf);
        // A float exp (a few ulps) and a handful of roundings per element; the absolute floor covers
        // 1 + h(1 - s) cancelling near h ~ -1.28 and silu(h) -> -0 for very negative h.
        close("out", out, rOut, 1e-5, 1e-6);
        close("dgu", dgu, rDgu, 1e-5, 1e-5);
    }
}
