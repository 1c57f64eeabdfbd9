package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;
import static org.junit.jupiter.api.Assertions.fail;

import dev.squall.reference.ErfRef;
import dev.squall.tornado.kernels.DynamicErfKernels;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The device erf over its whole float range (subnormals, the branch points at 1 and 4, saturation,
 * infinity), which the catalog's Derf rows, on inputs of a few units, never reach. The Derf kernels
 * themselves, forward and backward, are checked through the backend's lowering by
 * {@link EveryDeviceMatrixTest}.
 */
class DynamicErfDeviceTest {
    static final int G = DynamicErfKernels.ROW_GROUP;

    /** Every multiple of 2^-12 in [-10, 10], 50k log-uniform magnitudes in [1e-6, 10], tiny values of both signs. */
    static float[] sweep() {
        int grid = 2 * 10 * 4096 + 1, logs = 50_000, dense = grid + logs;
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        float[] tiny = {Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 1e-30f, 1e-20f, 1e-12f, 1e-8f, 3e-6f, 1e-4f,
                0.01f, 0.5f, Math.nextDown(1f), 1f, Math.nextUp(1f), 3.9f, Math.nextDown(4f), 4f, 100f,
                Float.MAX_VALUE, Float.POSITIVE_INFINITY};
        float[] xs = new float[dense + 2 * tiny.length];
        for (int i = 0; i < grid; i++) xs[i] = -10f + i / 4096f;
        for (int i = grid; i < dense; i++) xs[i] = (float) Math.pow(10, -6 + 7 * random.nextDouble()) * (i % 2 == 0 ? 1 : -1);
        for (int i = 0; i < tiny.length; i++) {
            xs[dense + 2 * i] = tiny[i];
            xs[dense + 2 * i + 1] = -tiny[i];
        }
        return xs;
    }

    /**
     * Tolerance as ErfTest's for the JVM erf: 1.5e-7 relative (float rounding in the Horner chains and
     * 1 - exp), plus the subnormal spacing where the result is subnormal.
     */
    @Test
    void deviceErfMatchesReferenceOverWholeRange() {
        float[] xs = sweep();
        // Derf with alpha 1, shift 0 and gain 1 is erf itself (1 * x + 0 and 1 * erf are exact in float),
        // so the device erf is checked inside the kernel training runs: one row holding every point.
        FloatArray inp = FloatArray.fromArray(xs), out = poisonedArray(xs.length);
        FloatArray alpha = FloatArray.fromArray(new float[] {1f}), shift = FloatArray.fromArray(new float[] {0f});
        FloatArray gain = new FloatArray(xs.length);
        gain.init(1f);
        TaskGraph graph = new TaskGraph("erf")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, out, alpha, shift, gain)
                .task("erf", DynamicErfKernels::forwardNoBias, new KernelContext(), out, inp, alpha, shift, gain, xs.length)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("erf.erf", grid(xs.length, 0));
        run(graph, grids);
        double maxRel = 0;
        for (int i = 0; i < xs.length; i++) {
            double e = ErfRef.erf(xs[i]), a = out.get(i);
            double abs = Math.abs(a - e);
            if (!(abs <= 1.5e-7 * Math.abs(e) + Float.MIN_VALUE))
                fail(String.format("device erf(%s) = %.9g, reference %.17g", xs[i], a, e));
            if (Math.abs(e) >= Float.MIN_NORMAL) maxRel = Math.max(maxRel, abs / Math.abs(e));
        }
        System.out.printf("device erf: max relative error (normal results) %.3g over %d points%n", maxRel, xs.length);
    }
}
