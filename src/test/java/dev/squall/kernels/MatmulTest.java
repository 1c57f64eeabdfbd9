package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.squall.reference.MatmulRef;
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

class MatmulTest {

    /** The reference backward forms against finite differences of the reference forward. */
    @ParameterizedTest(name = "N={0} C={1} OC={2} bias={3}")
    @CsvSource({"1,1,1,true", "3,7,5,true", "2,13,3,false", "5,3,11,true"})
    void referenceBackwardMatchesFiniteDifferences(int N, int C, int OC, boolean withBias) {
        double[] x = toDouble(normal(1, N * C, 1.5)), w = toDouble(normal(2, OC * C, 1.0));
        double[] b = withBias ? toDouble(normal(3, OC, 1.0)) : null;
        double[] g = GradCheck.randomDouble(4, N * OC);
        double[] dx = new double[N * C], dw = new double[OC * C], db = withBias ? new double[OC] : null;
        MatmulRef.backwardInput(dx, g, w, N, C, OC);
        MatmulRef.backwardWeight(dw, db, g, x, N, C, OC);
        java.util.function.DoubleSupplier loss = () -> {
            double[] o = new double[N * OC];
            MatmulRef.forward(o, x, w, b, N, C, OC);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dinp", x, dx, loss, 1e-7);
        GradCheck.check("dweight", w, dw, loss, 1e-7);
        if (withBias) GradCheck.check("dbias", b, db, loss, 1e-7);
    }

    /** Odd sizes on every axis (every micro-tile and k-block edge), plus block-sized and model-sized ones. */
    static Stream<Arguments> shapes() {
        int[] odd = {1, 3, 7, 13, 31, 65, 127};
        List<Arguments> list = new ArrayList<>();
        for (int i = 0; i < odd.length; i++) {
            // A rotating triple covers each size on each axis without the full 343-case cube.
            for (int j = 0; j < odd.length; j += 2) {
                list.add(Arguments.of(odd[i], odd[j], odd[(i + j + 1) % odd.length], (i + j) % 2 == 0));
            }
        }
        list.add(Arguments.of(1, 1, 1, false));
        list.add(Arguments.of(127, 127, 127, true));
        list.add(Arguments.of(1, 1024, 1000, true));    // one token, OC not a multiple of 16
        list.add(Arguments.of(67, 257, 65, false));     // k-block remainder of 1, tile edges everywhere
        list.add(Arguments.of(70, 600, 300, true));     // several k-blocks and column tiles
        // 1024-ish on each axis in turn (nothing a multiple of anything); one at a time keeps the
        // double reference, whose cost is N * C * OC, at well under a second.
        list.add(Arguments.of(37, 1030, 1001, true));
        list.add(Arguments.of(1025, 1031, 17, false));
        list.add(Arguments.of(1001, 19, 1030, true));
        list.add(Arguments.of(256, 256, 768, true));    // a model projection shape (fewer tokens)
        return list.stream();
    }

    /** The float kernels against the reference; dweight and dbias accumulate into a random base. */
    @ParameterizedTest(name = "N={0} C={1} OC={2} bias={3}")
    @MethodSource("shapes")
    void kernelMatchesReference(int N, int C, int OC, boolean withBias) {
        long seed = 1_000_003L * N + 1009L * C + OC;
        float[] x = normal(seed, N * C, 1.0), w = normal(seed + 1, OC * C, 1.0), g = normal(seed + 2, N * OC, 1.0);
        float[] b = withBias ? normal(seed + 3, OC, 1.0) : null;
        float[] dwBase = normal(seed + 4, OC * C, 1.0), dbBase = normal(seed + 5, OC, 1.0);

        float[] out = poisoned(N * OC), dx = poisoned(N * C), dw = dwBase.clone(), db = withBias ? dbBase.clone() : null;
        Matmul.forward(out, x, w, b, N, C, OC);
        Matmul.backwardInput(dx, g, w, N, C, OC);
        Matmul.backwardWeight(dw, db, g, x, N, C, OC);

        double[] rOut = new double[N * OC], rDx = new double[N * C], rDw = new double[OC * C], rDb = new double[OC];
        MatmulRef.forward(rOut, toDouble(x), toDouble(w), withBias ? toDouble(b) : null, N, C, OC);
        MatmulRef.backwardInput(rDx, toDouble(g), toDouble(w), N, C, OC);
        MatmulRef.backwardWeight(rDw, withBias ? rDb : null, toDouble(g), toDouble(x), N, C, OC);

        // Each element is a length-K float dot product of unit-normal terms, so its typical size is
        // sqrt(K) and its rounding error about sqrt(K) * sqrt(K) * 6e-8: atol = sqrt(K) * |typical| * 1e-6
        // = 1e-6 * K is ~15x that, and only matters where the sum cancels to near zero; rtol 1e-4
        // covers the rest. A wrong, missing or doubled term is an O(1) error and fails both.
        Close.elementwise("out", out, rOut, 1e-4, 1e-6 * C);
        Close.elementwise("dinp", dx, rDx, 1e-4, 1e-6 * OC);
        // dweight and dbias add a length-N sum to a base of size ~1: the same bound with K = N (+1 for the base).
        Close.elementwise("dweight", dw, plus(dwBase, rDw), 1e-4, 1e-6 * (N + 1));
        if (withBias) Close.elementwise("dbias", db, plus(dbBase, rDb), 1e-4, 1e-6 * (N + 1));
        // Whole tensor: rounding errors of a length-K sum random-walk to ~3e-8 * sqrt(K) relative
        // (measured: 5.9e-7 at K = 1024); 2e-7 * sqrt(K) leaves ~7x and is tighter than the atol above.
        Close.normRelative("out (whole)", out, rOut, 2e-7 * Math.sqrt(C));
        Close.normRelative("dinp (whole)", dx, rDx, 2e-7 * Math.sqrt(OC));
    }

    /** Same inputs, same bits: repeated calls (and so any scheduling of the tiles) agree exactly. */
    @Test
    void repeatedCallsAreBitIdentical() {
        int N = 300, C = 517, OC = 190;
        float[] x = normal(7, N * C, 1.0), w = normal(8, OC * C, 1.0), g = normal(9, N * OC, 1.0), b = normal(10, OC, 1.0);
        float[][] first = null;
        for (int rep = 0; rep < 3; rep++) {
            float[] out = new float[N * OC], dx = new float[N * C], dw = new float[OC * C], db = new float[OC];
            Matmul.forward(out, x, w, b, N, C, OC);
            Matmul.backwardInput(dx, g, w, N, C, OC);
            Matmul.backwardWeight(dw, db, g, x, N, C, OC);
            float[][] now = {out, dx, dw, db};
            if (first == null) first = now;
            else for (int i = 0; i < now.length; i++) assertArrayEquals(first[i], now[i]);
        }
    }

    /**
     * The Gram product computes only its upper triangle and mirrors it: every element must be the
     * bits {@code forward(x, x)} gives (and so symmetric), and match the double reference. Sizes
     * cross the micro-tile (8 x 2L), the square tile (64) and the k-block (256) edges.
     */
    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1,1", "1,9", "7,3", "8,32", "17,5", "33,31", "64,64", "65,257", "96,352", "130,70", "200,513", "256,352"})
    void gramIsForwardOfXAndItselfToTheBit(int N, int C) {
        float[] x = normal(31L * N + C, N * C, 1.0);
        float[] gram = new float[N * N], full = new float[N * N];
        java.util.Arrays.fill(gram, Float.NaN);
        Matmul.gram(gram, x, N, C);
        Matmul.forward(full, x, x, null, N, C, N);
        assertArrayEquals(full, gram, "gram vs forward(x, x)");
        for (int i = 0; i < N; i++)
            for (int j = 0; j < i; j++)
                if (Float.floatToRawIntBits(gram[i * N + j]) != Float.floatToRawIntBits(gram[j * N + i]))
                    throw new AssertionError("gram not symmetric at (" + i + ", " + j + ")");
        double[] ref = new double[N * N];
        MatmulRef.forward(ref, toDouble(x), toDouble(x), null, N, C, N);
        Close.elementwise("gram", gram, ref, 1e-4, 1e-6 * C);
    }
}
