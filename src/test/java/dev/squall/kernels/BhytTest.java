package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.squall.reference.BhytRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BhytTest {
    static final float EPS = Bhyt.EPS;

    /**
     * The reference backward against finite differences of the block's two norms, following SPEC
     * §4.3's autograd graph: L = Σ g1·n1(x) + Σ g2·n2(h; s²(x)), with λ̄1 (inside ŝ²) a separate
     * array that is never perturbed and c_attn a constant. x must receive the cross term through
     * s²(x); perturbing λ1 moves only n1, so any gradient leaking through ŝ² into dλ1 fails.
     * Small κ pushes the tanh into saturation so its curvature is exercised, not only its linear part.
     */
    @ParameterizedTest(name = "N={0} C={1} kappa={2}")
    @CsvSource({"1,1,10", "3,7,10", "2,13,1", "5,3,0.5", "1,5,0.3", "3,11,2"})
    void referenceBackwardMatchesFiniteDifferences(int N, int C, double kappa) {
        double[] x = toDouble(normal(1, N * C, 1.5)), h = toDouble(normal(2, N * C, 2.5));
        double[] w1 = toDouble(normal(3, C, 1.0)), w2 = toDouble(normal(4, C, 1.0));
        double[] lambda1 = {2.0}, lambda2 = {1.3}, lambda1Detached = {2.0};
        // c_attn sized so the correction c·λ̄1²/κ² is comparable with s²_x: both matter in ŝ².
        double[] cAttn = {0.6 * kappa * kappa};
        double[] g1 = GradCheck.randomDouble(5, N * C), g2 = GradCheck.randomDouble(6, N * C);

        double[] meanSq = new double[N], n1 = new double[N * C], n2 = new double[N * C], rho2 = new double[N];
        BhytRef.statistic(meanSq, x, N, C);
        BhytRef.forwardInput(n1, x, meanSq, lambda1, w1, N, C, kappa, EPS);
        BhytRef.forwardSecond(n2, rho2, h, meanSq, cAttn, lambda1Detached, lambda2, w2, N, C, kappa, EPS);

        double[] dxInput = new double[N * C], dxCross = new double[N * C], dh = new double[N * C];
        double[] dw1 = new double[C], dw2 = new double[C], dl1 = new double[1], dl2 = new double[1];
        BhytRef.backwardInput(dxInput, dl1, dw1, g1, x, meanSq, lambda1, w1, N, C, kappa, EPS);
        BhytRef.backwardSecond(dh, dxCross, dl2, dw2, g2, h, x, rho2, lambda2, w2, N, C, kappa);
        double[] dx = new double[N * C];
        for (int i = 0; i < dx.length; i++) dx[i] = dxInput[i] + dxCross[i];

        DoubleSupplier loss = () -> {
            double[] ms = new double[N], o1 = new double[N * C], o2 = new double[N * C], r2 = new double[N];
            BhytRef.statistic(ms, x, N, C);
            BhytRef.forwardInput(o1, x, ms, lambda1, w1, N, C, kappa, EPS);
            BhytRef.forwardSecond(o2, r2, h, ms, cAttn, lambda1Detached, lambda2, w2, N, C, kappa, EPS);
            return GradCheck.dot(g1, o1) + GradCheck.dot(g2, o2);
        };
        GradCheck.check("dx (input norm + cross term)", x, dx, loss, 1e-7);
        GradCheck.check("dh", h, dh, loss, 1e-7);
        GradCheck.check("dgamma1", w1, dw1, loss, 1e-7);
        GradCheck.check("dgamma2", w2, dw2, loss, 1e-7);
        GradCheck.check("dlambda1", lambda1, dl1, loss, 1e-7);
        GradCheck.check("dlambda2", lambda2, dl2, loss, 1e-7);
    }

    /** Without the cross term dx is wrong: the check above is sensitive to it, not passing by luck. */
    @org.junit.jupiter.api.Test
    void crossTermIsNotNegligibleInTheGradientCheck() {
        int N = 3, C = 7;
        double kappa = 10;
        double[] x = toDouble(normal(1, N * C, 1.5)), h = toDouble(normal(2, N * C, 2.5));
        double[] w2 = toDouble(normal(4, C, 1.0)), g2 = GradCheck.randomDouble(6, N * C);
        double[] meanSq = new double[N], n2 = new double[N * C], rho2 = new double[N];
        BhytRef.statistic(meanSq, x, N, C);
        BhytRef.forwardSecond(n2, rho2, h, meanSq, new double[] {0.6 * kappa * kappa}, new double[] {2}, new double[] {1.3},
                w2, N, C, kappa, EPS);
        double[] dh = new double[N * C], dxCross = new double[N * C];
        BhytRef.backwardSecond(dh, dxCross, new double[1], new double[C], g2, h, x, rho2, new double[] {1.3}, w2, N, C, kappa);
        double rmsCross = Math.sqrt(GradCheck.dot(dxCross, dxCross) / dxCross.length);
        assertNotEquals(0.0, rmsCross, 1e-3, "cross term too small for the gradient check to see");
    }

    /** The float kernels against the reference; accumulated gradients start from a random base. */
    @ParameterizedTest(name = "N={0} C={1} kappa={2}")
    @CsvSource({"1,1,10", "3,3,10", "7,7,1", "13,13,10", "31,31,0.5", "65,65,10", "127,127,2", "1,17,10",
            "4,1000,10", "33,1024,10"})
    void kernelMatchesReference(int N, int C, float kappa) {
        long seed = 31L * N + C;
        float[] x = normal(seed, N * C, 2.0), h = normal(seed + 1, N * C, 3.0);
        float[] w1 = normal(seed + 2, C, 1.0), w2 = normal(seed + 3, C, 1.0);
        float[] g1 = normal(seed + 4, N * C, 1.0), g2 = normal(seed + 5, N * C, 1.0);
        float[] lambda1 = {2f}, lambda2 = {1.3f}, cAttn = {0.6f * kappa * kappa};
        float[] dw1Base = normal(seed + 6, C, 1.0), dw2Base = normal(seed + 7, C, 1.0);
        float[] dl1Base = normal(seed + 8, 1, 1.0), dl2Base = normal(seed + 9, 1, 1.0);

        float[] meanSq = poisoned(N), n1 = poisoned(N * C), n2 = poisoned(N * C), rho2 = poisoned(N);
        float[] dxInput = poisoned(N * C), dxCross = poisoned(N * C), dh = poisoned(N * C);
        float[] dw1 = dw1Base.clone(), dw2 = dw2Base.clone(), dl1 = dl1Base.clone(), dl2 = dl2Base.clone();
        Bhyt.statistic(meanSq, x, N, C);
        Bhyt.forwardInput(n1, x, meanSq, lambda1, w1, N, C, kappa, EPS);
        Bhyt.forwardSecond(n2, rho2, h, meanSq, cAttn, lambda1, lambda2, w2, N, C, kappa, EPS);
        Bhyt.backwardSecond(dh, dxCross, dl2, dw2, g2, h, x, rho2, lambda2, w2, N, C, kappa);
        Bhyt.backwardInput(dxInput, dl1, dw1, g1, x, meanSq, lambda1, w1, N, C, kappa, EPS);

        double[] rMeanSq = new double[N], rN1 = new double[N * C], rN2 = new double[N * C], rRho2 = new double[N];
        double[] rDxInput = new double[N * C], rDxCross = new double[N * C], rDh = new double[N * C];
        double[] rDw1 = new double[C], rDw2 = new double[C], rDl1 = new double[1], rDl2 = new double[1];
        double[] dx = toDouble(x), dhIn = toDouble(h), dl1v = toDouble(lambda1), dl2v = toDouble(lambda2);
        BhytRef.statistic(rMeanSq, dx, N, C);
        BhytRef.forwardInput(rN1, dx, rMeanSq, dl1v, toDouble(w1), N, C, kappa, EPS);
        BhytRef.forwardSecond(rN2, rRho2, dhIn, rMeanSq, toDouble(cAttn), dl1v, dl2v, toDouble(w2), N, C, kappa, EPS);
        BhytRef.backwardSecond(rDh, rDxCross, rDl2, rDw2, toDouble(g2), dhIn, dx, rRho2, dl2v, toDouble(w2), N, C, kappa);
        BhytRef.backwardInput(rDxInput, rDl1, rDw1, toDouble(g1), dx, rMeanSq, dl1v, toDouble(w1), N, C, kappa, EPS);

        // Per-row statistics: one length-C reduction, float rounding ~ sqrt(C) * 6e-8.
        Close.elementwise("meanSq", meanSq, rMeanSq, 1e-5, 0);
        Close.elementwise("rho2", rho2, rRho2, 1e-5, 0);
        // Outputs: γ·tanh(a·x) with a from a row statistic; products keep relative error, so no atol
        // beyond float underflow scale.
        Close.elementwise("n1", n1, rN1, 1e-5, 1e-7);
        Close.elementwise("n2", n2, rN2, 1e-5, 1e-7);
        // Gradients with a per-row dot product (projection, cross coefficient): the dot can cancel, so
        // allow an absolute error of 1e-5 of the size of the terms that cancel, besides relative 1e-4.
        // For dx via n1 those are λρ1·g⊙γ, which at C = 1 cancel to ε/(x²+ε) of themselves.
        Close.elementwise("dx via n1", dxInput, rDxInput, 1e-4,
                1e-5 * projectionTermScale(g1, w1, rMeanSq, lambda1[0], kappa, N, C));
        Close.elementwise("dx cross", dxCross, rDxCross, 1e-4, 1e-5 * rms(rDxCross));
        Close.elementwise("dh", dh, rDh, 1e-4, 1e-5 * rms(rDh));
        // Sums over all N rows (and for λ over all N*C elements): compare as whole tensors.
        Close.normRelative("dgamma1", dw1, plus(dw1Base, rDw1), 1e-5);
        Close.normRelative("dgamma2", dw2, plus(dw2Base, rDw2), 1e-5);
        Close.normRelative("dlambda1", dl1, plus(dl1Base, rDl1), 1e-5);
        Close.normRelative("dlambda2", dl2, plus(dl2Base, rDl2), 1e-5);
    }

    /**
     * c_attn against the literal definition: the value path x ↦ (values of every query head, GQA
     * expanded) ↦ attention output, built column by column as a dense C × C matrix by pushing the
     * basis vectors through it, then ‖·‖_F² / (seqLen·C). The query head served by KV head
     * ⌊head·nKvHeads/nHeads⌋ (SPEC §8.1) is coded here independently of the kernels' grouping.
     */
    @ParameterizedTest(name = "C={0} heads={1} kv={2} hd={3} T={4}")
    @CsvSource({"1,1,1,1,1", "5,1,1,5,3", "7,3,1,2,9", "12,4,2,3,16", "17,6,3,4,7", "33,8,2,4,1024",
            "64,4,4,16,128", "40,8,1,5,5"})
    void cAttnMatchesDenseValuePathMatrix(int C, int nHeads, int nKvHeads, int hd, int seqLen) {
        int D = nHeads * hd, Dkv = nKvHeads * hd;
        long seed = 7L * C + nHeads + 13L * nKvHeads;
        float[] wv = normal(seed, Dkv * C, 0.3), wo = normal(seed + 1, C * D, 0.3);
        double[] wvd = toDouble(wv), wod = toDouble(wo);

        double sumSq = 0;
        for (int c = 0; c < C; c++) {
            double[] e = new double[C];
            e[c] = 1;
            double[] v = new double[Dkv];                              // v = wv · e_c
            for (int k = 0; k < Dkv; k++) for (int i = 0; i < C; i++) v[k] += wvd[k * C + i] * e[i];
            double[] o = new double[D];                                // every query head reads its KV head
            for (int head = 0; head < nHeads; head++) {
                int kv = head * nKvHeads / nHeads;
                for (int j = 0; j < hd; j++) o[head * hd + j] = v[kv * hd + j];
            }
            for (int i = 0; i < C; i++) {                              // column c of M: wo · o
                double m = 0;
                for (int k = 0; k < D; k++) m += wod[i * D + k] * o[k];
                sumSq += m * m;
            }
        }
        double expected = sumSq / ((double) seqLen * C);

        double[] ref = new double[1];
        BhytRef.cAttn(ref, wvd, wod, C, nHeads, nKvHeads, hd, seqLen);
        Close.elementwise("reference c_attn", ref, new double[] {expected}, 1e-12, 0);

        float[] got = poisoned(1);
        Bhyt.cAttn(got, wv, wo, C, nHeads, nKvHeads, hd, seqLen);
        // A sum of C² squares, each a length-nKvHeads*hd dot product in float.
        Close.elementwise("c_attn", got, new double[] {expected}, 1e-5, 0);
    }

    /** GQA: sharing a KV head must equal full MHA with that head's value rows copied per query head. */
    @ParameterizedTest(name = "C={0} heads={1} kv={2} hd={3}")
    @CsvSource({"9,4,1,3", "24,6,2,4", "35,8,4,5", "64,16,4,8"})
    void cAttnGroupedEqualsExpandedMultiHead(int C, int nHeads, int nKvHeads, int hd) {
        int D = nHeads * hd, group = nHeads / nKvHeads;
        float[] wv = normal(C + 1, nKvHeads * hd * C, 0.5), wo = normal(C + 2, C * D, 0.5);
        float[] wvFull = new float[D * C];
        for (int head = 0; head < nHeads; head++) {
            System.arraycopy(wv, (head / group) * hd * C, wvFull, head * hd * C, hd * C);
        }
        float[] grouped = new float[1], full = new float[1], compactAsMha = new float[1];
        Bhyt.cAttn(grouped, wv, wo, C, nHeads, nKvHeads, hd, 11);
        Bhyt.cAttn(full, wvFull, wo, C, nHeads, nHeads, hd, 11);
        Close.elementwise("grouped vs expanded", grouped, new double[] {full[0]}, 1e-5, 0);
        // And the grouping matters: a different head-to-KV assignment changes the value.
        int[] perm = new int[nHeads];
        for (int head = 0; head < nHeads; head++) perm[head] = head % nKvHeads;
        float[] wvOther = new float[D * C];
        for (int head = 0; head < nHeads; head++) {
            System.arraycopy(wv, perm[head] * hd * C, wvOther, head * hd * C, hd * C);
        }
        Bhyt.cAttn(compactAsMha, wvOther, wo, C, nHeads, nHeads, hd, 11);
        if (nKvHeads > 1) assertNotEquals(full[0], compactAsMha[0], 1e-3 * full[0], "interleaved assignment should differ");
    }

    /** RMS of λρ·g⊙γ: the size of the two terms the input-norm projection subtracts. */
    static double projectionTermScale(float[] g, float[] w, double[] meanSq, double lambda, double kappa, int N, int C) {
        double s = 0;
        for (int n = 0; n < N; n++) {
            double a = lambda / (kappa * Math.sqrt(meanSq[n] + EPS));
            for (int j = 0; j < C; j++) s += Math.pow(a * g[n * C + j] * w[j], 2);
        }
        return Math.sqrt(s / Math.max(1, N * C));
    }

    static double rms(double[] a) {
        return Math.sqrt(GradCheck.dot(a, a) / Math.max(1, a.length));
    }
}
