package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.GroupedMatmulRef;
import dev.squall.tornado.kernels.GroupedMatmulKernels;
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
 * Grouped matmul forward, input and weight gradients on the default TornadoVM device against the double
 * reference. Offsets come from random expert sizes with empty experts at the front, in the middle and at
 * the end (when E allows), so the row-to-expert scan and the empty weight-gradient loops are exercised.
 * out and dinp are NaN-poisoned; dweight accumulates onto a random base (an empty expert keeps it).
 */
class GroupedMatmulDeviceTest {

    @ParameterizedTest(name = "R={0} C={1} OC={2} E={3}")
    @CsvSource({"1,8,3,1", "7,33,8,3", "14,8,33,8", "66,33,16,8", "260,8,8,3"})
    void productsMatchTheReference(int R, int C, int OC, int E) {
        long seed = 104729L * R + 1009L * C + 17L * OC + E;
        int[] off = offsets(new SplittableRandom(seed), R, E);
        float[] x = normal(seed + 1, R * C, 1.0), w = normal(seed + 2, E * OC * C, 0.5), g = normal(seed + 3, R * OC, 1.0);
        float[] dwBase = normal(seed + 4, E * OC * C, 1.0);

        IntArray offsets = IntArray.fromArray(off);
        FloatArray inp = FloatArray.fromArray(x), weight = FloatArray.fromArray(w), dout = FloatArray.fromArray(g);
        FloatArray out = poisoned(R * OC), dinp = poisoned(R * C), dweight = FloatArray.fromArray(dwBase);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("gmm")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, offsets, inp, weight, dout, out, dinp, dweight)
                .task("fwd", GroupedMatmulKernels::forward, ctx, out, inp, weight, offsets, R, C, OC, E)
                .task("bwdInp", GroupedMatmulKernels::backwardInput, ctx, dinp, dout, weight, offsets, R, C, OC, E)
                .task("bwdW", GroupedMatmulKernels::backwardWeight, ctx, dweight, dout, inp, offsets, R, C, OC, E)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, dinp, dweight);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("gmm.fwd", grid(R * OC, 0));
        grids.addWorkerGrid("gmm.bwdInp", grid(R * C, 0));
        grids.addWorkerGrid("gmm.bwdW", grid(E * OC * C, 0));
        run(graph, grids);

        double[] rOut = new double[R * OC], rDx = new double[R * C], rDw = new double[E * OC * C];
        GroupedMatmulRef.forward(rOut, d(x), d(w), off, R, C, OC, E);
        GroupedMatmulRef.backwardInput(rDx, d(g), d(w), off, R, C, OC, E);
        GroupedMatmulRef.backwardWeight(rDw, d(g), d(x), off, R, C, OC, E);
        // Dot products of length C, OC or an expert's row count: float rounding grows like sqrt(length).
        close("out", out, rOut, 1e-5, 1e-6 * Math.sqrt(C));
        close("dinp", dinp, rDx, 1e-5, 1e-6 * Math.sqrt(OC));
        close("dweight", dweight, plus(dwBase, rDw), 1e-5, 1e-6 * Math.sqrt(R));
    }

    /** offsets (E + 1) from 0 to R; experts 0, E/2 and E-1 empty when E >= 4, the rest random sizes. */
    static int[] offsets(SplittableRandom rnd, int R, int E) {
        int[] size = new int[E];
        for (int r = 0; r < R; r++) {
            int e = rnd.nextInt(E);
            if (E >= 4 && (e == 0 || e == E / 2 || e == E - 1)) e = 1;
            size[e]++;
        }
        int[] off = new int[E + 1];
        for (int e = 0; e < E; e++) off[e + 1] = off[e] + size[e];
        return off;
    }
}
