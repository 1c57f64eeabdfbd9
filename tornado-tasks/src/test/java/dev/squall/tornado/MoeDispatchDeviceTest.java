package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squall.reference.MoeDispatchRef;
import dev.squall.tornado.kernels.MoeDispatchKernels;
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
 * MoE plan, gather, combine and their backwards on the default TornadoVM device against the double
 * reference. The plan's int outputs must match exactly (poisoned with -1); expert 1 gets no slots
 * whenever E > 2, so an empty expert sits between others. The float kernels read the reference plan.
 */
class MoeDispatchDeviceTest {

    @ParameterizedTest(name = "N={0} K={1} E={2} C={3}")
    @CsvSource({"1,1,1,8", "7,2,3,33", "33,2,8,8", "130,1,8,33", "130,2,3,8"})
    void dispatchMatchesTheReference(int N, int K, int E, int C) {
        long seed = 7919L * N + 101L * K + 13L * E + C;
        SplittableRandom rnd = new SplittableRandom(seed);
        int S = N * K;
        int[] eIdx = new int[S];
        for (int s = 0; s < S; s++) {
            int e = rnd.nextInt(E);
            eIdx[s] = E > 2 && e == 1 ? 0 : e;
        }
        int[] rRowSlot = new int[S], rSlotRow = new int[S], rOffsets = new int[E + 1];
        MoeDispatchRef.plan(rRowSlot, rSlotRow, rOffsets, eIdx, N, K, E);
        float[] x = normal(seed + 1, N * C, 1.0), dxsIn = normal(seed + 2, S * C, 1.0), ysIn = normal(seed + 3, S * C, 1.0);
        float[] w = normal(seed + 4, S, 0.5), dyIn = normal(seed + 5, N * C, 1.0);

        IntArray expertIdx = IntArray.fromArray(eIdx), rowSlot = ints(S), slotRow = ints(S), offsets = ints(E + 1);
        IntArray rowSlotIn = IntArray.fromArray(rRowSlot), slotRowIn = IntArray.fromArray(rSlotRow);
        FloatArray fx = FloatArray.fromArray(x), dxs = FloatArray.fromArray(dxsIn), ys = FloatArray.fromArray(ysIn);
        FloatArray weights = FloatArray.fromArray(w), dy = FloatArray.fromArray(dyIn);
        FloatArray xs = poisoned(S * C), dx = poisoned(N * C), y = poisoned(N * C), dys = poisoned(S * C), dw = poisoned(S);
        int G = MoeDispatchKernels.SLOT_GROUP;
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("moe")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, expertIdx, rowSlot, slotRow, offsets, rowSlotIn,
                        slotRowIn, fx, dxs, ys, weights, dy, xs, dx, y, dys, dw)
                .task("plan", MoeDispatchKernels::plan, ctx, rowSlot, slotRow, offsets, expertIdx, N, K, E)
                .task("gather", MoeDispatchKernels::gather, ctx, xs, fx, rowSlotIn, N, K, C)
                .task("gatherBwd", MoeDispatchKernels::gatherBackward, ctx, dx, dxs, slotRowIn, N, K, C)
                .task("combine", MoeDispatchKernels::combine, ctx, y, ys, weights, slotRowIn, N, K, C)
                .task("combineBwd", MoeDispatchKernels::combineBackward, ctx, dys, dw, dy, ys, weights, slotRowIn, N, K, C)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, rowSlot, slotRow, offsets, xs, dx, y, dys, dw);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("moe.plan", grid(E + 1, 0));
        grids.addWorkerGrid("moe.gather", grid(S * C, 0));
        grids.addWorkerGrid("moe.gatherBwd", grid(N * C, 0));
        grids.addWorkerGrid("moe.combine", grid(N * C, 0));
        grids.addWorkerGrid("moe.combineBwd", grid(S * G, G));
        run(graph, grids);

        for (int i = 0; i < S; i++) {
            assertEquals(rRowSlot[i], rowSlot.get(i), "rowSlot[" + i + "]");
            assertEquals(rSlotRow[i], slotRow.get(i), "slotRow[" + i + "]");
        }
        for (int e = 0; e <= E; e++) assertEquals(rOffsets[e], offsets.get(e), "offsets[" + e + "]");

        double[] rXs = new double[S * C], rDx = new double[N * C], rY = new double[N * C], rDys = new double[S * C],
                rDw = new double[S];
        MoeDispatchRef.gather(rXs, d(x), rRowSlot, N, K, C);
        MoeDispatchRef.gatherBackward(rDx, d(dxsIn), rSlotRow, N, K, C);
        MoeDispatchRef.combine(rY, d(ysIn), d(w), rSlotRow, N, K, C);
        MoeDispatchRef.combineBackward(rDys, rDw, d(dyIn), d(ysIn), d(w), rSlotRow, N, K, C);
        close("xs", xs, rXs, 0, 0); // a copy: exact
        // Sums of K <= 2 terms (and products): a few ulps.
        close("dx", dx, rDx, 1e-6, 1e-7);
        close("y", y, rY, 1e-6, 1e-7);
        close("dys", dys, rDys, 1e-6, 0);
        // A length-C dot product: float rounding grows with C.
        close("dweights", dw, rDw, 1e-5, 1e-6 * Math.sqrt(C));
    }

    static IntArray ints(int n) {
        IntArray a = new IntArray(n);
        a.init(-1);
        return a;
    }
}
