package dev.squall.tornado;

import static dev.squall.testing.Arrays2.normal;
import static dev.squall.testing.Arrays2.toDouble;
import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.kernels.Attention;
import dev.squall.reference.AttentionRef;
import dev.squall.tornado.backend.LaunchGeometry;
import dev.squall.tornado.kernels.DecodeKernels;
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
 * Decode attention at many positions (0, 1, 17, the last, then back to 1) under one compiled plan that
 * reads the position from the device, against the JVM decode too: the catalog's decode row runs one
 * position once.
 *
 * <p>One decoding step of attention on the default TornadoVM device against the double reference
 * (causal attention over positions 0..pos, the query at row pos) and the JVM {@code Attention.decode}.
 * One compiled plan runs at several positions (read from the device array each time), with the
 * output NaN-poisoned before every execution.
 */
class DecodeDeviceTest {
    static final int H = 4, HKV = 2, MAX_T = 37;

    @ParameterizedTest(name = "hd={0}")
    @ValueSource(ints = {8, 16})
    void decodeMatchesTheReferenceAtEveryPosition(int hd) {
        float scale = (float) (1.0 / Math.sqrt(hd));
        int qw = H * hd, kvw = HKV * hd;
        long seed = 97L * hd;
        float[] qs = normal(seed, qw, 1.0), ks = normal(seed + 1, MAX_T * kvw, 1.0), vs = normal(seed + 2, MAX_T * kvw, 1.0);
        FloatArray q = FloatArray.fromArray(qs), kCache = FloatArray.fromArray(ks), vCache = FloatArray.fromArray(vs);
        FloatArray out = poisonedArray(qw);
        IntArray position = new IntArray(1);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("dec")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, q, kCache, vCache)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, position, out)
                .task("att", DecodeKernels::attention, ctx, out, q, kCache, vCache, position, MAX_T, H, HKV, hd, scale)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("dec.att", grid(LaunchGeometry.DEFAULT.decodeHeads(H)));

        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(grids);
            for (int pos : new int[] {0, 1, 17, MAX_T - 1, 1}) {
                position.set(0, pos);
                out.init(Float.NaN);
                plan.execute();

                int T = pos + 1;
                double[] rq = new double[T * qw], rk = new double[T * kvw], rv = new double[T * kvw];
                for (int i = 0; i < qw; i++) rq[pos * qw + i] = qs[i];
                for (int i = 0; i < T * kvw; i++) {
                    rk[i] = ks[i];
                    rv[i] = vs[i];
                }
                double[] rOut = new double[T * qw], rLse = new double[H * T];
                AttentionRef.forward(rOut, rLse, rq, rk, rv, 1, T, H, HKV, hd, scale);
                double[] want = java.util.Arrays.copyOfRange(rOut, pos * qw, T * qw);
                float[] jvm = new float[qw];
                Attention.decode(jvm, qs, ks, vs, pos, 1, MAX_T, H, HKV, hd, scale);
                // As the training attention test: a softmax-weighted average of pos + 1 float rows.
                close("out at position " + pos, out, want, 1e-4, 1e-5);
                close("JVM out at position " + pos, FloatArray.fromArray(jvm), want, 1e-4, 1e-5);
            }
        } catch (Exception e) {
            throw new AssertionError("TornadoVM failed to run graph: " + e, e);
        }
    }
}
