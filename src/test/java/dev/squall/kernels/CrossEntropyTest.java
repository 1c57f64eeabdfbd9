package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.reference.CrossEntropyRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CrossEntropyTest {

    /** Targets in [0, V), with about one position in five ignored (-1). */
    static int[] targets(long seed, int N, int V) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[N];
        for (int i = 0; i < N; i++) t[i] = r.nextInt(5) == 0 ? -1 : r.nextInt(V);
        return t;
    }

    /** dlogits against finite differences of dlossScale * sum(losses); ignored rows must get zero gradient. */
    @ParameterizedTest(name = "N={0} V={1}")
    @CsvSource({"1,1", "3,7", "7,3", "5,13"})
    void referenceBackwardMatchesFiniteDifferences(int N, int V) {
        int[] tgt = targets(1, N, V);
        tgt[N / 2] = -1;
        double[] logits = toDouble(normal(2, N * V, 2.0));
        double scale = 1.0 / N;
        double[] losses = new double[N], dlogits = new double[N * V];
        CrossEntropyRef.forwardBackward(losses, dlogits, logits, tgt, N, V, scale);
        GradCheck.check("dlogits", logits, dlogits, () -> {
            double[] l = new double[N];
            CrossEntropyRef.forward(l, logits, tgt, N, V);
            return scale * CrossEntropyRef.mean(l, N) * N;
        }, 1e-7);
        for (int j = 0; j < V; j++) assertEquals(0.0, dlogits[(N / 2) * V + j]);
        assertEquals(0.0, losses[N / 2]);
    }

    @ParameterizedTest(name = "N={0} V={1} logit scale {2}")
    @CsvSource({"1,1,1", "3,3,1", "7,7,2", "13,13,1", "31,31,3", "65,65,1", "127,127,1", "4,256,1",
            "5,1000,2", "3,1031,4", "2,50257,3",
            "3,7,80", "13,256,80", "5,1031,80", "2,50257,80", "3,7,100", "7,256,100", "2,1031,100"})
    void kernelMatchesReference(int N, int V, double logitScale) {
        long seed = 1009L * N + V;
        int[] tgt = targets(seed, N, V);
        // Logits of scale 80 or 100 are uniform in [-scale, scale]: the sum of exps over a large vocabulary
        // (and at 100 a single float exp, beyond 88.7) overflows without the max subtraction.
        float[] logits = logitScale >= 80 ? uniform(seed + 1, N * V, logitScale) : normal(seed + 1, N * V, logitScale);
        float dlossScale = 1f / N;

        float[] losses = poisoned(N), dlogits = poisoned(N * V);
        CrossEntropy.forwardBackward(losses, dlogits, logits, tgt, N, V, dlossScale);
        float[] evalLosses = poisoned(N);
        CrossEntropy.forward(evalLosses, logits, tgt, N, V);

        double[] rLosses = new double[N], rDlogits = new double[N * V];
        CrossEntropyRef.forwardBackward(rLosses, rDlogits, toDouble(logits), tgt, N, V, dlossScale);

        // log of a float sum (~1e-7 relative) plus max - x_t in double; atol for losses near 0.
        Close.elementwise("losses", losses, rLosses, 1e-5, 1e-6);
        Close.elementwise("losses (eval)", evalLosses, rLosses, 1e-5, 1e-6);
        // Probabilities: a float exp (1-2 ulp) of x - max rounded to float, divided by the sum.
        Close.elementwise("dlogits", dlogits, rDlogits, 1e-5, 1e-7 * dlossScale);
        assertEquals(CrossEntropyRef.mean(rLosses, N), CrossEntropy.mean(losses, N), 1e-5 * (1 + Math.abs(CrossEntropyRef.mean(rLosses, N))));
        for (float l : losses) assertTrue(Float.isFinite(l));
    }

    /** dlogits written over logits gives the same bits as a separate buffer, and twice gives the same bits. */
    @Test
    void inPlaceAndRepeatable() {
        int N = 9, V = 4099;
        int[] tgt = targets(3, N, V);
        float[] logits = normal(4, N * V, 3.0);
        float[] losses = poisoned(N), dlogits = poisoned(N * V);
        CrossEntropy.forwardBackward(losses, dlogits, logits, tgt, N, V, 0.25f);

        float[] again = poisoned(N * V), losses2 = poisoned(N);
        CrossEntropy.forwardBackward(losses2, again, logits, tgt, N, V, 0.25f);
        assertArrayEquals(dlogits, again);
        assertArrayEquals(losses, losses2);

        float[] inPlace = logits.clone(), losses3 = poisoned(N);
        CrossEntropy.forwardBackward(losses3, inPlace, inPlace, tgt, N, V, 0.25f);
        assertArrayEquals(dlogits, inPlace);
        assertArrayEquals(losses, losses3);
    }

    /** Each gradient row sums to zero (softmax minus one-hot); ignored rows are all zero. */
    @Test
    void gradientRowsSumToZero() {
        int N = 6, V = 333;
        int[] tgt = {0, -1, 332, 5, -7, 100};
        float[] losses = poisoned(N), dlogits = poisoned(N * V);
        CrossEntropy.forwardBackward(losses, dlogits, normal(5, N * V, 5.0), tgt, N, V, 1f);
        for (int n = 0; n < N; n++) {
            double s = 0;
            for (int j = 0; j < V; j++) s += dlogits[n * V + j];
            assertEquals(0.0, s, 1e-5, "row " + n);
            if (tgt[n] < 0) {
                assertEquals(0f, losses[n]);
                for (int j = 0; j < V; j++) assertEquals(0f, dlogits[n * V + j]);
            }
        }
    }

    @Test
    void targetBeyondVocabularyIsRejected() {
        int[] tgt = {1, 9};
        var e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.forward(new float[2], new float[14], tgt, 2, 7));
        assertTrue(e.getMessage().contains("9") && e.getMessage().contains("7"), e.getMessage());
    }
}
