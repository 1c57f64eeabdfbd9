package dev.squall.bench;

import dev.squall.kernels.DynamicErf;
import dev.squall.kernels.DynamicTanh;
import dev.squall.kernels.LayerNorm;
import dev.squall.kernels.RmsNorm;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The normalization family at the shape: 4096 tokens of width 1024, forward and backward.
 *
 * <p>Bytes moved per call (the floor; the C-sized gamma, beta and gradient vectors and the N-sized
 * mean/rstd are negligible and not counted):
 * <ul>
 *   <li>every forward reads x and writes y: 2 * N * C * 4 B = 33.6 MB;</li>
 *   <li>every backward reads x and dy and writes dx: 3 * N * C * 4 B = 50.3 MB.</li>
 * </ul>
 * GB/s = bytes / time: 33.6 MB in t us is 33.6 / t * 1e3 GB/s (forward), 50.3 / t * 1e3 (backward).
 * The whole working set (x, y, dy, dx: 67 MB) is far beyond cache, so these are memory-bound
 * floors unless the kernel is compute-bound (DyT's tanh, Derf's erf and exp).
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

    float[] x, y, dy, dx, gamma, beta, dgamma, dbeta, rstd, mean;
    /** DyT/Derf scalars at their usual initial values (SPEC §2.3, §3.3) with the gradients they accumulate into. */
    float[] alpha = {0.5f}, shift = {0.1f}, dalpha = {0f}, dshift = {0f};

    @Setup
    public void setup() {
        int n = tokens * width;
        x = random(1, n); dy = random(2, n); gamma = random(3, width); beta = random(4, width);
        y = new float[n]; dx = new float[n]; dgamma = new float[width]; dbeta = new float[width];
        rstd = new float[tokens]; mean = new float[tokens];
        RmsNorm.forward(y, rstd, x, gamma, tokens, width, 1e-5f);
        LayerNorm.forward(y, mean, rstd, x, gamma, beta, tokens, width, 1e-5f);
    }

    @Benchmark public void rmsnormForward() { RmsNorm.forward(y, rstd, x, gamma, tokens, width, 1e-5f); }
    @Benchmark public void rmsnormBackward() { RmsNorm.backward(dx, dgamma, dy, x, gamma, rstd, tokens, width); }

    @Benchmark public void layernormForward() { LayerNorm.forward(y, mean, rstd, x, gamma, beta, tokens, width, 1e-5f); }
    @Benchmark public void layernormBackward() {
        LayerNorm.backward(dx, dgamma, dbeta, dy, x, gamma, mean, rstd, tokens, width);
    }

    @Benchmark public void dytForward() { DynamicTanh.forward(y, x, alpha, gamma, beta, tokens, width); }
    @Benchmark public void dytBackward() {
        DynamicTanh.backward(dx, dalpha, dgamma, dbeta, dy, x, alpha, gamma, tokens, width);
    }

    @Benchmark public void derfForward() { DynamicErf.forward(y, x, alpha, shift, gamma, beta, tokens, width); }
    @Benchmark public void derfBackward() {
        DynamicErf.backward(dx, dalpha, dshift, dgamma, dbeta, dy, x, alpha, shift, gamma, tokens, width);
    }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
