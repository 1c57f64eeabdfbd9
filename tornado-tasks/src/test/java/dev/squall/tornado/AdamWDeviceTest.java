package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.kernels.AdamW;
import dev.squall.program.Hyper;
import dev.squall.reference.AdamWRef;
import dev.squall.tornado.kernels.AdamWKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * AdamW steps on the default TornadoVM device against the double reference. The same compiled graph runs three steps with a different learning rate, step count and
 * gradient scale each time (all read from hyper), so values baked in at compile time would fail.
 */
class AdamWDeviceTest {
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3, 91, 127, 2145, 65536})
    void stepsMatchTheReference(int n) {
        long seed = 71L * n;
        float[] p0 = normal(seed, n, 1.0), g = normal(seed + 1, n, 0.1);
        float[] m0 = normal(seed + 2, n, 0.01), v0 = new float[n];
        float[] vRand = normal(seed + 3, n, 0.01);
        for (int i = 0; i < n; i++) v0[i] = vRand[i] * vRand[i];

        FloatArray param = FloatArray.fromArray(p0), grad = FloatArray.fromArray(g);
        FloatArray m = FloatArray.fromArray(m0), v = FloatArray.fromArray(v0);
        FloatArray hyper = new FloatArray(Hyper.SIZE);
        KernelContext ctx = new KernelContext();
        // param, m, v stay on the device between steps, as in training; hyper is uploaded every step.
        TaskGraph graph = new TaskGraph("adamw")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, param, grad, m, v)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, hyper)
                .task("upd", AdamWKernels::update, ctx, param, grad, m, v, hyper, n)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, param, m, v);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("adamw.upd", grid(n, 0));

        double[] rp = d(p0), rm = d(m0), rv = d(v0), rg = d(g);
        float[] h = new float[Hyper.SIZE];
        float[][] steps = {{1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1, 1f}, {3e-4f, 0.9f, 0.999f, 1e-6f, 0f, 2, 0.5f},
                           {2e-3f, 0.8f, 0.95f, 1e-8f, 0.01f, 1000, 0.25f}};
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(grids);
            for (float[] s : steps) {
                Hyper.setAdamW(h, s[0], s[1], s[2], s[3], s[4], (int) s[5], s[6]);
                for (int k = 0; k < h.length; k++) hyper.set(k, h[k]);
                plan.execute();
                AdamWRef.update(rp, rg, rm, rv, d(h), n);
                String at = " at step " + (int) s[5];
                // m, v: two roundings per step of O(g) values. param: the step lr * m-hat / sqrt(v-hat) is
                // O(lr); float bias corrections (pow in float) and sqrt add ~1e-4 of it, far under 1e-6.
                close("m" + at, m, rm, 1e-5, 1e-9);
                close("v" + at, v, rv, 1e-5, 1e-12);
                close("param" + at, param, rp, 1e-6, 1e-6);
            }
        } catch (Exception e) {
            throw new AssertionError("TornadoVM failed to run graph: " + e, e);
        }
    }
}
