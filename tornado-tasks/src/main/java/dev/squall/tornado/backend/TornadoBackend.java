package dev.squall.tornado.backend;

import dev.squall.program.Backend;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
import dev.squall.tornado.kernels.TouchKernels;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Runs a step program on one TornadoVM device (docs/DESIGN.md, "The step program"). Every stage becomes
 * one TaskGraph (or a few, see {@link StageGraph}) of a single execution plan, and every buffer lives
 * on the device:
 * <ul>
 *   <li>the upload graphs name every device array, a slice each, so their first execution allocates
 *       and uploads weights, optimizer state, activations and scratch once (they run again only if
 *       the host replaces device state, e.g. a restored checkpoint);</li>
 *   <li>the input graph copies in the per-step inputs (token ids, targets, the optimizer's hyperparameter
 *       arrays, a decoding position) and runs before a stage whenever the host changed them;</li>
 *   <li>every stage graph consumes all device arrays from whichever graph ran before it and
 *       persists them for the next, so stages run in any order and nothing else crosses.</li>
 * </ul>
 * Downloads read single arrays on demand. So a training step moves the inputs in and the loss,
 * metrics and gradient norm out, whatever the parameter count.
 *
 * <p>Bailout is off in Squall's launcher and tests ({@code -Dtornado.recover.bailout=False}): a
 * kernel that does not compile for the device is an error naming the stage, never Java in disguise.
 */
public final class TornadoBackend implements Backend {
    /**
     * TornadoVM's per-graph bytecode buffer (4 KiB by default) overflows on graphs that name every
     * device array; the limit is read once, when TornadoVM first compiles a graph.
     */
    static final String BYTECODE_SIZE = "1048576";
    /**
     * Arrays per upload graph: TornadoVM's graph of one TaskGraph holds at most 1,024 nodes, and an
     * uploaded array costs a few (object, allocation, copy) plus its share of a touch task.
     */
    static final int UPLOAD_ARRAYS = 128;

