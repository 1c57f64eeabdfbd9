package dev.squall.bench;

import dev.squall.kernels.Matmul;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The linear layer's three products at 1024^3 and at the model's projection shapes (tokens x in x out):
 * attention (256 -> 768 = Q, K, V), SwiGLU up (256 -> 2 * 704) and down (704 -> 256), the output
 * projection (256 -> 256) and the vocabulary head (256 -> 256). Each product is 2 * N * C * OC flops;
 * the secondary result {@code gflop} is that count per second, i.e. GFLOP/s (this machine's ceiling:
 * OpenBLAS sgemm, about 100 GFLOP/s on its 2 cores).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatmulBench {
    /** N x C x OC. */
    @Param({"1024x1024x1024", "2048x256x768", "2048x256x1408", "2048x704x256", "2048x256x256"})
    String shape;

    int N, C, OC;
    float[] inp, weight, bias, out, dout, dinp, dweight, dbias;

    @Setup
    public void setup() {
        String[] s = shape.split("x");
        N = Integer.parseInt(s[0]); C = Integer.parseInt(s[1]); OC = Integer.parseInt(s[2]);
        inp = random(1, N * C); weight = random(2, OC * C); bias = random(3, OC); dout = random(4, N * OC);
        out = new float[N * OC]; dinp = new float[N * C]; dweight = new float[OC * C]; dbias = new float[OC];
    }

    private double gflopPerCall() {
        return 2.0 * N * C * OC / 1e9;
    }

    @Benchmark
    public void forward(Flops f) {
        Matmul.forward(out, inp, weight, bias, N, C, OC);
        f.gflop += gflopPerCall();
    }

    @Benchmark
    public void backwardInput(Flops f) {
        Matmul.backwardInput(dinp, dout, weight, N, C, OC);
        f.gflop += gflopPerCall();
    }

    @Benchmark
    public void backwardWeight(Flops f) {
        Matmul.backwardWeight(dweight, dbias, dout, inp, N, C, OC);
        f.gflop += gflopPerCall();
    }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
