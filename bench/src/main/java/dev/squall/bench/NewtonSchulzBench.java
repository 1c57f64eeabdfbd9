package dev.squall.bench;

import dev.squall.kernels.Matmul;
import dev.squall.kernels.NewtonSchulz;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * NS5 (Muon's and HyperP's orthogonalization) on the small preset's matrices, shape
 * slices x rows x cols: an attention projection (1, 256, 256) and the expert stack of an 8-expert
 * top-2 MoE, (8, 352, 256) (gate or up; the down projection is its transpose, the same work). A
 * single matrix parallelises inside its products; a stack runs its slices side by side. The secondary result {@code gflop} is GFLOP/s,
 * counting 5 iterations of X·Xᵀ, A² and B·X as full products: 5 · (4·r²·c + 2·r³) flops for
 * r = min, c = max. Beside it, the product X·Xᵀ both ways in the same run: {@code Matmul.gram},
 * which computes the upper triangle and mirrors it, and the full {@code Matmul.forward(X, X)}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class NewtonSchulzBench {
    @Param({"1x256x256", "1x352x256", "8x352x256"})
    public String shape;

    int slices, rows, cols;
    float[] g, out, x, next, gram, gramSquared;

    @Setup
    public void setup() {
        String[] src = shape.split("x");
        slices = Integer.parseInt(src[0]);
        rows = Integer.parseInt(src[1]);
        cols = Integer.parseInt(src[2]);
        SplittableRandom r = new SplittableRandom(7);
        g = new float[slices * rows * cols];
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        out = new float[g.length];
        x = new float[rows * cols];
        next = new float[rows * cols];
        gram = new float[NewtonSchulz.gramSize(rows, cols)];
        gramSquared = new float[gram.length];
    }

    private double gflopPerCall() {
        double small = Math.min(rows, cols), large = Math.max(rows, cols);
        return slices * 5 * (4 * small * small * large + 2 * small * small * small) / 1e9;
    }

    @Benchmark
    public void orthogonalize(Flops f) {
        NewtonSchulz.orthogonalize(out, g, x, gram, gramSquared, next, slices, rows, cols);
        f.gflop += gflopPerCall();
    }

    /** One slice's X·Xᵀ (the first), upper triangle mirrored. */
    @Benchmark
    public void gramUpperTriangle(Flops f) {
        int r = Math.min(rows, cols), c = Math.max(rows, cols);
        Matmul.gram(gram, g, r, c);
        f.gflop += 2.0 * r * r * c / 1e9;
    }

    /** The same product in full. */
    @Benchmark
    public void gramFullProduct(Flops f) {
        int r = Math.min(rows, cols), c = Math.max(rows, cols);
        Matmul.forward(gram, g, g, null, r, c, r);
        f.gflop += 2.0 * r * r * c / 1e9;
    }
}