    private final TornadoDevice device;
    private final String deviceName;
    private final DeviceMemory memory = new DeviceMemory();
    private final Map<Stage, int[]> graphsOf = new IdentityHashMap<>();
    private final List<Stage> stages = new ArrayList<>();
    private final List<String> graphStage = new ArrayList<>();
    private List<Buffer> buffers = List.of(), inputs = List.of();
    private Object[] resident = new Object[0];
    private int uploadGraphs, inputGraph;
    private TornadoExecutionPlan plan;
    private TornadoExecutionResult last;
    private boolean inputsChanged;
    private int planCount;
    private long bytesToDevice, bytesToHost, executions;

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
        stages.clear();
        buffers = new ArrayList<>(program.buffers().values());
        inputs = buffers.stream().filter(b -> b.role == Buffer.Role.INPUT).toList();
        for (Buffer b : buffers) memory.hostToMirror(b);
        for (Stage s : program.stages()) if (!s.tasks.isEmpty() && !stages.contains(s)) stages.add(s);
    }

    @Override public void run(Stage stage) {
        if (stage.tasks.isEmpty()) return;
        if (plan != null && !graphsOf.containsKey(stage)) {
            // A stage the program did not list: rebuild the plan with it (device state comes home first).
            pull(buffers);
            closePlan();
        }
        if (!stages.contains(stage)) stages.add(stage);
        ensurePlan();
        if (inputsChanged) {
            execute(inputGraph);
            inputsChanged = false;
        }
        for (int g : graphsOf.get(stage)) execute(g);
    }

    @Override public void download(Buffer... wanted) {
        List<Buffer> list = new ArrayList<>();
        for (Buffer b : wanted) if (b != null) list.add(b);
        pull(list);
    }

    @Override public void upload(Buffer... given) {
        List<Buffer> state = new ArrayList<>();
        for (Buffer b : given) {
            if (b == null) continue;
            memory.hostToMirror(b);
            if (b.role == Buffer.Role.INPUT) inputsChanged = true;
            else state.add(b);
        }
        if (state.isEmpty() || plan == null) return;   // no plan yet: its first execution uploads the mirrors
        // Replacing device state mid-run (a restored checkpoint, a test's fresh inputs): bring the
        // rest home, then run the upload graph again, which copies every mirror in.
        List<Buffer> rest = new ArrayList<>(buffers);
        rest.removeAll(state);
        pull(rest);
        uploadAll();
    }

    /** Bytes copied host to device and device to host since load (TornadoVM's profiler plus on-demand reads). */
    public long bytesToDevice() { return bytesToDevice; }

    public long bytesToHost() { return bytesToHost; }

    public long graphExecutions() { return executions; }

    public void resetCounters() {
        bytesToDevice = 0;
        bytesToHost = 0;
        executions = 0;
    }

    @Override public void close() { closePlan(); }

    private void ensurePlan() {
        if (plan != null) return;
        List<StageGraph> lowered = new ArrayList<>();
        int k = 0;
        for (Stage s : stages) {
            StageGraph g = new StageGraph("p" + planCount + "s" + (k++) + "_" + s.name.replaceAll("[^A-Za-z0-9]", "_"), memory,
                    LaunchGeometry.DEFAULT);
            for (Task t : s.tasks) Lowering.lower(t, g);
            lowered.add(g);
        }
        Set<Object> all = new LinkedHashSet<>();
        for (Buffer b : buffers) all.add(memory.of(b));
        for (StageGraph g : lowered) all.addAll(g.scratchArrays());
        resident = all.toArray();

        GridScheduler grids = new GridScheduler();
        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        graphStage.clear();
        for (TaskGraph g : uploadGraphs()) {
            graphs.add(g.snapshot());
            graphStage.add("upload");
        }
        uploadGraphs = graphs.size();
        inputGraph = graphs.size();
        graphs.add(inputGraph().snapshot());
        graphStage.add("inputs");
        graphsOf.clear();
        for (int i = 0; i < stages.size(); i++) {
            List<TaskGraph> parts = lowered.get(i).build(resident, grids);
            int[] indices = new int[parts.size()];
            for (int p = 0; p < parts.size(); p++) {
                indices[p] = graphs.size();
                graphs.add(parts.get(p).snapshot());
                graphStage.add(stages.get(i).name);
            }
            graphsOf.put(stages.get(i), indices);
        }
        plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        plan.withDevice(device).withGridScheduler(grids).withProfiler(ProfilerMode.SILENT);
        planCount++;
        uploadAll();
    }

    private void uploadAll() {
        for (int g = 0; g < uploadGraphs; g++) execute(g);
        inputsChanged = false;
    }

    /**
     * Upload graphs: each copies in a slice of the device arrays (named by touch tasks, so TornadoVM
     * allocates them), takes the slices before it from the previous one and persists them all.
     */
    private List<TaskGraph> uploadGraphs() {
        List<TaskGraph> out = new ArrayList<>();
        for (int start = 0; start < resident.length; start += UPLOAD_ARRAYS) {
            Object[] before = java.util.Arrays.copyOfRange(resident, 0, start);
            Object[] slice = java.util.Arrays.copyOfRange(resident, start, Math.min(resident.length, start + UPLOAD_ARRAYS));
            Object[] upTo = java.util.Arrays.copyOfRange(resident, 0, start + slice.length);
            TaskGraph tg = new TaskGraph("p" + planCount + "_upload" + out.size());
            if (before.length > 0) tg.consumeFromDevice(before);
            tg.transferToDevice(DataTransferMode.EVERY_EXECUTION, slice);
            touch(tg, slice);
            out.add(tg.persistOnDevice(upTo));
        }
        return out;
    }

    /** Graph 1: copies the per-step inputs in; everything else passes through. */
    private TaskGraph inputGraph() {
        Object[] in = inputs.stream().map(memory::of).toArray();
        Set<Object> others = new LinkedHashSet<>(List.of(resident));
        others.removeAll(List.of(in));
        TaskGraph tg = new TaskGraph("p" + planCount + "_inputs").consumeFromDevice(others.toArray());
        if (in.length > 0) {
            tg.transferToDevice(DataTransferMode.EVERY_EXECUTION, in);
            touch(tg, in);
        }
        return tg.persistOnDevice(resident);
    }

    private static void touch(TaskGraph tg, Object[] arrays) {
        List<FloatArray> floats = new ArrayList<>();
        List<IntArray> ints = new ArrayList<>();
        for (Object o : arrays) {
            if (o instanceof FloatArray f) floats.add(f);
            else ints.add((IntArray) o);
        }
        int W = TouchKernels.WIDTH;
        for (int start = 0, t = 0; start < floats.size(); start += W, t++) {
            FloatArray[] a = new FloatArray[W];
            for (int j = 0; j < W; j++) a[j] = start + j < floats.size() ? floats.get(start + j) : new FloatArray(1);
            tg.task("touch_f" + t, TouchKernels::floats, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        }
        for (int start = 0, t = 0; start < ints.size(); start += W, t++) {
            IntArray[] a = new IntArray[W];
            for (int j = 0; j < W; j++) a[j] = start + j < ints.size() ? ints.get(start + j) : new IntArray(1);
            tg.task("touch_i" + t, TouchKernels::ints, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        }
    }

    /** Makes the host copies of these buffers current (a no-op before anything ran on the device). */
    private void pull(List<Buffer> wanted) {
        if (wanted.isEmpty() || last == null) return;
        Object[] arrays = wanted.stream().map(memory::of).toArray();
        last.transferToHost(arrays);
        for (Buffer b : wanted) {
            memory.mirrorToHost(b);
            bytesToHost += b.bytes();
        }
    }

    /** Runs one graph; a failure names the stage, its kernels and the device. */
    private void execute(int graph) {
        try {
            last = plan.withGraph(graph).execute();
        } catch (RuntimeException e) {
            throw new IllegalStateException("TornadoVM failed on stage '" + graphStage.get(graph) + "' (" + describe(graph)
                    + ") on " + deviceName + ": " + e.getMessage() + "; rerun with SQUALL_JAVA_OPTS=-Dtornado.debug=True "
                    + "for TornadoVM's reason", e);
        }
        executions++;
        var p = last.getProfilerResult();
        bytesToDevice += Math.max(0, p.getTotalBytesCopyIn());
        bytesToHost += Math.max(0, p.getTotalBytesCopyOut());
    }

    private String describe(int graph) {
        if (graph <= inputGraph) return "data transfers";
        for (Map.Entry<Stage, int[]> e : graphsOf.entrySet()) {
            for (int g : e.getValue()) {
                if (g != graph) continue;
                StringBuilder kinds = new StringBuilder("kernels ");
                for (Task t : e.getKey().tasks) {
                    String k = t.getClass().getSimpleName();
                    if (kinds.indexOf(k) < 0) kinds.append(kinds.length() > 8 ? ", " : "").append(k);
                }
                return kinds.toString();
            }
        }
        return "graph " + graph;
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
            graphsOf.clear();
        }
    }
}
