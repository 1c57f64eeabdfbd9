package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.reference.MoeDispatchRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class MoeDispatchTest {

    /**
     * Random expert choices, distinct within a token when K <= E (as a router makes them), and drawn
     * from only the first half of the experts when E > 2, so the other half stays empty.
     */
    static int[] randomExperts(long seed, int N, int K, int E) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int used = E > 2 ? (E + 1) / 2 : E;
        int[] idx = new int[N * K];
        for (int t = 0; t < N; t++) {
            for (int j = 0; j < K; j++) {
                int e;
                boolean repeat;
                do {
                    e = rnd.nextInt(used);
                    repeat = false;
                    for (int i = 0; i < j && K <= used; i++) repeat |= idx[t * K + i] == e;
                } while (repeat);
                idx[t * K + j] = e;
            }
        }
        return idx;
    }

    /** The plan is a stable sort by expert: checked against its definition and against the reference. */
    @ParameterizedTest(name = "N={0} K={1} E={2}")
    @CsvSource({"1,1,1", "7,3,1", "1,2,8", "3,2,17", "31,2,8", "127,3,17", "1000,2,3", "13,1,8", "4,3,3"})
    void planIsAStableSortByExpert(int N, int K, int E) {
        int[] idx = randomExperts(7L * N + 3L * K + E, N, K, E);
        int[] rowSlot = new int[N * K], slotRow = new int[N * K], offsets = new int[E + 1];
        java.util.Arrays.fill(rowSlot, -1);
        java.util.Arrays.fill(slotRow, -1);
        java.util.Arrays.fill(offsets, -1);
        MoeDispatch.plan(rowSlot, slotRow, offsets, idx, N, K, E);

        assertEquals(0, offsets[0]);
        assertEquals(N * K, offsets[E]);
        boolean anyEmpty = false;
        for (int e = 0; e < E; e++) {
            assertTrue(offsets[e] <= offsets[e + 1], "offsets ascend");
            anyEmpty |= offsets[e] == offsets[e + 1];
            for (int r = offsets[e]; r < offsets[e + 1]; r++) {
                assertEquals(e, idx[rowSlot[r]], "row " + r + " belongs to expert " + e);
                if (r > offsets[e]) assertTrue(rowSlot[r - 1] < rowSlot[r], "stable: slots ascend within an expert");
            }
        }
        if (E > 2) assertTrue(anyEmpty, "the data includes empty experts");
        for (int s = 0; s < N * K; s++) assertEquals(s, rowSlot[slotRow[s]], "slotRow inverts rowSlot");

        int[] rRowSlot = new int[N * K], rSlotRow = new int[N * K], rOffsets = new int[E + 1];
        MoeDispatchRef.plan(rRowSlot, rSlotRow, rOffsets, idx, N, K, E);
        assertArrayEquals(rRowSlot, rowSlot);
        assertArrayEquals(rSlotRow, slotRow);
        assertArrayEquals(rOffsets, offsets);
    }

    /** gatherBackward and combineBackward (w.r.t. ys and weights) against finite differences. */
    @ParameterizedTest(name = "N={0} K={1} E={2} C={3}")
    @CsvSource({"1,1,1,1", "3,2,3,7", "7,3,8,3", "5,2,17,5"})
    void referenceBackwardMatchesFiniteDifferences(int N, int K, int E, int C) {
        int R = N * K;
        int[] idx = randomExperts(11, N, K, E);
        int[] rowSlot = new int[R], slotRow = new int[R], offsets = new int[E + 1];
        MoeDispatchRef.plan(rowSlot, slotRow, offsets, idx, N, K, E);

        double[] x = toDouble(normal(1, N * C, 1.0));
        double[] gs = GradCheck.randomDouble(2, R * C);
        double[] dx = new double[N * C];
        MoeDispatchRef.gatherBackward(dx, gs, slotRow, N, K, C);
        GradCheck.check("dx", x, dx, () -> {
            double[] xs = new double[R * C];
            MoeDispatchRef.gather(xs, x, rowSlot, N, K, C);
            return GradCheck.dot(gs, xs);
        }, 1e-7);

        double[] ys = toDouble(normal(3, R * C, 1.0)), w = toDouble(uniform(4, R, 1.0));
        double[] g = GradCheck.randomDouble(5, N * C);
        double[] dys = new double[R * C], dw = new double[R];
        MoeDispatchRef.combineBackward(dys, dw, g, ys, w, slotRow, N, K, C);
        java.util.function.DoubleSupplier loss = () -> {
            double[] y = new double[N * C];
            MoeDispatchRef.combine(y, ys, w, slotRow, N, K, C);
            return GradCheck.dot(g, y);
        };
        GradCheck.check("dys", ys, dys, loss, 1e-7);
        GradCheck.check("dweights", w, dw, loss, 1e-7);
    }

    /** Tokens, slots, experts and widths over odd sizes, in a rotation rather than the full product. */
    static Stream<Arguments> shapes() {
        int[] ns = {1, 3, 7, 31, 127, 1000}, ks = {1, 2, 3}, es = {1, 3, 8, 17}, cs = {1, 3, 17, 33, 100};
        List<Arguments> list = new ArrayList<>();
        for (int i = 0; i < ns.length; i++) {
            for (int j = 0; j < ks.length; j++) {
                list.add(Arguments.of(ns[i], ks[j], es[(i + j) % es.length], cs[(2 * i + j) % cs.length]));
            }
        }
        list.add(Arguments.of(512, 2, 8, 256));    // a model-like width
        return list.stream();
    }

    /** The float kernels against the reference, every output pre-filled with NaN. */
    @ParameterizedTest(name = "N={0} K={1} E={2} C={3}")
    @MethodSource("shapes")
    void kernelMatchesReference(int N, int K, int E, int C) {
        int R = N * K;
        long seed = 1009L * N + 101L * K + 11L * E + C;
        int[] idx = randomExperts(seed, N, K, E);
        int[] rowSlot = new int[R], slotRow = new int[R], offsets = new int[E + 1];
        MoeDispatch.plan(rowSlot, slotRow, offsets, idx, N, K, E);
        float[] x = normal(seed + 1, N * C, 1.0), ys = normal(seed + 2, R * C, 1.0), dxs = normal(seed + 3, R * C, 1.0);
        float[] w = uniform(seed + 4, R, 1.0), dy = normal(seed + 5, N * C, 1.0);

        float[] xs = poisoned(R * C), dx = poisoned(N * C), y = poisoned(N * C), dys = poisoned(R * C), dw = poisoned(R);
        MoeDispatch.gather(xs, x, rowSlot, N, K, C);
        MoeDispatch.gatherBackward(dx, dxs, slotRow, N, K, C);
        MoeDispatch.combine(y, ys, w, slotRow, N, K, C);
        MoeDispatch.combineBackward(dys, dw, dy, ys, w, slotRow, N, K, C);

        double[] rXs = new double[R * C], rDx = new double[N * C], rY = new double[N * C];
        double[] rDys = new double[R * C], rDw = new double[R];
        MoeDispatchRef.gather(rXs, toDouble(x), rowSlot, N, K, C);
        MoeDispatchRef.gatherBackward(rDx, toDouble(dxs), slotRow, N, K, C);
        MoeDispatchRef.combine(rY, toDouble(ys), toDouble(w), slotRow, N, K, C);
        MoeDispatchRef.combineBackward(rDys, rDw, toDouble(dy), toDouble(ys), toDouble(w), slotRow, N, K, C);

        // Copies and single products are exact or one rounding (6e-8 relative).
        Close.elementwise("xs", xs, rXs, 0, 0);
        Close.elementwise("dys", dys, rDys, 1e-6, 0);
        // Sums of at most K = 3 terms of size ~1: a few roundings; atol for sums that cancel to ~0.
        Close.elementwise("dx", dx, rDx, 1e-6, 1e-6);
        Close.elementwise("y", y, rY, 1e-6, 1e-6);
        // dweights are length-C dot products: rounding ~sqrt(C) * 6e-8 of a sum of size ~sqrt(C).
        Close.elementwise("dweights", dw, rDw, 1e-5, 1e-6 * C);
    }

    /** plan, gather, identity experts, combine with weights 1: every token comes back K times. */
    @ParameterizedTest(name = "N={0} K={1} E={2} C={3}")
    @CsvSource({"1,1,1,1", "7,2,3,17", "31,3,8,33", "127,2,17,100", "1000,3,8,3"})
    void roundTripReturnsKTimesTheInput(int N, int K, int E, int C) {
        int R = N * K;
        int[] idx = randomExperts(N + 5L * K, N, K, E);
        int[] rowSlot = new int[R], slotRow = new int[R], offsets = new int[E + 1];
        MoeDispatch.plan(rowSlot, slotRow, offsets, idx, N, K, E);
        float[] x = normal(17, N * C, 1.0), ones = new float[R];
        java.util.Arrays.fill(ones, 1f);
        float[] xs = poisoned(R * C), y = poisoned(N * C);
        MoeDispatch.gather(xs, x, rowSlot, N, K, C);
        MoeDispatch.combine(y, xs, ones, slotRow, N, K, C);
        double[] expected = new double[N * C];
        for (int i = 0; i < N * C; i++) expected[i] = K * (double) x[i];
        // x + x is exact; a third x may round once.
        Close.elementwise("y", y, expected, 1.2e-7, 0);
    }
}
