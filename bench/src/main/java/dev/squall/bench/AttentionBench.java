package dev.squall.bench;

import dev.squall.kernels.Attention;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Causal attention, forward and backward, at two shapes "B,T,H,Hkv,hd": a training micro-batch of
 * short sequences (MHA) and one long sequence with grouped-query heads.
 *
 * <p>FLOPs (the usual causal count, half of the dense T x T work): forward = 2 matmuls = 2 * B * H * T^2 * hd
 * (268 MFLOP at 8,256,4,4,64; 1074 MFLOP at 1,1024,8,2,64); backward = 5 matmuls = 2.5 x forward
 * (671 and 2684 MFLOP). The kernel's backward actually does 7 (S and dP recomputed once more for the
 * race-free dq pass), so its arithmetic rate is 1.4 x the reported one. GFLOP/s = FLOPs / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionBench {
    @Param({"8,256,4,4,64", "1,1024,8,2,64"}) String shape;

    int B, T, H, Hkv, hd;
    float scale;
    float[] q, k, v, out, lse, dout, dq, dk, dv;

    @Setup
    public void setup() {
        String[] p = shape.split(",");
        B = Integer.parseInt(p[0]); T = Integer.parseInt(p[1]); H = Integer.parseInt(p[2]);
        Hkv = Integer.parseInt(p[3]); hd = Integer.parseInt(p[4]);
        scale = (float) (1 / Math.sqrt(hd));
        int nq = B * T * H * hd, nkv = B * T * Hkv * hd;
        q = random(1, nq); k = random(2, nkv); v = random(3, nkv); dout = random(4, nq);
        out = new float[nq]; lse = new float[B * H * T];
        dq = new float[nq]; dk = new float[nkv]; dv = new float[nkv];
        Attention.forward(out, lse, q, k, v, B, T, H, Hkv, hd, scale);
    }

    @Benchmark public void attentionForward() { Attention.forward(out, lse, q, k, v, B, T, H, Hkv, hd, scale); }

    @Benchmark public void attentionBackward() {
        Attention.backward(dq, dk, dv, dout, q, k, v, out, lse, B, T, H, Hkv, hd, scale);
    }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
