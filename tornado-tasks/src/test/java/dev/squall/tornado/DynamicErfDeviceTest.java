package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;
import static org.junit.jupiter.api.Assertions.fail;

import dev.squall.reference.DynamicErfRef;
import dev.squall.reference.ErfRef;
import dev.squall.tornado.kernels.ColumnSums;
import dev.squall.tornado.kernels.DynamicErfKernels;
import dev.squall.tornado.kernels.DynamicTanhKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The device erf alone over its whole range, then Derf forward and backward on the default TornadoVM
 * device against the double reference, with and without beta; outputs NaN-poisoned, every parameter
 * gradient (dgamma, dbeta, dalpha, dshift) accumulated onto a random base.
 */
class DynamicErfDeviceTest {
    static final int G = DynamicErfKernels.ROW_GROUP;

    /** Every multiple of 2^-12 in [-10, 10], 50k log-uniform magnitudes in [1e-6, 10], tiny values of both signs. */
    static float[] sweep() {
        int grid = 2 * 10 * 4096 + 1, logs = 50_000, dense = grid + logs;
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        float[] tiny = {Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 1e-30f, 1e-20f, 1e-12f, 1e-8f, 3e-6f, 1e-4f,
                0.01f, 0.5f, Math.nextDown(1f), 1f, Math.nextUp(1f), 3.9f, Math.nextDown(4f), 4f, 100f,
                Float.MAX_VALUE, Float.POSITIVE_INFINITY};
        float[] xs = new float[dense + 2 * tiny.length];
        for (int i = 0; i < grid; i++) xs[i] = -10f + i / 4096f;
        for (int i = grid; i < dense; i++) xs[i] = (float) Math.pow(10, -6 + 7 * random.nextDouble()) * (i % 2 == 0 ? 1 : -1);
        for (int i = 0; i < tiny.length; i++) {
            xs[dense + 2 * i] = tiny[i];
            xs[dense + 2 * i + 1] = -tiny[i];
        }
        return xs;
    }

