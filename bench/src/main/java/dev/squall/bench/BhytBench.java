package dev.squall.bench;

import dev.squall.kernels.Bhyt;
import dev.squall.kernels.RmsNorm;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * BHyT's pieces at the shape, 4096 tokens of width 1024, forward and backward, beside the
 * two RMSNorms they replace in a Pre-LN block (the paper's claim is speed: one reduction per block
 * instead of two). Bytes moved per call (the floor, N * C * 4 B per tensor pass):
 * statistic reads x (1); inputForward and secondForward read one tensor and write one (2);
 * inputBackward reads x and dy, writes dx (3); secondBackward reads h, dy and x, writes dh and the
 * cross term (5). The block pairs: bhytBlockForward = statistic + input + second (5: x is read twice),
 * rmsnormBlockForward = two RMSNorm forwards (4); backward pairs 8 and 6. GB/s = bytes / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class BhytBench {
    @Param({"4096"}) int tokens;
    @Param({"1024"}) int width;

    float[] x, h, n1, n2, dy1, dy2, dx, dh, dxCross, gamma1, gamma2, dgamma1, dgamma2, meanSq, rho2, rstd1, rstd2;
    final float[] lambda1 = {2f}, lambda2 = {1f}, dlambda1 = new float[1], dlambda2 = new float[1], cAttn = {0.5f};
    static final float K = Bhyt.KAPPA, E = Bhyt.EPS;

    @Setup
    public void setup() {
        int n = tokens * width;
        x = random(1, n); h = random(2, n); dy1 = random(3, n); dy2 = random(4, n);
        gamma1 = random(5, width); gamma2 = random(6, width);
        n1 = new float[n]; n2 = new float[n]; dx = new float[n]; dh = new float[n]; dxCross = new float[n];
        dgamma1 = new float[width]; dgamma2 = new float[width];
        meanSq = new float[tokens]; rho2 = new float[tokens]; rstd1 = new float[tokens]; rstd2 = new float[tokens];
        bhytBlockForward();
        rmsnormBlockForward();
    }

    @Benchmark public void statistic() { Bhyt.statistic(meanSq, x, tokens, width); }
    @Benchmark public void inputForward() { Bhyt.forwardInput(n1, x, meanSq, lambda1, gamma1, tokens, width, K, E); }
    @Benchmark public void secondForward() {
        Bhyt.forwardSecond(n2, rho2, h, meanSq, cAttn, lambda1, lambda2, gamma2, tokens, width, K, E);
    }
    @Benchmark public void inputBackward() {
        Bhyt.backwardInput(dx, dlambda1, dgamma1, dy1, x, meanSq, lambda1, gamma1, tokens, width, K, E);
    }
    @Benchmark public void secondBackward() {
        Bhyt.backwardSecond(dh, dxCross, dlambda2, dgamma2, dy2, h, x, rho2, lambda2, gamma2, tokens, width, K);
    }

    @Benchmark public void bhytBlockForward() { statistic(); inputForward(); secondForward(); }
    @Benchmark public void bhytBlockBackward() { secondBackward(); inputBackward(); }
    @Benchmark public void rmsnormBlockForward() {
        RmsNorm.forward(n1, rstd1, x, gamma1, tokens, width, 1e-6f);
        RmsNorm.forward(n2, rstd2, h, gamma2, tokens, width, 1e-6f);
    }
    @Benchmark public void rmsnormBlockBackward() {
        RmsNorm.backward(dh, dgamma2, dy2, h, gamma2, rstd2, tokens, width);
        RmsNorm.backward(dx, dgamma1, dy1, x, gamma1, rstd1, tokens, width);
    }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
