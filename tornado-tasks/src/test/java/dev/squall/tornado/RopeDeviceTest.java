package dev.squall.tornado;

import static dev.squall.testing.Arrays2.normal;
import static dev.squall.testing.Arrays2.toDouble;
import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.RopeRef;
import dev.squall.tornado.kernels.RopeKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The decode form of RoPE rotating several tokens at positions read from a device array, one compiled
 * plan run at two positions, which the catalog (one token at one position per run) cannot show. The
 * training forward and both backwards, the in-place one included, are checked through the backend's
 * lowering by {@link EveryDeviceMatrixTest}.
 */
class RopeDeviceTest {
    static final double BASE = 10000.0;

    @ParameterizedTest(name = "T={0} nHeads={1} hd={2}")
    @CsvSource({"1,1,2", "3,1,6", "7,3,8", "13,2,34", "128,8,64"})
    void decodeRowsMatchTheReferenceAtEachPosition(int T, int nHeads, int hd) {
        long seed = 41L * T + 7L * nHeads + hd;
        int half = hd / 2, rowLen = nHeads * hd;
        float[] cos = new float[T * half], sin = new float[T * half];
        dev.squall.model.Transformer.ropeTables(cos, sin, T, hd, BASE);
        int nTok = Math.max(1, T / 2);
        float[] xd = normal(seed, nTok * rowLen, 1.0);

        FloatArray fc = FloatArray.fromArray(cos), fs = FloatArray.fromArray(sin), inpDec = FloatArray.fromArray(xd);
        FloatArray outDec = poisonedArray(nTok * rowLen);
        IntArray pos = IntArray.fromElements(0);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("rope")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, fc, fs, inpDec, pos, outDec)
                .task("dec", RopeKernels::forwardAt, ctx, outDec, inpDec, fc, fs, pos, nTok, nHeads, hd)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, outDec);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("rope.dec", grid(nTok * nHeads * half, 0));

        int[] positions = {0, T - nTok};
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(grids);
            for (int p0 : positions) {
                pos.set(0, p0);
                outDec.init(Float.NaN);
                plan.execute();
                // Two products and a sum per element, O(1) values: a few ulps, floor for cancellation.
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
        RopeRef.forward(r, toDouble(xd), c, s, 1, nTok, nHeads, hd);
        return r;
    }
}
