package dev.squall.bench;

import dev.squall.kernels.RmsNorm;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The normalization family at the shape: 4096 tokens of width 1024, forward and backward.
 * Bytes moved per call (the floor): forward reads x and writes y (2 * N * C * 4 B); backward reads
 * x and dy and writes dx (3 * N * C * 4 B). GB/s = bytes / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class NormBench {
    @Param({"4096"}) int tokens;
    @Param({"1024"}) int width;

    float[] x, y, dy, dx, gamma, dgamma, rstd;

    @Setup
    public void setup() {
        int n = tokens * width;
        x = random(1, n); dy = random(2, n); gamma = random(3, width);
        y = new float[n]; dx = new float[n]; dgamma = new float[width]; rstd = new float[tokens];
        RmsNorm.forward(y, rstd, x, gamma, tokens, width, 1e-5f);
    }

    @Benchmark public void rmsnormForward() { RmsNorm.forward(y, rstd, x, gamma, tokens, width, 1e-5f); }
    @Benchmark public void rmsnormBackward() { RmsNorm.backward(dx, dgamma, dy, x, gamma, rstd, tokens, width); }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
