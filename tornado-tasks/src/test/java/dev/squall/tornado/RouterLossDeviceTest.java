package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squall.reference.RouterLossesRef;
import dev.squall.tornado.kernels.RouterLossKernels;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Router counts, balance and z losses (forward and backward) and the load imbalance on the default
 * TornadoVM device against the double reference. counts are NaN-poisoned and must be exact; the
 * scalar results go to slots of a shared array whose other slots must survive; both backwards
 * accumulate onto a random base.
 */
class RouterLossDeviceTest {

    @ParameterizedTest(name = "N={0} E={1} K={2}")
    @CsvSource({"1,1,1", "7,3,2", "33,8,2", "130,8,1", "130,3,2"})
    void lossesMatchTheReference(int N, int E, int K) {
        long seed = 977L * N + 31L * E + K;
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] eIdx = new int[N * K];
        for (int i = 0; i < eIdx.length; i++) eIdx[i] = rnd.nextInt(E);
        float[] p = softmaxRows(normal(seed + 1, N * E, 1.5), N, E), l = normal(seed + 2, N, 2.0);
        float[] baseB = normal(seed + 3, N * E, 1.0), baseZ = normal(seed + 4, N * E, 1.0), outBase = normal(seed + 5, 6, 1.0);
        float gamma = 0.01f, beta = 0.001f, scale = 0.5f;
        int blocks = RouterLossKernels.blocks(N);

        IntArray expertIdx = IntArray.fromArray(eIdx);
        FloatArray probs = FloatArray.fromArray(p), lse = FloatArray.fromArray(l), out = FloatArray.fromArray(outBase);
        FloatArray counts = poisoned(E), bp = poisoned(blocks), zp = poisoned(blocks);
        FloatArray dlB = FloatArray.fromArray(baseB), dlZ = FloatArray.fromArray(baseZ);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("rl")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, expertIdx, probs, lse, out, counts, bp, zp, dlB, dlZ)
                .task("counts", RouterLossKernels::counts, ctx, counts, expertIdx, N, K, E)
                .task("bp", RouterLossKernels::balancePartials, ctx, bp, probs, counts, N, E)
                .task("bf", RouterLossKernels::balanceFinish, ctx, out, bp, 1, blocks, N, E, K, gamma)
                .task("bb", RouterLossKernels::balanceBackward, ctx, dlB, probs, counts, N, E, K, gamma, scale)
                .task("zp", RouterLossKernels::zPartials, ctx, zp, lse, N)
                .task("zf", RouterLossKernels::zFinish, ctx, out, zp, 3, blocks, N, beta)
                .task("zb", RouterLossKernels::zBackward, ctx, dlZ, probs, lse, N, E, beta, scale)
                .task("li", RouterLossKernels::loadImbalance, ctx, out, counts, 4, E)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, counts, out, dlB, dlZ);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("rl.counts", grid(E, 0));
        grids.addWorkerGrid("rl.bp", grid(blocks, 0));
        grids.addWorkerGrid("rl.bf", grid(1, 0));
        grids.addWorkerGrid("rl.bb", grid(N, 0));
        grids.addWorkerGrid("rl.zp", grid(blocks, 0));
        grids.addWorkerGrid("rl.zf", grid(1, 0));
        grids.addWorkerGrid("rl.zb", grid(N * E, 0));
        grids.addWorkerGrid("rl.li", grid(1, 0));
        run(graph, grids);

        double[] rCounts = new double[E], rOut = d(outBase), rDb = new double[N * E], rDz = new double[N * E];
        RouterLossesRef.counts(rCounts, eIdx, N, K, E);
        RouterLossesRef.balanceForward(rOut, 1, d(p), rCounts, N, E, K, gamma);
        RouterLossesRef.zForward(rOut, 3, d(l), N, beta);
        RouterLossesRef.loadImbalance(rOut, 4, rCounts, E);
        RouterLossesRef.balanceBackward(rDb, d(p), rCounts, N, E, K, gamma, scale);
        RouterLossesRef.zBackward(rDz, d(p), d(l), N, E, beta, scale);

        for (int e = 0; e < E; e++) assertEquals(rCounts[e], counts.get(e), "counts[" + e + "]");
        // Untouched slots keep their bits; the scalars are float sums of N terms.
        assertEquals(outBase[0], out.get(0), "out[0] untouched");
        assertEquals(outBase[2], out.get(2), "out[2] untouched");
        close("balance loss", slot(out, 1), new double[] {rOut[1]}, 1e-5, 1e-9);
        close("z loss", slot(out, 3), new double[] {rOut[3]}, 1e-5, 1e-9);
        close("max/mean", slot(out, 4), new double[] {rOut[4]}, 1e-6, 0);
        close("cv", slot(out, 5), new double[] {rOut[5]}, 1e-5, 1e-6);
        // Accumulated on a base of order 1: an E-term dot product per row, then a small addend.
        close("dlogits balance", dlB, plus(baseB, rDb), 1e-5, 1e-6);
        close("dlogits z", dlZ, plus(baseZ, rDz), 1e-5, 1e-6);
    }

    static FloatArray slot(FloatArray a, int i) {
        return FloatArray.fromArray(new float[] {a.get(i)});
    }

    static float[] softmaxRows(float[] z, int N, int E) {
        float[] p = new float[N * E];
        for (int t = 0; t < N; t++) {
            double s = 0;
            for (int e = 0; e < E; e++) s += Math.exp(z[t * E + e]);
            for (int e = 0; e < E; e++) p[t * E + e] = (float) (Math.exp(z[t * E + e]) / s);
        }
        return p;
    }
}
