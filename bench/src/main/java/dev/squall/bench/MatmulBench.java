package dev.squall.bench;

import dev.squall.kernels.Matmul;
import dev.squall.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The linear layer's three products at 1024^3 and at the model's projection shapes (tokens x in x out):
 * attention (256 -> 768 = Q, K, V), SwiGLU up (256 -> 2 * 704) and down (704 -> 256), the output
 * projection (256 -> 256) and the vocabulary head (256 -> 256). Each product is 2 * N * C * OC flops;
 * the secondary result {@code gflop} is that count per second, i.e. GFLOP/s.
 *
 * <p>{@code library=openblas} runs the same products, same shapes and same row-major layouts through
 * OpenBLAS's {@code cblas_sgemm} ({@link OpenBlas}) on off-heap copies of the same data, with as many
 * OpenBLAS threads as Squall's pool has ({@code openblas_set_num_threads}), so each shape's two rows
 * are Squall against the native anchor in one run. Before timing, a small odd-shaped self-check
 * compares every OpenBLAS product with Squall's, so a wrong transpose fails instead of timing a fast
 * wrong answer. The bias (added by {@code forward}, summed by {@code backwardWeight}) is O(N·OC),
 * under 0.5% of the work at these shapes, and is left out on the OpenBLAS side, which has no such step.
 * Where OpenBLAS is missing, {@link BenchMain} says so and runs the Squall rows only.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulBench {
    /** The JMH parameter {@link BenchMain} narrows to Squall alone when OpenBLAS is missing. */
    static final String LIBRARY_PARAM = "library", SQUALL = "squall", OPENBLAS = "openblas";

    @Param({SQUALL, OPENBLAS})
    String library;

    /** N x C x OC. */
    @Param({"1024x1024x1024", "2048x256x768", "2048x256x1408", "2048x704x256", "2048x256x256"})
    String shape;

    int N, C, OC;
    float[] inp, weight, bias, out, dout, dinp, dweight, dbias;

    /** OpenBLAS side only: the library and the same operands off-heap, allocated once for the trial. */
    OpenBlas blas;
    Arena arena;
    MemorySegment inpSeg, weightSeg, outSeg, doutSeg, dinpSeg, dweightSeg;

    @Setup
    public void setup() {
        String[] s = shape.split("x");
        N = Integer.parseInt(s[0]); C = Integer.parseInt(s[1]); OC = Integer.parseInt(s[2]);
        inp = random(1, N * C); weight = random(2, OC * C); bias = random(3, OC); dout = random(4, N * OC);
        out = new float[N * OC]; dinp = new float[N * C]; dweight = new float[OC * C]; dbias = new float[OC];
        if (library.equals(OPENBLAS)) setupOpenBlas();
    }

    private void setupOpenBlas() {
        blas = switch (OpenBlas.load()) {
            // BenchMain leaves this side out when the library is missing; here it was asked for by name.
            case OpenBlas.Missing m -> throw new IllegalStateException(m.reason());
            case OpenBlas.Found f -> f.blas();
        };
        blas.setThreads(Parallel.THREADS);
        System.out.println(blas.describe() + " (openblas_set_num_threads, matching Squall's " + Parallel.THREADS + ")");
        System.out.println(selfCheck(blas));
        arena = Arena.ofShared();
        inpSeg = offHeap(arena, inp); weightSeg = offHeap(arena, weight); doutSeg = offHeap(arena, dout);
        outSeg = offHeap(arena, out); dinpSeg = offHeap(arena, dinp); dweightSeg = offHeap(arena, dweight);
    }

    @TearDown
    public void tearDown() {
        if (arena != null) arena.close();
    }

    private double gflopPerCall() {
        return 2.0 * N * C * OC / 1e9;
    }

    @Benchmark
    public void forward(Flops f) {
        if (blas == null) Matmul.forward(out, inp, weight, bias, N, C, OC);
        else blasForward(blas, outSeg, inpSeg, weightSeg, N, C, OC);
        f.gflop += gflopPerCall();
    }

    @Benchmark
    public void backwardInput(Flops f) {
        if (blas == null) Matmul.backwardInput(dinp, dout, weight, N, C, OC);
        else blasBackwardInput(blas, dinpSeg, doutSeg, weightSeg, N, C, OC);
        f.gflop += gflopPerCall();
    }

    @Benchmark
    public void backwardWeight(Flops f) {
        if (blas == null) Matmul.backwardWeight(dweight, dbias, dout, inp, N, C, OC);
        else blasBackwardWeight(blas, dweightSeg, doutSeg, inpSeg, N, C, OC);
        f.gflop += gflopPerCall();
    }

    // Squall's three products as sgemm calls. Squall stores x (N x C), W (OC x C), dy (N x OC) row-major.

    /** out (N x OC) = inp·weightᵀ: M=N, N=OC, K=C, weight read transposed. Written (beta 0). */
    static void blasForward(OpenBlas blas, MemorySegment out, MemorySegment inp, MemorySegment weight, int N, int C, int OC) {
        blas.sgemm(false, true, N, OC, C, 1f, inp, C, weight, C, 0f, out, OC);
    }

    /** dinp (N x C) = dout·weight: M=N, N=C, K=OC, both as stored. Written (beta 0). */
    static void blasBackwardInput(OpenBlas blas, MemorySegment dinp, MemorySegment dout, MemorySegment weight, int N, int C, int OC) {
        blas.sgemm(false, false, N, C, OC, 1f, dout, OC, weight, C, 0f, dinp, C);
    }

    /** dweight (OC x C) += doutᵀ·inp: M=OC, N=C, K=N, dout read transposed. Accumulated (beta 1), as Squall's is. */
    static void blasBackwardWeight(OpenBlas blas, MemorySegment dweight, MemorySegment dout, MemorySegment inp, int N, int C, int OC) {
        blas.sgemm(true, false, OC, C, N, 1f, dout, OC, inp, C, 1f, dweight, C);
    }

    /**
     * Every OpenBLAS product against Squall's at a small shape whose three sides differ and are not
     * multiples of any tile, so a swapped transpose, stride or accumulate flag cannot agree by accident.
     * Throws when they disagree beyond float rounding; returns the one-line report otherwise.
     */
    static String selfCheck(OpenBlas blas) {
        int n = 67, c = 45, oc = 83;
        float[] x = random(11, n * c), w = random(12, oc * c), b = random(13, oc), dy = random(14, n * oc);
        float[] dwStart = random(15, oc * c);
        try (Arena a = Arena.ofConfined()) {
            // forward with bias: OpenBLAS's C starts as the bias in every row and accumulates (beta 1).
            float[] y = new float[n * oc], biasRows = new float[n * oc];
            for (int i = 0; i < n; i++) System.arraycopy(b, 0, biasRows, i * oc, oc);
            Matmul.forward(y, x, w, b, n, c, oc);
            MemorySegment ySeg = offHeap(a, biasRows);
            blas.sgemm(false, true, n, oc, c, 1f, offHeap(a, x), c, offHeap(a, w), c, 1f, ySeg, oc);
            double forwardError = maxError("forward", y, ySeg);

            float[] dx = new float[n * c];
            Matmul.backwardInput(dx, dy, w, n, c, oc);
            MemorySegment dxSeg = a.allocate((long) n * c * Float.BYTES, 64);
            blasBackwardInput(blas, dxSeg, offHeap(a, dy), offHeap(a, w), n, c, oc);
            double inputError = maxError("backwardInput", dx, dxSeg);

            // backwardWeight from a non-zero dW, so both sides must accumulate.
            float[] dw = dwStart.clone();
            Matmul.backwardWeight(dw, null, dy, x, n, c, oc);
            MemorySegment dwSeg = offHeap(a, dwStart);
            blasBackwardWeight(blas, dwSeg, offHeap(a, dy), offHeap(a, x), n, c, oc);
            double weightError = maxError("backwardWeight", dw, dwSeg);

            return String.format("OpenBLAS self-check at %dx%dx%d: max relative difference from Squall forward %.1e,"
                    + " backwardInput %.1e, backwardWeight %.1e (limit %.0e)", n, c, oc, forwardError, inputError,
                    weightError, CHECK_TOLERANCE);
        }
    }

    /** Float rounding over K <= 83 terms stays near 1e-6 of the magnitude; a wrong product is off by O(1). */
    static final double CHECK_TOLERANCE = 1e-4;

    /** Largest |squall - blas| / (1 + |squall|); throws above the tolerance. */
    private static double maxError(String product, float[] squall, MemorySegment blas) {
        double worst = 0;
        for (int i = 0; i < squall.length; i++) {
            float other = blas.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            double e = Math.abs(squall[i] - other) / (1 + Math.abs(squall[i]));
            if (!(e <= CHECK_TOLERANCE)) {
                throw new IllegalStateException("OpenBLAS self-check: " + product + " differs from Squall's at element " + i
                        + ": " + squall[i] + " vs " + other + " (relative " + e + "); the sgemm call's layout is wrong");
            }
            worst = Math.max(worst, e);
        }
        return worst;
    }

    /** A 64-byte aligned off-heap copy (a cache line, and the widest vector load OpenBLAS issues). */
    static MemorySegment offHeap(Arena arena, float[] values) {
        MemorySegment s = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
        return s;
    }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
