package dev.squall.tornado;

import dev.squall.testing.Close;
import dev.squall.tornado.backend.LaunchGeometry;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * What the hand-wired device tests need beyond the core's test helpers ({@code dev.squall.testing},
 * from the core's test jar): TornadoVM arrays, grids and one-shot graph runs.
 */
final class DeviceArrays {
    private DeviceArrays() {}

    /** A device array every element of which is NaN: an element the kernel leaves unwritten fails the comparison. */
    static FloatArray poisonedArray(int n) {
        FloatArray a = new FloatArray(n);
        a.init(Float.NaN);
        return a;
    }

    /** {@link Close#elementwise} on what a device array holds. */
    static void close(String what, FloatArray got, double[] want, double rtol, double atol) {
        Close.elementwise(what, got.toHeapArray(), want, rtol, atol);
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
