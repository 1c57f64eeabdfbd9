package dev.squall.tornado;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.tornado.backend.LaunchGeometry;
import java.util.SplittableRandom;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Test data and checks for device kernels: seeded inputs, NaN poison, comparisons with a double reference. */
final class DeviceArrays {
    private DeviceArrays() {}

    static float[] normal(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    /** Every element NaN: an element the kernel leaves unwritten fails the comparison. */
    static FloatArray poisoned(int n) {
        FloatArray a = new FloatArray(n);
        a.init(Float.NaN);
        return a;
    }

    static double[] d(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    static double[] plus(float[] base, double[] delta) {
        double[] r = new double[base.length];
        for (int i = 0; i < base.length; i++) r[i] = base[i] + delta[i];
        return r;
    }

    /** |device - reference| <= atol + rtol * |reference| for every element (NaN never passes). */
    static void close(String what, FloatArray got, double[] want, double rtol, double atol) {
        for (int i = 0; i < want.length; i++) {
            double g = got.get(i);
            assertTrue(Math.abs(g - want[i]) <= atol + rtol * Math.abs(want[i]),
                    String.format("%s[%d]: device %.9g, reference %.9g", what, i, g, want[i]));
        }
    }

    /** A 1-D grid of {@code global} work-items, in work-groups of {@code local} when local > 0. */
    static WorkerGrid1D grid(int global, int local) {
        WorkerGrid1D g = new WorkerGrid1D(global);
        if (local > 0) g.setLocalWork(local, 1, 1);
        return g;
    }

    /** The grid of a launch the backend's geometry gives. */
    static WorkerGrid1D grid(LaunchGeometry.Launch launch) { return grid(launch.global(), launch.local()); }

    /** Runs a graph once on the default device; a TornadoVM failure (incl. a bailout) fails the test. */
    static void run(TaskGraph graph, GridScheduler grids) {
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(grids).execute();
        } catch (Exception e) {
            throw new AssertionError("TornadoVM failed to run graph: " + e, e);
        }
    }
}
