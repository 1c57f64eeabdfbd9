package dev.squall.tornado.backend;

import dev.squall.program.Buffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One step-program stage on its way to a TornadoVM {@link TaskGraph}: the device tasks its kernel
 * tasks lower to, each with its launch grid, plus the graph-local scratch arrays (per-block
 * partials, per-row scalars) and the per-step inputs it reads.
 *
 * <p>Data movement follows one rule: every array that lives on the device (all buffers except
 * per-step inputs) is consumed from the previously executed graph and persisted for the next,
 * whichever graph that is. TornadoVM hands device buffers from the last executed graph to the next
 * one, so passing all of them through every graph lets stages run in any order (forward, loss,
 * backward, optimizer, evaluation) without a copy to the host. Per-step inputs (token ids, targets,
 * optimizer hyperparameters) are copied in on every execution of the graphs that read them.
 */
final class StageGraph {
    final String name;
    final KernelContext ctx = new KernelContext();
    private final DeviceMemory memory;
    private final GridScheduler grids;
    private final List<String> ids = new ArrayList<>();
    private final List<BiConsumer<TaskGraph, String>> tasks = new ArrayList<>();
    private final List<Object> scratch = new ArrayList<>();
    private final Map<Buffer, Object> inputs = new LinkedHashMap<>();

    StageGraph(String name, DeviceMemory memory, GridScheduler grids) {
        this.name = name;
        this.memory = memory;
        this.grids = grids;
    }

    FloatArray f(Buffer b) { return memory.f(b); }

    IntArray i(Buffer b) { return memory.i(b); }

    /** Marks a per-step input this graph reads (copied in on every execution). */
    void input(Buffer b) { inputs.put(b, memory.of(b)); }

    /** A device-only array of n floats that lives inside this graph (partials, per-row scalars). */
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

    /** Adds a device task launched on {@code global} work-items in groups of {@code local} (0: the driver's choice). */
    void add(String kernel, int global, int local, BiConsumer<TaskGraph, String> task) {
        String id = "t" + ids.size() + "_" + kernel;
        WorkerGrid1D grid = new WorkerGrid1D(Math.max(1, global));
        if (local > 0) grid.setLocalWork(local, 1, 1);
        grids.addWorkerGrid(name + "." + id, grid);
        ids.add(id);
        tasks.add(task);
    }

    boolean isEmpty() { return tasks.isEmpty(); }

    int taskCount() { return tasks.size(); }

    TaskGraph build(Object[] resident) {
        TaskGraph tg = new TaskGraph(name);
        if (!scratch.isEmpty()) tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, scratch.toArray());
        tg.consumeFromDevice(resident);
        if (!inputs.isEmpty()) tg.transferToDevice(DataTransferMode.EVERY_EXECUTION, inputs.values().toArray());
        for (int t = 0; t < tasks.size(); t++) tasks.get(t).accept(tg, ids.get(t));
        tg.persistOnDevice(resident);
        return tg;
    }
}
