package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.reference.SwiGluRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SwiGluTest {

    /** The reference backward (both halves of dgu) against finite differences of the reference forward. */
    @ParameterizedTest(name = "N={0} Hf={1}")
    @CsvSource({"1,1", "3,7", "2,13", "5,3"})
    void referenceBackwardMatchesFiniteDifferences(int N, int Hf) {
        double[] gu = toDouble(normal(1, N * 2 * Hf, 2.0));
        double[] g = GradCheck.randomDouble(2, N * Hf);
        double[] dgu = new double[N * 2 * Hf];
        SwiGluRef.backward(dgu, g, gu, N, Hf);
        GradCheck.check("dgu", gu, dgu, () -> {
            double[] o = new double[N * Hf];
            SwiGluRef.forward(o, gu, N, Hf);
            return GradCheck.dot(g, o);
        }, 1e-7);
    }

    @ParameterizedTest(name = "N={0} Hf={1}")
    @CsvSource({"1,1", "3,3", "7,7", "13,13", "31,31", "65,65", "127,127", "1,17", "5,100", "64,1024"})
    void kernelMatchesReference(int N, int Hf) {
        long seed = 31L * N + Hf;
        float[] gu = normal(seed, N * 2 * Hf, 3.0), g = normal(seed + 1, N * Hf, 1.0);
        compare(gu, g, N, Hf);
    }

    /** Gates of magnitude up to 200: exp(200) overflows a float, the kernel's sigmoid must not. */
    @Test
    void largeGatesStayFinite() {
        int N = 3, Hf = 37;
        float[] gu = uniform(5, N * 2 * Hf, 200.0), g = normal(6, N * Hf, 1.0);
        gu[0] = 1e30f;
        gu[1] = -1e30f;
        float[] out = poisoned(N * Hf), dgu = poisoned(N * 2 * Hf);
        SwiGlu.forward(out, gu, N, Hf);
        SwiGlu.backward(dgu, g, gu, N, Hf);
        for (float x : out) assertTrue(Float.isFinite(x), "out not finite");
        for (float x : dgu) assertTrue(Float.isFinite(x), "dgu not finite");
        gu[0] = 150f;
        gu[1] = -150f;
        compare(gu, g, N, Hf);
    }

    private static void compare(float[] gu, float[] g, int N, int Hf) {
        float[] out = poisoned(N * Hf), dgu = poisoned(N * 2 * Hf);
        SwiGlu.forward(out, gu, N, Hf);
        SwiGlu.backward(dgu, g, gu, N, Hf);

        double[] rOut = new double[N * Hf], rDgu = new double[N * 2 * Hf];
        SwiGluRef.forward(rOut, toDouble(gu), N, Hf);
        SwiGluRef.backward(rDgu, toDouble(g), toDouble(gu), N, Hf);

        // A few float roundings per element (exp, divide, products): ~1e-6 relative. The atol covers
        // dgate near h = -1.28, where 1 + h(1 - sig(h)) cancels to zero.
        Close.elementwise("out", out, rOut, 1e-5, 1e-6);
        Close.elementwise("dgu", dgu, rDgu, 1e-5, 1e-5);
    }
}
