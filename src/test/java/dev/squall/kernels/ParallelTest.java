package dev.squall.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    /** Every index is visited exactly once, in chunks of the grain, whether or not a loop is nested. */
    @Test
    void nestedLoopsVisitEveryIndexOnceWithTheSameChunks() {
        int outer = 7, inner = 1000, grain = 64;
        AtomicIntegerArray visits = new AtomicIntegerArray(outer * inner);
        int[][] chunkStarts = new int[outer][Parallel.chunks(inner, grain)];
        Parallel.forRange(outer, 1, (lo, hi) -> {
            for (int o = lo; o < hi; o++) {
                int row = o;
                Parallel.forRange(inner, grain, (a, b) -> {
                    chunkStarts[row][a / grain] = a;
                    assertEquals(Math.min(inner, a + grain), b, "chunk end");
                    for (int i = a; i < b; i++) visits.incrementAndGet(row * inner + i);
                });
            }
        });
        for (int i = 0; i < outer * inner; i++) assertEquals(1, visits.get(i), "index " + i);
        int[] expectedStarts = new int[Parallel.chunks(inner, grain)];
        for (int c = 0; c < expectedStarts.length; c++) expectedStarts[c] = c * grain;
        for (int o = 0; o < outer; o++) assertArrayEquals(expectedStarts, chunkStarts[o], "chunks of row " + o);
    }

    /** Matmul called from several threads at once: each has its own packing scratch, so each result is exact. */
    @Test
    void concurrentProductsDoNotShareScratch() {
        int N = 67, C = 131, OC = 45, calls = 6;
        float[] x = dev.squall.testing.Arrays2.normal(1, N * C, 1.0);
        float[][] w = new float[calls][], want = new float[calls][], got = new float[calls][];
        for (int k = 0; k < calls; k++) {
            w[k] = dev.squall.testing.Arrays2.normal(10 + k, OC * C, 1.0);
            want[k] = new float[N * OC];
            Matmul.forward(want[k], x, w[k], null, N, C, OC);
            got[k] = new float[N * OC];
        }
        Parallel.forRange(calls, 1, (lo, hi) -> {
            for (int k = lo; k < hi; k++) Matmul.forward(got[k], x, w[k], null, N, C, OC);
        });
        for (int k = 0; k < calls; k++) assertArrayEquals(want[k], got[k], "call " + k);
    }
}
