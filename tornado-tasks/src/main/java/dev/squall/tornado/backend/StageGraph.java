package dev.squall.tornado.backend;

import dev.squall.program.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One step-program stage on its way to TornadoVM: the device tasks its kernel tasks lower to, each
 * with its launch grid, and the scratch arrays they need (per-block partials, per-row scalars,
 * constants a kernel reads as an array).
 *
 * <p>Data movement follows one rule: every array on the device (all buffers and all scratch) is
 * consumed from the previously executed graph and persisted for the next, whichever graph that is.
 * TornadoVM hands device buffers from the last executed graph to the next one, so passing all of
 * them through every graph lets stages run in any order (forward, loss, backward, optimizer,
 * evaluation) with no copy to the host.
 *
 * <p>A stage larger than {@link #MAX_TASKS} tasks becomes several graphs run back to back:
 * TornadoVM describes a graph's tasks in a fixed 8 KiB buffer (15 + 5 x arguments bytes per task),
 * and an optimizer stage over every tensor of a model needs hundreds of tasks.
 */
final class StageGraph {
    /** Tasks per graph: at most 20 arguments each, so under 8 KiB of TornadoVM's task description. */
    static final int MAX_TASKS = 64;

    final String name;
    final KernelContext ctx = new KernelContext();
    /** Every task's grid comes from here, never from the lowering itself. */
    final LaunchGeometry grid;
    private final DeviceMemory memory;
    private final List<String> ids = new ArrayList<>();
    private final List<WorkerGrid1D> grids = new ArrayList<>();
    private final List<BiConsumer<TaskGraph, String>> tasks = new ArrayList<>();
    private final List<Object> scratch = new ArrayList<>();

    StageGraph(String name, DeviceMemory memory, LaunchGeometry grid) {
        this.name = name;
        this.memory = memory;
        this.grid = grid;
    }

    FloatArray f(Buffer b) { return memory.f(b); }

    IntArray i(Buffer b) { return memory.i(b); }

    /** A device-only array of n floats (partials, per-row scalars). */
    FloatArray scratch(int n) {
        FloatArray a = new FloatArray(Math.max(1, n));
        scratch.add(a);
        return a;
    }

    /** A one-element device array holding a constant a kernel reads as an array (e.g. the dloss scale). */
    FloatArray constant(float value) {
        FloatArray a = scratch(1);
        a.set(0, value);
        return a;
    }

    /** Adds a device task with its launch, one of {@link #grid}'s. */
    void add(String kernel, LaunchGeometry.Launch launch, BiConsumer<TaskGraph, String> task) {
        WorkerGrid1D workers = new WorkerGrid1D(Math.max(1, launch.global()));
        if (launch.local() > 0) workers.setLocalWork(launch.local(), 1, 1);
        ids.add("t" + ids.size() + "_" + kernel);
        grids.add(workers);
        tasks.add(task);
    }

    List<Object> scratchArrays() { return scratch; }

    /** The stage's graphs, in run order, each registering its tasks' grids under its own name. */
    List<TaskGraph> build(Object[] resident, GridScheduler gridScheduler) {
        List<TaskGraph> parts = new ArrayList<>();
        for (int start = 0, part = 0; start < tasks.size(); start += MAX_TASKS, part++) {
            String graphName = tasks.size() > MAX_TASKS ? name + "_part" + part : name;
            TaskGraph tg = new TaskGraph(graphName).consumeFromDevice(resident);
            for (int t = start; t < Math.min(tasks.size(), start + MAX_TASKS); t++) {
                gridScheduler.addWorkerGrid(graphName + "." + ids.get(t), grids.get(t));
                tasks.get(t).accept(tg, ids.get(t));
            }
            parts.add(tg.persistOnDevice(resident));
        }
        return parts;
    }
}
