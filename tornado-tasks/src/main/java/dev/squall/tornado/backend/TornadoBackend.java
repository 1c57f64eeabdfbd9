package dev.squall.tornado.backend;

import dev.squall.program.Backend;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
import dev.squall.tornado.kernels.TouchKernels;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Runs a step program on one TornadoVM device (DESIGN.md, "the step program"). Every stage becomes
 * one TaskGraph of one execution plan; a first graph touches every device-resident buffer so its
 * first execution uploads weights, optimizer state and activations once. From then on the graphs
 * hand the device buffers to each other (see {@link StageGraph}) and a training step moves only
 * token ids, targets and the optimizer's hyperparameters in, and the loss, metrics and gradient
 * norm out, whatever the parameter count.
 *
 * <p>Bailout is off in Squall's launcher and tests ({@code -Dtornado.recover.bailout=False}): a
 * kernel that does not compile for the device is an error naming it, never Java in disguise.
 */
public final class TornadoBackend implements Backend {
    private final TornadoDevice device;
    private final String deviceName;
    private final DeviceMemory memory = new DeviceMemory();
    private final Map<Stage, Integer> graphOf = new IdentityHashMap<>();
    private final List<Stage> stages = new ArrayList<>();
    private StepProgram program;
    private Object[] resident = new Object[0];
    private List<Buffer> residentBuffers = List.of();
    private TornadoExecutionPlan plan;
    private TornadoExecutionResult last;
    private boolean uploaded;
    private int planCount;
    private long bytesToDevice, bytesToHost, executions;

    /**
     * TornadoVM's per-graph bytecode buffer (4 KiB by default) overflows on graphs that name every
     * device-resident buffer; the limit is read once, when TornadoVM first compiles a graph.
     */
    static final String BYTECODE_SIZE = "1048576";

    public TornadoBackend(TornadoDevice device) {
        if (System.getProperty("tornado.tvm.maxbytecodesize") == null) {
            System.setProperty("tornado.tvm.maxbytecodesize", BYTECODE_SIZE);
        }
        this.device = device;
        this.deviceName = device.getPhysicalDevice().getDeviceName();
    }

    @Override public String name() { return "tornado (" + deviceName + ")"; }

    @Override public void load(StepProgram program) {
        closePlan();
        this.program = program;
        stages.clear();
        graphOf.clear();
        residentBuffers = new ArrayList<>();
        for (Buffer b : program.buffers().values()) if (b.role != Buffer.Role.INPUT) residentBuffers.add(b);
        resident = residentBuffers.stream().map(memory::of).toArray();
        for (Buffer b : program.buffers().values()) memory.hostToMirror(b);
        for (Stage s : program.stages()) register(s);
        uploaded = false;
    }

    @Override public void run(Stage stage) {
        if (stage.tasks.isEmpty()) return;
        if (!graphOf.containsKey(stage)) {
            // A stage the program did not list: rebuild the plan with it (weights first come home).
            syncHostFromDevice(List.of());
            closePlan();
            register(stage);
        }
        ensurePlan();
        last = execute(graphOf.get(stage), stage.name);
        account(last);
    }

    @Override public void download(Buffer... buffers) {
        List<Object> arrays = new ArrayList<>();
        List<Buffer> wanted = new ArrayList<>();
        for (Buffer b : buffers) {
            if (b == null || b.role == Buffer.Role.INPUT) continue;
            wanted.add(b);
            arrays.add(memory.of(b));
        }
        if (wanted.isEmpty() || last == null) return;   // nothing ran: the host copy is current
        last.transferToHost(arrays.toArray());
        for (Buffer b : wanted) {
            memory.mirrorToHost(b);
            bytesToHost += b.bytes();
        }
    }

    @Override public void upload(Buffer... buffers) {
        List<Buffer> deviceResident = new ArrayList<>();
        for (Buffer b : buffers) {
            if (b == null) continue;
            if (b.role == Buffer.Role.INPUT) memory.hostToMirror(b);   // copied in by the graphs that read it
            else deviceResident.add(b);
        }
        if (deviceResident.isEmpty()) return;
        if (!uploaded) {
            for (Buffer b : deviceResident) memory.hostToMirror(b);    // the first execution uploads mirrors
            return;
        }
        // Replacing device-resident state mid-run (a restored checkpoint, a test's fresh inputs): bring
        // the rest home, then run the upload graph again, which copies every resident mirror in.
        syncHostFromDevice(deviceResident);
        for (Buffer b : deviceResident) memory.hostToMirror(b);
        last = execute(0, "upload");
        account(last);
    }

    /** Bytes copied host to device and device to host since load, as TornadoVM's profiler and on-demand reads report them. */
    public long bytesToDevice() { return bytesToDevice; }

