package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.reference.EmbeddingRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EmbeddingTest {

    /** Token ids in [0, V); with N > V they repeat, which is what the scatter-add must get right. */
    static int[] tokens(long seed, int N, int V) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[N];
        for (int i = 0; i < N; i++) t[i] = r.nextInt(V);
        return t;
    }

    @ParameterizedTest(name = "N={0} C={1} V={2}")
    @CsvSource({"1,1,1", "7,3,2", "5,13,7", "11,4,3"})
    void referenceBackwardMatchesFiniteDifferences(int N, int C, int V) {
        int[] tok = tokens(1, N, V);
        double[] wte = toDouble(normal(2, V * C, 1.0)), scale = {1.9};
        double[] g = GradCheck.randomDouble(3, N * C);

        double[] dwte = new double[V * C];
        EmbeddingRef.backward(dwte, g, tok, N, C);
        GradCheck.check("dwte", wte, dwte, () -> {
            double[] o = new double[N * C];
            EmbeddingRef.forward(o, tok, wte, N, C);
            return GradCheck.dot(g, o);
        }, 1e-7);

        double[] dwteS = new double[V * C], dscale = new double[1];
        EmbeddingRef.backwardScaled(dwteS, dscale, g, tok, wte, scale, N, C);
        DoubleSupplier scaled = () -> {
            double[] o = new double[N * C];
            EmbeddingRef.forwardScaled(o, tok, wte, scale, N, C);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dwte (scaled)", wte, dwteS, scaled, 1e-7);
        GradCheck.check("dscale", scale, dscale, scaled, 1e-7);
    }

    @ParameterizedTest(name = "N={0} C={1} V={2}")
    @CsvSource({"1,1,1", "3,3,5", "7,7,3", "13,13,13", "31,31,7", "65,65,100", "127,127,50",
            "1000,17,2", "64,200,1000", "512,768,1024"})
    void kernelMatchesReference(int N, int C, int V) {
        long seed = 7L * N + 13L * C + V;
        int[] tok = tokens(seed, N, V);
        float[] wte = normal(seed + 1, V * C, 1.0), g = normal(seed + 2, N * C, 1.0), scale = {27.7f};
        float[] dwteBase = normal(seed + 3, V * C, 1.0), dscaleBase = {0.5f};
        double[] rWte = toDouble(wte), rG = toDouble(g), rScale = {scale[0]};

        float[] out = poisoned(N * C);
        double[] rOut = new double[N * C];
        Embedding.forward(out, tok, wte, N, C);
        EmbeddingRef.forward(rOut, tok, rWte, N, C);
        Close.elementwise("out", out, rOut, 0, 0); // a copy

        Embedding.forwardScaled(out = poisoned(N * C), tok, wte, scale, N, C);
        EmbeddingRef.forwardScaled(rOut, tok, rWte, rScale, N, C);
        Close.elementwise("out (scaled)", out, rOut, 1e-6, 0); // one float product

        // dwte sums N / V rows per element (up to 500 here) into a random base: compare as a tensor.
        float[] dwte = dwteBase.clone();
        double[] rDwte = new double[V * C];
        Embedding.backward(dwte, g, tok, N, C);
        EmbeddingRef.backward(rDwte, rG, tok, N, C);
        Close.normRelative("dwte", dwte, plus(dwteBase, rDwte), 1e-6);

        float[] dscale = dscaleBase.clone();
        dwte = dwteBase.clone();
        double[] rDscale = new double[1];
        java.util.Arrays.fill(rDwte, 0);
        Embedding.backwardScaled(dwte, dscale, g, tok, wte, scale, N, C);
        EmbeddingRef.backwardScaled(rDwte, rDscale, rG, tok, rWte, rScale, N, C);
        Close.normRelative("dwte (scaled)", dwte, plus(dwteBase, rDwte), 1e-6);
        // dscale is a dot product of N * C terms with cancellation: float sums of 64-row chunks.
        Close.normRelative("dscale", dscale, plus(dscaleBase, rDscale), 1e-4);
    }

    /** All positions hold one token: every row of dout lands on the same row of dwte. */
    @Test
    void repeatedTokenSumsEveryPosition() {
        int N = 300, C = 70, V = 4;
        int[] tok = new int[N];
        java.util.Arrays.fill(tok, 2);
        float[] g = normal(1, N * C, 1.0), dwte = new float[V * C];
        Embedding.backward(dwte, g, tok, N, C);
        double[] expected = new double[V * C];
        for (int n = 0; n < N; n++) for (int j = 0; j < C; j++) expected[2 * C + j] += g[n * C + j];
        Close.normRelative("dwte", dwte, expected, 1e-6);
        for (int j = 0; j < C; j++) assertEquals(0f, dwte[j]);
    }

    @Test
    void sameBitsEveryRun() {
        int N = 2048, C = 130, V = 17;
        int[] tok = tokens(9, N, V);
        float[] g = normal(1, N * C, 1.0), wte = normal(2, V * C, 1.0), scale = {3f};
        float[] d1 = new float[V * C], d2 = new float[V * C], s1 = {0f}, s2 = {0f};
        Embedding.backwardScaled(d1, s1, g, tok, wte, scale, N, C);
        Embedding.backwardScaled(d2, s2, g, tok, wte, scale, N, C);
        assertArrayEquals(d1, d2);
        assertEquals(Float.floatToRawIntBits(s1[0]), Float.floatToRawIntBits(s2[0]));
    }

    @Test
    void outOfRangeTokenNamesIdAndVocabulary() {
        int C = 4, V = 10;
        float[] wte = new float[V * C], out = new float[3 * C];
        for (int bad : new int[] {10, -1, 123456}) {
            int[] tok = {1, bad, 2};
            var e = assertThrows(IllegalArgumentException.class, () -> Embedding.forward(out, tok, wte, 3, C));
            assertTrue(e.getMessage().contains(Integer.toString(bad)) && e.getMessage().contains("10"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Embedding.backward(new float[V * C], out, tok, 3, C));
        }
    }
}