    /**
     * Tolerance as ErfTest's for the JVM erf: 1.5e-7 relative (float rounding in the Horner chains and
     * 1 - exp), plus the subnormal spacing where the result is subnormal.
     */
    @Test
    void deviceErfMatchesReferenceOverWholeRange() {
        float[] xs = sweep();
        // Derf with alpha 1, shift 0 and gain 1 is erf itself (1 * x + 0 and 1 * erf are exact in float),
        // so the device erf is checked inside the kernel training runs: one row holding every point.
        FloatArray inp = FloatArray.fromArray(xs), out = poisoned(xs.length);
        FloatArray alpha = FloatArray.fromArray(new float[] {1f}), shift = FloatArray.fromArray(new float[] {0f});
        FloatArray gain = new FloatArray(xs.length);
        gain.init(1f);
        TaskGraph graph = new TaskGraph("erf")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, out, alpha, shift, gain)
                .task("erf", DynamicErfKernels::forwardNoBias, new KernelContext(), out, inp, alpha, shift, gain, xs.length)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("erf.erf", grid(xs.length, 0));
        run(graph, grids);
        double maxRel = 0;
        for (int i = 0; i < xs.length; i++) {
            double e = ErfRef.erf(xs[i]), a = out.get(i);
            double abs = Math.abs(a - e);
            if (!(abs <= 1.5e-7 * Math.abs(e) + Float.MIN_VALUE))
                fail(String.format("device erf(%s) = %.9g, reference %.17g", xs[i], a, e));
            if (Math.abs(e) >= Float.MIN_NORMAL) maxRel = Math.max(maxRel, abs / Math.abs(e));
        }
        System.out.printf("device erf: max relative error (normal results) %.3g over %d points%n", maxRel, xs.length);
    }

    @ParameterizedTest(name = "N={0} C={1} bias={2}")
    @CsvSource({"1,1,true", "3,7,false", "13,31,true", "7,127,false", "65,100,true", "33,1024,true"})
    void forwardAndBackwardMatchTheReference(int N, int C, boolean withBias) {
        long seed = 43L * N + C;
        float[] x = normal(seed, N * C, 2.0), w = normal(seed + 1, C, 1.0), bb = normal(seed + 4, C, 1.0);
        float[] g = normal(seed + 2, N * C, 1.0);
        float[] al = {0.6f}, sh = {0.1f}, daBase = {0.3f}, dsBase = {-0.2f};
        float[] dwBase = normal(seed + 3, C, 1.0), dbBase = normal(seed + 5, C, 1.0);
        int blocks = DynamicErfKernels.blocks(N);

        FloatArray inp = FloatArray.fromArray(x), weight = FloatArray.fromArray(w), bias = FloatArray.fromArray(bb);
        FloatArray dout = FloatArray.fromArray(g), alpha = FloatArray.fromArray(al), shift = FloatArray.fromArray(sh);
        FloatArray out = poisoned(N * C), dinp = poisoned(N * C), aRows = poisoned(N), sRows = poisoned(N);
        FloatArray wp = poisoned(blocks * C), bp = poisoned(blocks * C);
        FloatArray dweight = FloatArray.fromArray(dwBase), dbias = FloatArray.fromArray(dbBase);
        FloatArray dalpha = FloatArray.fromArray(daBase), dshift = FloatArray.fromArray(dsBase);
        KernelContext ctx = new KernelContext();
        String name = withBias ? "derfb" : "derf";
        TaskGraph graph = new TaskGraph(name)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, weight, bias, dout, alpha, shift, out, dinp,
                        aRows, sRows, wp, bp, dweight, dbias, dalpha, dshift);
        if (withBias) graph.task("fwd", DynamicErfKernels::forward, ctx, out, inp, alpha, shift, weight, bias, C);
        else graph.task("fwd", DynamicErfKernels::forwardNoBias, ctx, out, inp, alpha, shift, weight, C);
        graph.task("bwd", DynamicErfKernels::backwardRows, ctx, dinp, aRows, sRows, dout, inp, alpha, shift, weight, C)
                .task("dar", DynamicTanhKernels::addScalar, ctx, dalpha, aRows, N)
                .task("dsr", DynamicTanhKernels::addScalar, ctx, dshift, sRows, N);
        if (withBias) {
            graph.task("pp", DynamicErfKernels::paramPartials, ctx, wp, bp, dout, inp, alpha, shift, N, C)
                    .task("dwr", ColumnSums::addColumns, ctx, dweight, wp, C, blocks)
                    .task("dbr", ColumnSums::addColumns, ctx, dbias, bp, C, blocks);
        } else {
            graph.task("pp", DynamicErfKernels::weightPartials, ctx, wp, dout, inp, alpha, shift, N, C)
                    .task("dwr", ColumnSums::addColumns, ctx, dweight, wp, C, blocks);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out, dinp, dweight, dbias, dalpha, dshift);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid(name + ".fwd", grid(N * C, 0));
        grids.addWorkerGrid(name + ".bwd", grid(N * G, G));
        grids.addWorkerGrid(name + ".dar", grid(1, 0));
        grids.addWorkerGrid(name + ".dsr", grid(1, 0));
        grids.addWorkerGrid(name + ".pp", grid(blocks * C, 0));
        grids.addWorkerGrid(name + ".dwr", grid(C, 0));
        if (withBias) grids.addWorkerGrid(name + ".dbr", grid(C, 0));
        run(graph, grids);

        double[] rOut = new double[N * C], rDx = new double[N * C], rDw = new double[C];
        double[] rDb = withBias ? new double[C] : null, rDa = new double[1], rDs = new double[1];
        DynamicErfRef.forward(rOut, d(x), d(al), d(sh), d(w), withBias ? d(bb) : null, N, C);
        DynamicErfRef.backward(rDx, rDa, rDs, rDw, rDb, d(g), d(x), d(al), d(sh), d(w), N, C);
        // Elementwise float32 erf / exp: a few ulps.
        close("out", out, rOut, 1e-5, 1e-6);
        close("dx", dinp, rDx, 1e-5, 1e-6);
        // Grid-wide sums: dgamma/dbeta over N rows, dalpha/dshift over N*C elements; error grows like sqrt(count).
        close("dgamma", dweight, plus(dwBase, rDw), 1e-4, 1e-5 * Math.sqrt(N));
        if (withBias) close("dbeta", dbias, plus(dbBase, rDb), 1e-4, 1e-5 * Math.sqrt(N));
        else close("dbeta untouched", dbias, d(dbBase), 0, 0);
        close("dalpha", dalpha, plus(daBase, rDa), 1e-4, 1e-5 * Math.sqrt((double) N * C));
        close("dshift", dshift, plus(dsBase, rDs), 1e-4, 1e-5 * Math.sqrt((double) N * C));
    }
}
