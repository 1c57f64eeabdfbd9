package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.RopeRef;
import dev.squall.tornado.kernels.RopeKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * RoPE forward, backward and the decode form on the default TornadoVM device against the double
 * reference (fed the same float tables the device reads), outputs NaN-poisoned. The decode form runs
 * twice with a different position in its IntArray and the same compiled kernel.
 */
class RopeDeviceTest {
    static final double BASE = 10000.0;

    @ParameterizedTest(name = "B={0} T={1} nHeads={2} hd={3}")
    @CsvSource({"1,1,1,2", "1,3,1,6", "2,7,3,8", "1,13,2,34", "3,33,5,16", "2,128,8,64"})
    void forwardBackwardAndDecodeMatchTheReference(int B, int T, int nHeads, int hd) {
        long seed = 41L * B * T + 7L * nHeads + hd;
        int half = hd / 2, n = B * T * nHeads * hd, rowLen = nHeads * hd;
        float[] cos = new float[T * half], sin = new float[T * half];
        dev.squall.model.Transformer.ropeTables(cos, sin, T, hd, BASE);
        float[] x = normal(seed, n, 1.0), g = normal(seed + 1, n, 1.0);
        int nTok = Math.max(1, T / 2);
        float[] xd = normal(seed + 2, nTok * rowLen, 1.0);

        FloatArray fc = FloatArray.fromArray(cos), fs = FloatArray.fromArray(sin);
        FloatArray inp = FloatArray.fromArray(x), dout = FloatArray.fromArray(g), inPlace = FloatArray.fromArray(g), inpDec = FloatArray.fromArray(xd);
        FloatArray out = poisoned(n), dinp = poisoned(n), outDec = poisoned(nTok * rowLen);
        IntArray pos = IntArray.fromElements(0);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("rope")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, fc, fs, inp, dout, inPlace, inpDec, pos, out, dinp, outDec)
                .task("fwd", RopeKernels::forward, ctx, out, inp, fc, fs, B, T, nHeads, hd)
                .task("bwd", RopeKernels::backward, ctx, dinp, dout, fc, fs, B, T, nHeads, hd)
                .task("bwdi", RopeKernels::backwardInPlace, ctx, inPlace, fc, fs, B, T, nHeads, hd)
                .task("dec", RopeKernels::forwardAt, ctx, outDec, inpDec, fc, fs, pos, nTok, nHeads, hd)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, dinp, inPlace, outDec);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("rope.fwd", grid(B * T * nHeads * half, 0));
        grids.addWorkerGrid("rope.bwd", grid(B * T * nHeads * half, 0));
        grids.addWorkerGrid("rope.bwdi", grid(B * T * nHeads * half, 0));
        grids.addWorkerGrid("rope.dec", grid(nTok * nHeads * half, 0));

        double[] rOut = new double[n], rDinp = new double[n];
        RopeRef.forward(rOut, d(x), d(cos), d(sin), B, T, nHeads, hd);
        RopeRef.backward(rDinp, d(g), d(cos), d(sin), B, T, nHeads, hd);
        int[] positions = {0, T - nTok};
        try (uk.ac.manchester.tornado.api.TornadoExecutionPlan plan =
                     new uk.ac.manchester.tornado.api.TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(grids);
            for (int p0 : positions) {
                pos.set(0, p0);
                outDec.init(Float.NaN);
                for (int i = 0; i < n; i++) inPlace.set(i, g[i]);   // rotated in place: fresh each run
                plan.execute();
                // Two products and a sum per element, O(1) values: a few ulps, floor for cancellation.
                close("out", out, rOut, 1e-6, 2e-7);
                close("dinp", dinp, rDinp, 1e-6, 2e-7);
                close("dinp in place", inPlace, rDinp, 1e-6, 2e-7);
                close("decode@" + p0, outDec, decodeRef(xd, cos, sin, p0, nTok, nHeads, hd), 1e-6, 2e-7);
            }
        } catch (Exception e) {
            throw new AssertionError("TornadoVM failed to run graph: " + e, e);
        }
    }

    /** The decode rows at positions p0 .. p0 + nTok - 1: RopeRef.forward with B = 1 on the shifted tables. */
    private static double[] decodeRef(float[] xd, float[] cos, float[] sin, int p0, int nTok, int nHeads, int hd) {
        int half = hd / 2;
        double[] c = new double[nTok * half], s = new double[nTok * half];
        for (int k = 0; k < nTok * half; k++) {
            c[k] = cos[p0 * half + k];
            s[k] = sin[p0 * half + k];
        }
        double[] r = new double[xd.length];
        RopeRef.forward(r, d(xd), c, s, 1, nTok, nHeads, hd);
        return r;
    }
}
