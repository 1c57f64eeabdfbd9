package dev.squall.data;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatcherTest {
    /** Bytes with values above 127 too, so a missing {@code & 0xFF} shows up as a negative token. */
    static byte[] data(int n, long seed) {
        byte[] d = new byte[n];
        new SplittableRandom(seed).nextBytes(d);
        return d;
    }

    @Test
    void splitMix64MatchesSplittableRandom() {
        for (long seed : new long[] {0, 1, -1, 42, Long.MIN_VALUE}) {
            SplittableRandom ref = new SplittableRandom(seed);
            SplitMix64 r = new SplitMix64(seed);
            for (int i = 0; i < 1000; i++) assertEquals(ref.nextLong(), r.nextLong(), "seed " + seed + " draw " + i);
        }
    }

    @Test
    void splitMix64BoundedDrawsAreInRangeAndCoverIt() {
        SplitMix64 r = new SplitMix64(3);
        for (int bound : new int[] {1, 2, 3, 7, 1000, Integer.MAX_VALUE}) {
            boolean[] seen = new boolean[Math.min(bound, 1000)];
            for (int i = 0; i < 20_000; i++) {
                int v = r.nextInt(bound);
                assertTrue(v >= 0 && v < bound, v + " outside [0, " + bound + ")");
                if (v < seen.length) seen[v] = true;
            }
            if (bound <= 1000) for (int v = 0; v < bound; v++) assertTrue(seen[v], "never drew " + v + " of " + bound);
        }
        for (int i = 0; i < 1000; i++) {
            double u = r.nextDouble();
            assertTrue(u >= 0 && u < 1);
        }
        assertThrows(IllegalArgumentException.class, () -> r.nextInt(0));
    }

    @ParameterizedTest(name = "B={0} T={1} n={2}")
    @CsvSource({"1,1,2", "3,7,8", "4,16,1000", "8,64,65", "5,13,4099"})
    void randomWindowsAreSubstringsWithShiftedTargets(int B, int T, int n) {
        byte[] d = data(n, n);
        Batcher batcher = Batcher.random(d, B, T, 11);
        int[] in = new int[B * T], tg = new int[B * T];
        for (int step = 0; step < 50; step++) {
            Arrays.fill(in, -1);
            Arrays.fill(tg, -1);
            batcher.next(in, tg);
            for (int b = 0; b < B; b++) {
                int start = findWindow(d, in, b * T, T);
                assertTrue(start >= 0 && start + T < n, "row " + b + " is not a window of the data");
                for (int t = 0; t < T; t++) assertEquals(d[start + t + 1] & 0xFF, tg[b * T + t]);
            }
        }
        assertEquals(n - T, batcher.windows());
    }

    /** First offset where the data matches row {@code in[from..from+T)}, or -1. */
    static int findWindow(byte[] d, int[] in, int from, int T) {
        outer:
        for (int s = 0; s + T < d.length; s++) {
            for (int t = 0; t < T; t++) if ((d[s + t] & 0xFF) != in[from + t]) continue outer;
            return s;
        }
        return -1;
    }

    @Test
    void randomWindowsReachBothEnds() {
        byte[] d = new byte[20];
        for (int i = 0; i < d.length; i++) d[i] = (byte) (i + 200);
        Batcher b = Batcher.random(d, 1, 4, 5);
        int[] in = new int[4], tg = new int[4];
        boolean first = false, last = false;
        for (int i = 0; i < 2000; i++) {
            b.next(in, tg);
            first |= in[0] == 200;
            last |= tg[3] == 219;
        }
        assertTrue(first && last, "windows start at 0 and end at the last byte");
    }

    private static List<int[]> draw(Batcher b, int batches) {
        List<int[]> out = new ArrayList<>();
        int n = b.batchSize() * b.seqLen();
        for (int i = 0; i < batches; i++) {
            int[] in = new int[n], tg = new int[n];
            b.next(in, tg);
            out.add(in);
            out.add(tg);
        }
        return out;
    }

    private static void assertSameBatches(List<int[]> a, List<int[]> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i), "batch array " + i);
    }

    @Test
    void sameSeedSameBatchesOtherSeedOthers() {
        byte[] d = data(5000, 1);
        assertSameBatches(draw(Batcher.random(d, 4, 32, 7), 20), draw(Batcher.random(d, 4, 32, 7), 20));
        assertFalse(Arrays.equals(draw(Batcher.random(d, 4, 32, 7), 1).get(0),
                draw(Batcher.random(d, 4, 32, 8), 1).get(0)));
    }

    @Test
    void savedStateResumesTheSameBatches() {
        byte[] d = data(5000, 2);
        Batcher run = Batcher.random(d, 4, 32, 7);
        draw(run, 13);
        long[] saved = run.state();
        List<int[]> expected = draw(run, 20);

        Batcher resumed = Batcher.random(d, 4, 32, 999); // seed is irrelevant once restored
        resumed.restore(saved);
        assertSameBatches(expected, draw(resumed, 20));

        Batcher val = Batcher.sequential(d, 3, 50);
        draw(val, 5);
        long[] vs = val.state();
        List<int[]> vExpected = draw(val, 40);
        Batcher vResumed = Batcher.sequential(d, 3, 50);
        vResumed.restore(vs);
        assertSameBatches(vExpected, draw(vResumed, 40));

        run.reset();
        assertSameBatches(draw(Batcher.random(d, 4, 32, 7), 5), draw(run, 5));
    }

    @Test
    void restoreRejectsStateFromOtherData() {
        Batcher b = Batcher.random(data(100, 1), 2, 8, 1);
        long[] state = Batcher.random(data(200, 1), 2, 8, 1).state();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.restore(state));
        assertEquals("batcher state was saved over 200 bytes of data but this split has 100: resume with the same "
                + "--data and size cap", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.restore(new long[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> Batcher.sequential(data(100, 1), 2, 8).restore(new long[] {12, 100}));
    }

    @Test
    void sequentialWindowsAreFixedStridesThatWrap() {
        byte[] d = new byte[23];
        for (int i = 0; i < d.length; i++) d[i] = (byte) (i + 250); // wraps past 255: checks & 0xFF
        Batcher v = Batcher.sequential(d, 2, 5);
        assertEquals(4, v.windows()); // starts 0, 5, 10, 15 (15 + 5 = 20 < 23)
        int[] in = new int[10], tg = new int[10];
        int[] starts = new int[6];
        for (int k = 0; k < 3; k++) {
            v.next(in, tg);
            starts[2 * k] = (in[0] - 250) & 0xFF;
            starts[2 * k + 1] = (in[5] - 250) & 0xFF;
            for (int i = 0; i < 10; i++) assertEquals((in[i] + 1) & 0xFF, tg[i]);
        }
        assertArrayEquals(new int[] {0, 5, 10, 15, 0, 5}, starts);
        v.reset();
        v.next(in, tg);
        assertEquals(250, in[0]);
        assertEquals(255, in[5]);
        assertEquals(0, in[6], "byte 256 wrapped to 0 is token 0");
    }

    @Test
    void nextAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] d = data(10_000, 4);
        Batcher r = Batcher.random(d, 8, 64, 1), s = Batcher.sequential(d, 8, 64);
        int[] in = new int[512], tg = new int[512];
        for (int i = 0; i < 2_000; i++) { // warm up: class loading and first-call allocations
            r.next(in, tg);
            s.next(in, tg);
        }
        long id = Thread.currentThread().threadId();
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 1000; i++) {
            r.next(in, tg);
            s.next(in, tg);
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(allocated < 1024, "next() allocated " + allocated + " bytes over 2000 calls");
    }

    @Test
    void argumentErrors() {
        byte[] d = data(10, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Batcher.random(d, 1, 10, 1));
        assertEquals("data has 10 bytes, fewer than one window of T+1 = 11", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Batcher.random(d, 0, 3, 1));
        Batcher b = Batcher.random(d, 2, 3, 1);
        e = assertThrows(IllegalArgumentException.class, () -> b.next(new int[5], new int[6]));
        assertEquals("inputs/targets hold 5/6 ints; a batch needs B*T = 6", e.getMessage());
    }
}
