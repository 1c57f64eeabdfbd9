package dev.squall.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.stream.IntStream;

/**
 * The JVM backend's thread pool and its two loop shapes.
 *
 * <p>Work is cut into chunks whose boundaries depend only on the problem size and the grain, never on
 * the number of threads. Reductions therefore sum the same partials in the same order on every run
 * and every machine: a fixed seed gives bit-identical results whatever {@code squall.threads} is.
 */
public final class Parallel {

    /** Threads used by every JVM kernel: {@code -Dsquall.threads=N}, default all cores. */
    public static final int THREADS = Integer.getInteger("squall.threads",
            Runtime.getRuntime().availableProcessors());

    private static final ForkJoinPool POOL = new ForkJoinPool(THREADS);

    private Parallel() {}

    /** A half-open range [lo, hi) of rows (or any index). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int lo, int hi);
    }

    /** Number of chunks {@link #forRange} uses for {@code n} items and grain {@code grain}. */
    public static int chunks(int n, int grain) {
        return n == 0 ? 0 : (n + grain - 1) / grain;
    }

    /**
     * Runs body over [0, n) in chunks of {@code grain} items, in parallel when there is more than one.
     * Called from inside a parallel loop (a kernel run per slice, as Newton–Schulz runs its slices
     * side by side) it runs the same chunks in order on the calling thread: the outer loop already
     * keeps every thread busy, and the results are the same bits either way.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = chunks(n, grain);
        if (chunks <= 1 || THREADS == 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        if (insideParallelLoop()) {
            for (int c = 0; c < chunks; c++) body.run(c * grain, Math.min(n, (c + 1) * grain));
            return;
        }
        POOL.submit(() -> IntStream.range(0, chunks).parallel()
                .forEach(c -> body.run(c * grain, Math.min(n, (c + 1) * grain)))).join();
    }

    /** True on the pool's own threads, i.e. inside the body of a {@link #forRange}. */
    private static boolean insideParallelLoop() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread worker && worker.getPool() == POOL;
    }

    /** Partial sums of {@link #reduce}, grown on demand and reused so steady-state steps allocate nothing. */
    private static float[] scratch = new float[0];

    /** A chunk's partial: a view of the shared scratch buffer, zeroed before the body sees it. */
    @FunctionalInterface
    public interface OffsetPartialBody {
        void run(int lo, int hi, float[] partials, int offset);
    }

    /**
     * Deterministic parallel reduction of per-chunk vectors: each chunk of rows fills its own zeroed
     * {@code width}-float partial, then the partials are added into {@code acc} in chunk order.
     * This is how sums over all tokens (dgamma, dalpha, dlambda) stay reproducible. The body receives
     * the partial as (array, offset): elements {@code partials[offset .. offset + width)} are its own.
     * Must not be nested: a body may not call reduce again.
     */
    public static synchronized void reduce(int n, int grain, int width, float[] acc, OffsetPartialBody body) {
        int chunks = chunks(n, grain);
        if (scratch.length < chunks * width) scratch = new float[chunks * width];
        float[] partials = scratch;
        java.util.Arrays.fill(partials, 0, chunks * width, 0f);
        forRange(chunks, 1, (lo, hi) -> {
            for (int c = lo; c < hi; c++) body.run(c * grain, Math.min(n, (c + 1) * grain), partials, c * width);
        });
        for (int c = 0; c < chunks; c++) {
            int off = c * width;
            for (int j = 0; j < width; j++) acc[j] += partials[off + j];
        }
    }
}
