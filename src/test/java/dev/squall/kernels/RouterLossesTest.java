package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squall.program.Routing;
import dev.squall.reference.RouterLossesRef;
import dev.squall.reference.RouterRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class RouterLossesTest {

    /** Reference router forward: probs, lse and the counts of its selection. */
    record Routed(double[] probs, double[] lse, double[] counts, int[] idx) {}

    static Routed route(double[] z, int N, int E, int K) {
        int[] idx = new int[N * K];
        double[] probs = new double[N * E], lse = new double[N], counts = new double[E];
        RouterRef.forward(idx, new double[N * K], new double[N * K], probs, lse, z, N, E, K, Routing.TOPK_SOFTMAX);
        RouterLossesRef.counts(counts, idx, N, K, E);
        return new Routed(probs, lse, counts, idx);
    }

    /** Both loss gradients against finite differences, counts held at their unperturbed values (SPEC §7.2: f constant). */
    @ParameterizedTest(name = "N={0} E={1} K={2}")
    @CsvSource({"1,1,1", "3,3,2", "7,8,4", "5,17,2", "13,5,1"})
    void referenceBackwardMatchesFiniteDifferences(int N, int E, int K) {
        double gamma = 0.3, beta = 0.7, scale = 1.7;
        double[] z = toDouble(normal(5L * N + E, N * E, 2.0));
        Routed r = route(z, N, E, K);
        double[] counts = r.counts();

        double[] dBal = new double[N * E];
        RouterLossesRef.balanceBackward(dBal, r.probs(), counts, N, E, K, gamma, scale);
        GradCheck.check("dbalance/dlogits", z, dBal, () -> {
            double[] out = new double[2];
            RouterLossesRef.balanceForward(out, 1, route(z, N, E, K).probs(), counts, N, E, K, gamma);
            return scale * out[1];
        }, 1e-7);

        double[] dZ = new double[N * E];
        RouterLossesRef.zBackward(dZ, r.probs(), r.lse(), N, E, beta, scale);
        GradCheck.check("dz/dlogits", z, dZ, () -> {
            double[] out = new double[1];
            RouterLossesRef.zForward(out, 0, route(z, N, E, K).lse(), N, beta);
            return scale * out[0];
        }, 1e-7);
    }

    /** The balance loss's minimum gamma is reached at uniform routing (SPEC §7.2). */
    @Test
    void balanceLossIsGammaAtUniformRouting() {
        int N = 8, E = 4, K = 2;
        float[] probs = new float[N * E], counts = new float[E], out = new float[1];
        java.util.Arrays.fill(probs, 1f / E);
        java.util.Arrays.fill(counts, (float) N * K / E);
        RouterLosses.balanceForward(out, 0, probs, counts, N, E, K, 0.01f);
        assertEquals(0.01, out[0], 1e-8);
    }

    static Stream<Arguments> shapes() {
        List<Arguments> a = new ArrayList<>();
        for (int N : new int[] {1, 3, 7, 31, 127, 1000}) {
            for (int E : new int[] {1, 3, 8, 17, 64}) {
                for (int K : new int[] {1, 2, 4}) {
                    if (K <= E) a.add(Arguments.of(N, E, K));
                }
            }
        }
        return a.stream();
    }

    /** Float kernels against the references; backwards accumulate into a random base. */
    @ParameterizedTest(name = "N={0} E={1} K={2}")
    @MethodSource("shapes")
    void kernelMatchesReference(int N, int E, int K) {
        long seed = 31L * N + 7L * E + K;
        // Constants near 1 so the gradients are not far below float resolution of the base.
        float gamma = 0.7f, beta = 1.3f, scale = 0.37f;
        float[] z = normal(seed, N * E, 2.0);
        int[] idx = new int[N * K];
        float[] probs = new float[N * E], lse = new float[N];
        Router.forward(idx, new float[N * K], new float[N * K], probs, lse, z, N, E, K, Router.SOFTMAX_TOPK);
        double[] rProbs = toDouble(probs), rLse = toDouble(lse);

        float[] counts = poisoned(E);
        RouterLosses.counts(counts, idx, N, K, E);
        double[] rCounts = new double[E];
        RouterLossesRef.counts(rCounts, idx, N, K, E);
        Close.elementwise("counts", counts, rCounts, 0, 0);

        float[] out = poisoned(4);
        double[] rOut = new double[4];
        RouterLosses.balanceForward(out, 0, probs, counts, N, E, K, gamma);
        RouterLosses.zForward(out, 1, lse, N, beta);
        RouterLosses.loadImbalance(out, 2, counts, E);
        RouterLossesRef.balanceForward(rOut, 0, rProbs, rCounts, N, E, K, gamma);
        RouterLossesRef.zForward(rOut, 1, rLse, N, beta);
        RouterLossesRef.loadImbalance(rOut, 2, rCounts, E);
        // Double sums of float inputs, rounded once to float.
        Close.elementwise("balance, z, imbalance", java.util.Arrays.copyOf(out, 3), java.util.Arrays.copyOf(rOut, 3), 1e-6, 0);
        // Cv is exactly 0 when every expert gets the same count (always at E = 1).
        Close.elementwise("cv", new float[] {out[3]}, new double[] {rOut[3]}, 1e-6, 1e-7);

        double[] rBal = new double[N * E], rZ = new double[N * E];
        RouterLossesRef.balanceBackward(rBal, rProbs, rCounts, N, E, K, gamma, scale);
        RouterLossesRef.zBackward(rZ, rProbs, rLse, N, E, beta, scale);
        // Bases of the same size as the increments, so neither can hide the other. The balance gradient
        // vanishes when every expert gets the same count (always at E = 1), leaving only float rounding
        // of its prefactor: the floor keeps that rounding well below the tolerance.
        double balPrefactor = (double) scale * gamma * E / N, zPrefactor = 2.0 * scale * beta / N;
        float[] balBase = normal(seed + 2, N * E, rms(rBal) + 0.1 * balPrefactor);
        float[] zBase = normal(seed + 3, N * E, rms(rZ) + 0.1 * zPrefactor);
        float[] dBal = balBase.clone(), dZ = zBase.clone();
        RouterLosses.balanceBackward(dBal, probs, counts, N, E, K, gamma, scale);
        RouterLosses.zBackward(dZ, probs, lse, N, E, beta, scale);
        // A few float operations per element, but (f_j - Σ f_i p_i) cancels where an expert's share is
        // near the row's average: compare each tensor as a whole.
        Close.normRelative("dbalance", dBal, plus(balBase, rBal), 1e-5);
        Close.normRelative("dz", dZ, plus(zBase, rZ), 1e-5);
    }

    static double rms(double[] a) {
        double s = 0;
        for (double v : a) s += v * v;
        return Math.sqrt(s / a.length);
    }

    @Test
    void loadImbalanceOfKnownCounts() {
        float[] out = new float[3];
        RouterLosses.loadImbalance(out, 1, new float[] {2, 2, 2, 2}, 4);
        assertArrayEquals(new float[] {0, 1, 0}, out, 0f);
        RouterLosses.loadImbalance(out, 0, new float[] {4, 0, 0, 0}, 4);
        assertEquals(4f, out[0], 0f);
        assertEquals((float) Math.sqrt(3), out[1], 1e-7f);
    }
}