    public long bytesToHost() { return bytesToHost; }

    public long graphExecutions() { return executions; }

    /** How many execution plans were built (each one compiles its kernels). */
    public int planCount() { return planCount; }

    public void resetCounters() {
        bytesToDevice = 0;
        bytesToHost = 0;
        executions = 0;
    }

    @Override public void close() { closePlan(); }

    private void register(Stage stage) {
        if (stage.tasks.isEmpty() || graphOf.containsKey(stage)) return;
        graphOf.put(stage, stages.size() + 1);   // graph 0 is the upload graph
        stages.add(stage);
    }

    private void ensurePlan() {
        if (plan != null) return;
        GridScheduler grids = new GridScheduler();
        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        graphs.add(uploadGraph().snapshot());
        int k = 0;
        for (Stage s : stages) {
            StageGraph g = new StageGraph("p" + planCount + "s" + (k++) + "_" + s.name.replaceAll("[^A-Za-z0-9]", "_"),
                    memory, grids);
            for (Task t : s.tasks) Lowering.lower(t, g);
            graphs.add(g.build(resident).snapshot());
        }
        plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        plan.withDevice(device).withGridScheduler(grids).withProfiler(ProfilerMode.SILENT);
        planCount++;
        last = execute(0, "upload");
        account(last);
        uploaded = true;
    }

    /** Runs one graph; a failure names the stage and the device (bailout is off, so nothing runs as Java instead). */
    private TornadoExecutionResult execute(int graph, String stageName) {
        try {
            return plan.withGraph(graph).execute();
        } catch (RuntimeException e) {
            throw new IllegalStateException("TornadoVM failed on stage '" + stageName + "' (" + describe(graph) + ") on "
                    + deviceName + ": " + e.getMessage() + "; rerun with SQUALL_JAVA_OPTS=-Dtornado.debug=True for "
                    + "TornadoVM's reason", e);
        }
    }

    private String describe(int graph) {
        if (graph == 0) return "the upload graph";
        Stage s = stages.get(graph - 1);
        StringBuilder kinds = new StringBuilder();
        for (Task t : s.tasks) {
            String k = t.getClass().getSimpleName();
            if (kinds.indexOf(k) < 0) kinds.append(kinds.isEmpty() ? "" : ", ").append(k);
        }
        return "kernels " + kinds;
    }

    /**
     * Graph 0: names every device-resident array, so its first execution allocates and uploads them
     * all; it runs again only when the host replaces device-resident state ({@link #upload}).
     */
    private TaskGraph uploadGraph() {
        String name = "p" + planCount + "_upload";
        TaskGraph tg = new TaskGraph(name).transferToDevice(DataTransferMode.EVERY_EXECUTION, resident);
        List<FloatArray> floats = new ArrayList<>();
        List<IntArray> ints = new ArrayList<>();
        for (Object o : resident) {
            if (o instanceof FloatArray f) floats.add(f);
            else ints.add((IntArray) o);
        }
        int W = TouchKernels.WIDTH;
        for (int start = 0, t = 0; start < floats.size(); start += W, t++) {
            FloatArray[] a = new FloatArray[W];
            for (int j = 0; j < W; j++) a[j] = start + j < floats.size() ? floats.get(start + j) : new FloatArray(1);
            String id = "touch_f" + t;
            tg.task(id, TouchKernels::floats, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        }
        for (int start = 0, t = 0; start < ints.size(); start += W, t++) {
            IntArray[] a = new IntArray[W];
            for (int j = 0; j < W; j++) a[j] = start + j < ints.size() ? ints.get(start + j) : new IntArray(1);
            String id = "touch_i" + t;
            tg.task(id, TouchKernels::ints, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        }
        return tg.persistOnDevice(resident);
    }

    /** Copies every device-resident buffer except {@code skip} to the host. */
    private void syncHostFromDevice(List<Buffer> skip) {
        if (last == null) return;
        List<Buffer> pull = new ArrayList<>();
        for (Buffer b : residentBuffers) if (!skip.contains(b)) pull.add(b);
        download(pull.toArray(Buffer[]::new));
    }

    private void account(TornadoExecutionResult r) {
        executions++;
        var p = r.getProfilerResult();
        bytesToDevice += Math.max(0, p.getTotalBytesCopyIn());
        bytesToHost += Math.max(0, p.getTotalBytesCopyOut());
    }

    private void closePlan() {
        if (plan == null) return;
        try {
            plan.freeDeviceMemory();
            plan.close();
        } catch (Exception e) {
            throw new IllegalStateException("TornadoVM: could not release the device plan: " + e.getMessage(), e);
        } finally {
            plan = null;
            last = null;
            uploaded = false;
        }
    }
}
