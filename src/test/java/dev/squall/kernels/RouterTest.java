package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.program.Routing;
import dev.squall.reference.RouterRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class RouterTest {

    /**
     * Logits whose sorted values are at least 0.1 apart in every row (shuffled 0.3 steps plus noise
     * under 0.1): a finite-difference step of 1e-6 can never change the selection.
     */
    static double[] separatedLogits(long seed, int N, int E) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] z = new double[N * E];
        for (int n = 0; n < N; n++) {
            int[] perm = new int[E];
            for (int e = 0; e < E; e++) perm[e] = e;
            for (int e = E - 1; e > 0; e--) {
                int j = r.nextInt(e + 1), t = perm[e];
                perm[e] = perm[j];
                perm[j] = t;
            }
            for (int e = 0; e < E; e++) z[n * E + e] = 0.3 * (perm[e] - E / 2.0) + 0.1 * (r.nextDouble() - 0.5);
        }
        return z;
    }

    /** The reference backward against finite differences of sum(dweights * weights) through the reference forward. */
    @ParameterizedTest(name = "kind={0} N={1} E={2} K={3}")
    @CsvSource({"0,1,1,1", "0,3,3,2", "0,7,8,4", "0,5,17,1", "1,1,1,1", "1,3,3,2", "1,7,8,4", "1,5,17,2",
            "2,1,1,1", "2,3,3,2", "2,7,8,4", "2,5,17,4"})
    void referenceBackwardMatchesFiniteDifferences(int kind, int N, int E, int K) {
        double[] z = separatedLogits(11L * N + E, N, E);
        double[] dw = GradCheck.randomDouble(7L * K + kind, N * K);
        int[] idx = new int[N * K];
        double[] gates = new double[N * K], w = new double[N * K], probs = new double[N * E], lse = new double[N];
        RouterRef.forward(idx, gates, w, probs, lse, z, N, E, K, rule(kind));
        double[] dz = new double[N * E];
        RouterRef.backward(dz, dw, gates, w, probs, idx, N, E, K, rule(kind));
        int[] idxAtStart = idx.clone();
        GradCheck.check("dlogits", z, dz, () -> {
            int[] i2 = new int[N * K];
            double[] w2 = new double[N * K];
            RouterRef.forward(i2, new double[N * K], w2, new double[N * E], new double[N], z, N, E, K, rule(kind));
            assertArrayEquals(idxAtStart, i2, "the perturbation changed the selection");
            return GradCheck.dot(dw, w2);
        }, 1e-7);
        // lse's gradient is the full softmax: the z-loss relies on it.
        GradCheck.check("dlse/dlogits", z, probs.clone(), () -> {
            double[] l2 = new double[N];
            RouterRef.forward(new int[N * K], new double[N * K], new double[N * K], new double[N * E], l2, z, N, E, K, rule(kind));
            double s = 0;
            for (double v : l2) s += v;
            return s;
        }, 1e-7);
    }

    static Stream<Arguments> shapes() {
        List<Arguments> a = new ArrayList<>();
        for (int kind = 0; kind < 3; kind++) {
            for (int N : new int[] {1, 3, 7, 31, 127, 1000}) {
                for (int E : new int[] {1, 3, 8, 17, 64}) {
                    for (int K : new int[] {1, 2, 4}) {
                        if (K <= E) a.add(Arguments.of(kind, N, E, K));
                    }
                }
            }
        }
        return a.stream();
    }

    /** The float kernel against the reference on the same float logits (so selections agree exactly). */
    @ParameterizedTest(name = "kind={0} N={1} E={2} K={3}")
    @MethodSource("shapes")
    void kernelMatchesReference(int kind, int N, int E, int K) {
        long seed = 1000L * kind + 31L * N + 7L * E + K;
        float[] z = normal(seed, N * E, 2.0), dw = normal(seed + 1, N * K, 1.0);
        int[] idx = new int[N * K];
        java.util.Arrays.fill(idx, -1);
        float[] gates = poisoned(N * K), w = poisoned(N * K), probs = poisoned(N * E), lse = poisoned(N);
        float[] dz = poisoned(N * E);
        Router.forward(idx, gates, w, probs, lse, z, N, E, K, kind);
        Router.backward(dz, dw, gates, w, probs, idx, N, E, K, kind);

        int[] rIdx = new int[N * K];
        double[] rGates = new double[N * K], rW = new double[N * K], rProbs = new double[N * E], rLse = new double[N];
        double[] rDz = new double[N * E];
        RouterRef.forward(rIdx, rGates, rW, rProbs, rLse, toDouble(z), N, E, K, rule(kind));
        RouterRef.backward(rDz, toDouble(dw), rGates, rW, rProbs, rIdx, N, E, K, rule(kind));

        assertArrayEquals(rIdx, idx, "expertIdx");
        // Softmaxes over at most 64 terms, exp within 2e-7 relative: a few float ulps per element.
        Close.elementwise("probs", probs, rProbs, 2e-6, 1e-9);
        Close.elementwise("gates", gates, rGates, 2e-6, 1e-9);
        Close.elementwise("weights", w, rW, 2e-6, 1e-9);
        // lse ~ max + log(sum): absolute error ~ ulp(|lse|) plus the sum's relative error.
        Close.elementwise("lse", lse, rLse, 1e-6, 1e-6);
        // dz_j = p_j (a_j - s) cancels when a_j ~ s; the atol is float rounding of s (|s| up to ~3, more
        // under SqrtGate where a = dw / (2 sqrt g)) times p_j <= 1.
        Close.elementwise("dlogits", dz, rDz, 1e-5, 2e-6);
    }

    /** Equal logits: the lower index comes first, in the kernel and the reference. */
    @Test
    void tiesGoToTheLowerIndex() {
        int E = 6, K = 3;
        float[][] rows = {
                {0, 0, 0, 0, 0, 0},             // all tied: 0, 1, 2
                {1, 3, 3, 0, 3, 1},             // three-way tie at the top: 1, 2, 4
                {2, 1, 5, 1, 1, 5},             // tie at the top, then a tie for the last pick: 2, 5, 0
                {-1, 4, -1, -1, 2, -1},         // tie for the last pick among four: 1, 4, 0
        };
        int[][] expected = {{0, 1, 2}, {1, 2, 4}, {2, 5, 0}, {1, 4, 0}};
        int N = rows.length;
        float[] z = new float[N * E];
        for (int n = 0; n < N; n++) System.arraycopy(rows[n], 0, z, n * E, E);
        for (int kind = 0; kind < 3; kind++) {
            int[] idx = new int[N * K], rIdx = new int[N * K];
            Router.forward(idx, new float[N * K], new float[N * K], new float[N * E], new float[N], z, N, E, K, kind);
            RouterRef.forward(rIdx, new double[N * K], new double[N * K], new double[N * E], new double[N],
                    toDouble(z), N, E, K, rule(kind));
            for (int n = 0; n < N; n++) {
                for (int k = 0; k < K; k++) {
                    assertEquals(expected[n][k], idx[n * K + k], "kernel row " + n + " pick " + k + " kind " + kind);
                    assertEquals(expected[n][k], rIdx[n * K + k], "reference row " + n + " pick " + k + " kind " + kind);
                }
            }
        }
        // Fully tied row under topk-softmax: every gate 1/K.
        float[] g = new float[K];
        Router.forward(new int[K], g, new float[K], new float[E], new float[1], new float[E], 1, E, K, Router.TOPK_SOFTMAX);
        for (float v : g) assertEquals(1.0 / K, v, 1e-7);
    }

    /** Logit magnitudes far beyond float exp's range: max subtraction keeps everything finite. */
    @Test
    void hugeLogitsStayFinite() {
        int E = 5, K = 2;
        float[] z = {1000f, -1000f, 999f, 0f, -5000f};
        float[] g = new float[K], w = new float[K], p = new float[E], lse = new float[1];
        int[] idx = new int[K];
        for (int kind = 0; kind < 3; kind++) {
            Router.forward(idx, g, w, p, lse, z, 1, E, K, kind);
            assertArrayEquals(new int[] {0, 2}, idx);
            assertEquals(1000 + Math.log(1 + Math.exp(-1)), lse[0], 1e-3);
            for (float v : p) assertTrue(Float.isFinite(v));
            for (float v : w) assertTrue(Float.isFinite(v) && v > 0);
        }
    }

    @Test
    void kindNamesRoundTrip() {
        for (int k = 0; k < 3; k++) assertEquals(k, Router.kind(Router.kindName(k)));
        assertEquals(Router.SOFTMAX_TOPK, Router.kind("softmax-topk"));
        assertEquals(Router.TOPK_SOFTMAX, Router.kind("topk-softmax"));
        assertEquals(Router.SQRTGATE, Router.kind("sqrtgate"));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Router.kind("topk"));
        assertTrue(ex.getMessage().contains("softmax-topk") && ex.getMessage().contains("topk-softmax")
                && ex.getMessage().contains("sqrtgate"), ex.getMessage());
    }

    /** The reference's rule for the kernel's constant. */
    static Routing rule(int kind) {
        return switch (kind) {
            case Router.SOFTMAX_TOPK -> Routing.SOFTMAX_TOPK;
            case Router.TOPK_SOFTMAX -> Routing.TOPK_SOFTMAX;
            case Router.SQRTGATE -> Routing.SQRTGATE;
            default -> throw new IllegalArgumentException("router kind " + kind);
        };
    }
}
