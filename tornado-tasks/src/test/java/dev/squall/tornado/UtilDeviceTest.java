package dev.squall.tornado;

import static dev.squall.testing.Arrays2.normal;
import static dev.squall.testing.Arrays2.toDouble;
import static dev.squall.tornado.DeviceArrays.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squall.jvm.JvmBackend;
import dev.squall.program.Buffer;
import dev.squall.program.Hyper;
import dev.squall.program.Stage;
import dev.squall.program.Task;
import dev.squall.tornado.kernels.UtilKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One compiled plan run again with per-step values changed on the device (the squared gradient norm,
 * the cache position), including the clipping scale's edge cases (a zero or infinite norm, a norm at
 * the limit, a zero limit), which the catalog's single run of each kernel cannot show. Each result is
 * compared with the JVM task it replaces; copy and zero are the matrix's residual rows.
 */
class UtilDeviceTest {
    private static final JvmBackend JVM = new JvmBackend();

    @ParameterizedTest(name = "maxNorm={0}")
    @ValueSource(floats = {1.0f, 0.0f, 2.5f})
    void clipScaleMatchesTheJvmTask(float maxNorm) {
        float[] squares = {0f, 0.25f, 1f, maxNorm * maxNorm, 6.25f, 7f, 1e6f, Float.POSITIVE_INFINITY};
        float[] h = {1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 3f, Float.NaN};
        FloatArray hyper = FloatArray.fromArray(h), gradSq = poisonedArray(2);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("clip")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, hyper, gradSq)
                .task("scale", UtilKernels::clipScale, ctx, hyper, gradSq, maxNorm)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, hyper);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("clip.scale", grid(1, 0));

        Buffer sq = Buffer.floats("gradSq", Buffer.Role.STATE, 2);
        Buffer hy = Buffer.floats("hyper", Buffer.Role.OPTIMIZER, Hyper.SIZE);
        Task.ClipScale jvm = new Task.ClipScale(sq, new Buffer[] {hy}, maxNorm);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(grids);
            for (float s2 : squares) {
                gradSq.set(0, s2);
                hyper.set(Hyper.GRAD_SCALE, Float.NaN);
                plan.execute();
                sq.f[0] = s2;
                JVM.run(new Stage("jvm").add(jvm));
                float want = hy.f[Hyper.GRAD_SCALE];
                // Device sqrt may differ from a correctly rounded one by an ulp or two.
                float got = hyper.get(Hyper.GRAD_SCALE);
                if (Math.abs(got - want) > 3e-7 * Math.abs(want))
                    throw new AssertionError("gradSq " + s2 + ": device " + got + ", JVM " + want);
                for (int i = 0; i < Hyper.GRAD_SCALE; i++) assertEquals(h[i], hyper.get(i), "hyper[" + i + "] untouched");
            }
        } catch (Exception e) {
            throw new AssertionError("TornadoVM failed to run graph: " + e, e);
        }
    }

    @ParameterizedTest(name = "width={0}")
    @ValueSource(ints = {1, 7, 16, 257})
    void cacheWriteAtTheDevicePosition(int width) {
        int maxT = 37;
        int[] positions = {0, 1, 17, maxT - 1, 17};
        float[] c0 = normal(width, maxT * width, 1.0);
        FloatArray cache = FloatArray.fromArray(c0), row = new FloatArray(width);
        IntArray position = new IntArray(1);
        KernelContext ctx = new KernelContext();
        // The cache stays on the device, as while generating; the row and the position go up every step.
        TaskGraph graph = new TaskGraph("kv")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, cache)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, row, position)
                .task("write", UtilKernels::cacheWrite, ctx, cache, row, position, width)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, cache);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("kv.write", grid(width, 0));

        Buffer cb = Buffer.floats("cache", Buffer.Role.STATE, maxT, width);
        System.arraycopy(c0, 0, cb.f, 0, c0.length);
        Buffer rb = Buffer.floats("row", Buffer.Role.ACTIVATION, width);
        Buffer pb = Buffer.ints("position", Buffer.Role.INPUT, 1);
        Task.CacheWrite jvm = new Task.CacheWrite(cb, rb, pb, width);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(grids);
            for (int step = 0; step < positions.length; step++) {
                float[] r = normal(1000L * width + step, width, 1.0);
                for (int i = 0; i < width; i++) row.set(i, r[i]);
                position.set(0, positions[step]);
                plan.execute();
                System.arraycopy(r, 0, rb.f, 0, width);
                pb.i[0] = positions[step];
                JVM.run(new Stage("jvm").add(jvm));
                close("cache after writing position " + positions[step], cache, toDouble(cb.f), 0, 0);
            }
        } catch (Exception e) {
            throw new AssertionError("TornadoVM failed to run graph: " + e, e);
        }
    }
}
