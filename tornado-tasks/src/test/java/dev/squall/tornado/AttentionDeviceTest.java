package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.AttentionRef;
import dev.squall.tornado.backend.LaunchGeometry;
import dev.squall.tornado.kernels.AttentionKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Causal GQA attention forward and backward on the default TornadoVM device against the dense double
 * reference; every output NaN-poisoned (the backward writes all of dq, dk and dv).
 */
class AttentionDeviceTest {

    @ParameterizedTest(name = "B={0} T={1} H={2} Hkv={3} hd={4}")
    @CsvSource({"1,1,4,2,8", "2,7,4,2,16", "1,33,3,1,8", "2,33,4,2,16", "1,13,3,1,16"})
    void forwardAndBackwardMatchTheReference(int B, int T, int H, int Hkv, int hd) {
        long seed = 7919L * B + 131L * T + 17L * H + 5L * Hkv + hd;
        int nq = B * T * H * hd, nkv = B * T * Hkv * hd, rows = B * H * T;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] xq = normal(seed, nq, 1.0), xk = normal(seed + 1, nkv, 1.0), xv = normal(seed + 2, nkv, 1.0);
        float[] g = normal(seed + 3, nq, 1.0);

        FloatArray q = FloatArray.fromArray(xq), k = FloatArray.fromArray(xk), v = FloatArray.fromArray(xv);
        FloatArray dout = FloatArray.fromArray(g);
        FloatArray out = poisoned(nq), lse = poisoned(rows), dsum = poisoned(rows);
        FloatArray dq = poisoned(nq), dk = poisoned(nkv), dv = poisoned(nkv);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("att")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, q, k, v, dout, out, lse, dsum, dq, dk, dv)
                .task("fwd", AttentionKernels::forward, ctx, out, lse, q, k, v, B, T, H, Hkv, hd, scale)
                .task("dot", AttentionKernels::rowDots, ctx, dsum, dout, out, T, H, hd)
                .task("dq", AttentionKernels::backwardQuery, ctx, dq, dout, q, k, v, lse, dsum, T, H, Hkv, hd, scale)
                .task("dkv", AttentionKernels::backwardKeyValue, ctx, dk, dv, dout, q, k, v, lse, dsum, T, H, Hkv, hd,
                        scale)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, lse, dq, dk, dv);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("att.fwd", grid(LaunchGeometry.DEFAULT.attentionRows(rows)));
        grids.addWorkerGrid("att.dot", grid(rows, 0));
        grids.addWorkerGrid("att.dq", grid(rows, 0));
        grids.addWorkerGrid("att.dkv", grid(B * Hkv * T, 0));
        run(graph, grids);

        double[] rOut = new double[nq], rLse = new double[rows];
        double[] rDq = new double[nq], rDk = new double[nkv], rDv = new double[nkv];
        AttentionRef.forward(rOut, rLse, d(xq), d(xk), d(xv), B, T, H, Hkv, hd, scale);
        AttentionRef.backward(rDq, rDk, rDv, d(g), d(xq), d(xk), d(xv), rOut, rLse, B, T, H, Hkv, hd, scale);
        // float32 dot products of length hd inside exp, then sums over up to T keys (times H/Hkv heads for dk, dv).
        double sum = Math.sqrt((double) T * H / Hkv * hd);
        close("out", out, rOut, 1e-4, 1e-5);
        close("lse", lse, rLse, 1e-5, 1e-5);
        close("dq", dq, rDq, 1e-4, 2e-6 * sum);
        close("dk", dk, rDk, 1e-4, 2e-6 * sum);
        close("dv", dv, rDv, 1e-4, 2e-6 * sum);
    }
}
