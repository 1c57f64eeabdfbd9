package dev.squall.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.jvm.JvmBackend;
import dev.squall.program.Buffer;
import dev.squall.program.Routing;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
import dev.squall.tornado.backend.TornadoBackend;
import dev.squall.tornado.backend.TornadoBackendProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A whole MoE block's forward and backward as one chain, where tasks read what earlier ones wrote and
 * three backwards add into one router gradient, with tied router logits: the catalog runs each MoE
 * kernel on its own with reference inputs and logits kept apart.
 *
 * <p>Every MoE task record lowered by the TornadoVM backend and run as a stage program (router, losses,
 * plan, gather, grouped matmuls, combine, mix, and all their backwards) against the same records run
 * by their JVM kernels. Checks the wiring (argument order, grids, scratch partials, the per-kind and
 * per-gradient variants), so the tolerance is the float-vs-float one: the kernels themselves are
 * checked against the double references in their own tests.
 */
class MoeLoweringDeviceTest {
    static final int N = 13, E = 5, K = 2, C = 8, OC = 6, R = N * K;

    @Test
    void loweredStagesMatchTheJvmKernels() {
        StepProgram p = new StepProgram();
        Buffer.Role A = Buffer.Role.ACTIVATION;
        Buffer logits = p.floats("logits", A, N, E), x = p.floats("x", A, N, C), shared = p.floats("shared", A, N, OC);
        Buffer idx = p.ints("expertIdx", A, N, K), gates = p.floats("gates", A, N, K), weights = p.floats("weights", A, N, K);
        Buffer probs = p.floats("probs", A, N, E), lse = p.floats("lse", A, N), counts = p.floats("counts", A, E);
        Buffer metrics = p.floats("metrics", Buffer.Role.OUTPUT, 6);
        Buffer rowSlot = p.ints("rowSlot", A, R), slotRow = p.ints("slotRow", A, R), offsets = p.ints("offsets", A, E + 1);
        Buffer xs = p.floats("xs", A, R, C), hs = p.floats("hs", A, R, OC), y = p.floats("y", A, N, OC);
        Buffer out = p.floats("out", A, N, OC), dout = p.floats("dout", A, N, OC);
        StepProgram.Param w = p.param("w", true, E, OC, C);
        Buffer dy = p.floats("dy", A, N, OC), dshared = p.floats("dshared", A, N, OC);
        Buffer dyOnly = p.floats("dyOnly", A, N, OC), dsharedOnly = p.floats("dsharedOnly", A, N, OC);
        Buffer dhs = p.floats("dhs", A, R, OC), dweights = p.floats("dweights", A, N, K), dxs = p.floats("dxs", A, R, C);
        Buffer dx = p.floats("dx", A, N, C), dlogits = p.floats("dlogits", A, N, E);
        float gamma = 0.01f, beta = 0.001f, scale = 0.25f, alpha = 0.8f, mixB = 0.6f;
        Routing kind = Routing.SQRTGATE;

        Stage fwd = new Stage("moe.fwd")
                .add(new Task.RouterForward(idx, gates, weights, probs, lse, logits, N, E, K, kind))
                .add(new Task.RouterCounts(counts, idx, N, K, E))
                .add(new Task.BalanceLossForward(metrics, 0, probs, counts, N, E, K, gamma))
                .add(new Task.ZLossForward(metrics, 1, lse, N, beta))
                .add(new Task.LoadImbalance(metrics, 3, counts, E))
                .add(new Task.MoePlan(rowSlot, slotRow, offsets, idx, N, K, E))
                .add(new Task.MoeGather(xs, x, rowSlot, N, K, C))
                .add(new Task.GroupedMatmulForward(hs, xs, w.value(), offsets, R, C, OC, E))
                .add(new Task.MoeCombine(y, hs, weights, slotRow, N, K, OC))
                .add(new Task.MixForward(out, y, shared, alpha, mixB, N * OC));
        Stage bwd = new Stage("moe.bwd")
                .add(new Task.MixBackward(dy, dshared, dout, alpha, mixB, N * OC))
                .add(new Task.MixBackward(dyOnly, null, dout, alpha, mixB, N * OC))
                .add(new Task.MixBackward(null, dsharedOnly, dout, alpha, mixB, N * OC))
                .add(new Task.MoeCombineBackward(dhs, dweights, dy, hs, weights, slotRow, N, K, OC))
                .add(new Task.GroupedMatmulBackwardInput(dxs, dhs, w.value(), offsets, R, C, OC, E))
                .add(new Task.GroupedMatmulBackwardWeight(w.grad(), dhs, xs, offsets, R, C, OC, E))
                .add(new Task.MoeGatherBackward(dx, dxs, slotRow, N, K, C))
                .add(new Task.RouterBackward(dlogits, dweights, gates, weights, probs, idx, N, E, K, kind))
                .add(new Task.BalanceLossBackward(dlogits, probs, counts, N, E, K, gamma, scale))
                .add(new Task.ZLossBackward(dlogits, probs, lse, N, E, beta, scale));
        p.register(fwd);
        p.register(bwd);

        // Logits from a few levels 0.5 apart: exact ties (to the lower index) and clear gaps elsewhere.
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < N * E; i++) logits.f[i] = (rnd.nextInt(7) - 3) * 0.5f;
        fill(rnd, x.f, shared.f, dout.f, w.value().f, w.grad().f, metrics.f);
        Map<Buffer, Object> initial = snapshot(p);

        JvmBackend onJvm = new JvmBackend();
        onJvm.run(fwd);
        onJvm.run(bwd);
        Map<Buffer, Object> jvm = snapshot(p);
        restore(initial);

        try (TornadoBackend b = (TornadoBackend) new TornadoBackendProvider().create(0)) {
            b.load(p);
            b.run(fwd);
            b.run(bwd);
            b.download(p.buffers().values().toArray(new Buffer[0]));
        }
        List<String> bad = new ArrayList<>();
        for (Buffer buf : p.buffers().values()) {
            Object want = jvm.get(buf);
            if (buf.i != null) {
                assertArrayEquals((int[]) want, buf.i, buf.name);
                continue;
            }
            float[] wf = (float[]) want;
            for (int i = 0; i < wf.length; i++) {
                // Float kernels on both sides: exp/log and summation order differ by a few ulps.
                if (!(Math.abs(buf.f[i] - wf[i]) <= 1e-5 + 1e-4 * Math.abs(wf[i]))) {
                    bad.add(buf.name + "[" + i + "]: device " + buf.f[i] + ", jvm " + wf[i]);
                }
            }
        }
        assertTrue(bad.isEmpty(), bad.size() + " mismatches, first: " + bad.subList(0, Math.min(10, bad.size())));
    }

    static void fill(SplittableRandom rnd, float[]... arrays) {
        for (float[] a : arrays) for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
    }

    static Map<Buffer, Object> snapshot(StepProgram p) {
        Map<Buffer, Object> m = new LinkedHashMap<>();
        for (Buffer b : p.buffers().values()) m.put(b, b.f != null ? b.f.clone() : b.i.clone());
        return m;
    }

    static void restore(Map<Buffer, Object> m) {
        for (Map.Entry<Buffer, Object> e : m.entrySet()) {
            Buffer b = e.getKey();
            if (b.f != null) System.arraycopy((float[]) e.getValue(), 0, b.f, 0, b.f.length);
            else System.arraycopy((int[]) e.getValue(), 0, b.i, 0, b.i.length);
        }
    }
}
