package dev.squall.bench;

import dev.squall.kernels.GroupedMatmul;
import dev.squall.kernels.Matmul;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The experts' grouped products at an MoE up-projection shape: R = 4096 sorted rows (e.g. 2048 tokens x
 * 2 slots) split equally among E = 8 experts, C = 256 in, OC = 2 * 88 out (gate and up of an 88-wide
 * expert). Beside them, one plain {@link Matmul} of the same R x C x OC, i.e. the same 2 * R * C * OC
 * flops, shows what the grouping costs. The secondary result {@code gflop} is GFLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GroupedMatmulBench {
    static final int R = 4096, C = 256, OC = 2 * 88, E = 8;

    int[] offsets;
    float[] inp, weight, out, dout, dinp, dweight, plainWeight, plainDweight;

    @Setup
    public void setup() {
        offsets = new int[E + 1];
        for (int e = 0; e <= E; e++) offsets[e] = R * e / E;
        inp = random(1, R * C); weight = random(2, E * OC * C); dout = random(3, R * OC);
        plainWeight = random(4, OC * C);
        out = new float[R * OC]; dinp = new float[R * C]; dweight = new float[E * OC * C];
        plainDweight = new float[OC * C];
    }

    private static double gflopPerCall() {
        return 2.0 * R * C * OC / 1e9;
    }

    @Benchmark
    public void groupedForward(Flops f) {
        GroupedMatmul.forward(out, inp, weight, offsets, R, C, OC, E);
        f.gflop += gflopPerCall();
    }

    @Benchmark
    public void groupedBackwardInput(Flops f) {
        GroupedMatmul.backwardInput(dinp, dout, weight, offsets, R, C, OC, E);
        f.gflop += gflopPerCall();
    }

    @Benchmark
    public void groupedBackwardWeight(Flops f) {
        GroupedMatmul.backwardWeight(dweight, dout, inp, offsets, R, C, OC, E);
        f.gflop += gflopPerCall();
    }

    @Benchmark
    public void plainForward(Flops f) {
        Matmul.forward(out, inp, plainWeight, null, R, C, OC);
        f.gflop += gflopPerCall();
    }

    @Benchmark
    public void plainBackwardInput(Flops f) {
        Matmul.backwardInput(dinp, dout, plainWeight, R, C, OC);
        f.gflop += gflopPerCall();
    }

    @Benchmark
    public void plainBackwardWeight(Flops f) {
        Matmul.backwardWeight(plainDweight, null, dout, inp, R, C, OC);
        f.gflop += gflopPerCall();
    }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
