package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.squall.reference.GroupedMatmulRef;
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

class GroupedMatmulTest {

    /** How the R rows are split among the E experts. */
    enum Split { RANDOM, LAST_ONLY, EQUAL }

    /**
     * Expert boundaries: RANDOM cuts at random rows and empties expert 1 (when E >= 3); LAST_ONLY gives
     * every row to the last expert, leaving all others empty; EQUAL splits as evenly as it can.
     */
    static int[] offsets(long seed, int R, int E, Split split) {
        int[] off = new int[E + 1];
        off[E] = R;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int e = 1; e < E; e++) {
            off[e] = switch (split) {
                case RANDOM -> rnd.nextInt(R + 1);
                case LAST_ONLY -> 0;
                case EQUAL -> (int) ((long) R * e / E);
            };
        }
        java.util.Arrays.sort(off, 1, E);
        if (split == Split.RANDOM && E >= 3) off[2] = off[1];
        return off;
    }

    /** The reference backward forms against finite differences of the reference forward. */
    @ParameterizedTest(name = "R={0} C={1} OC={2} E={3}")
    @CsvSource({"1,1,1,1", "7,3,5,3", "6,13,3,4", "9,3,7,2"})
    void referenceBackwardMatchesFiniteDifferences(int R, int C, int OC, int E) {
        int[] off = offsets(R, R, E, Split.RANDOM);
        double[] x = toDouble(normal(1, R * C, 1.0)), w = toDouble(normal(2, E * OC * C, 1.0));
        double[] g = GradCheck.randomDouble(3, R * OC);
        double[] dx = new double[R * C], dw = new double[E * OC * C];
        GroupedMatmulRef.backwardInput(dx, g, w, off, R, C, OC, E);
        GroupedMatmulRef.backwardWeight(dw, g, x, off, R, C, OC, E);
        java.util.function.DoubleSupplier loss = () -> {
            double[] o = new double[R * OC];
            GroupedMatmulRef.forward(o, x, w, off, R, C, OC, E);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dinp", x, dx, loss, 1e-7);
        GradCheck.check("dweight", w, dw, loss, 1e-7);
    }

    /** Odd rows, widths and expert counts in a rotation, each split kind, plus model-like shapes. */
    static Stream<Arguments> shapes() {
        int[] rs = {1, 3, 7, 31, 127, 1000}, es = {1, 3, 8, 17}, cs = {1, 3, 17, 33, 100};
        List<Arguments> list = new ArrayList<>();
        for (int i = 0; i < rs.length; i++) {
            for (int j = 0; j < cs.length; j += 2) {
                Split split = Split.values()[(i + j) % 3];
                list.add(Arguments.of(rs[i], cs[j], cs[(i + j + 1) % cs.length], es[(i + j) % es.length], split));
            }
        }
        list.add(Arguments.of(300, 257, 65, 3, Split.RANDOM));      // k-block remainder of 1 in forward
        list.add(Arguments.of(700, 33, 100, 2, Split.RANDOM));      // an expert with several k-blocks in dW
        list.add(Arguments.of(512, 256, 176, 8, Split.EQUAL));      // the model's expert up-projection
        list.add(Arguments.of(512, 88, 256, 8, Split.RANDOM));      // and its down-projection
        return list.stream();
    }

    /** The float kernels against the reference; outputs NaN-poisoned, dweight accumulates into a random base. */
    @ParameterizedTest(name = "R={0} C={1} OC={2} E={3} {4}")
    @MethodSource("shapes")
    void kernelMatchesReference(int R, int C, int OC, int E, Split split) {
        long seed = 1_000_003L * R + 1009L * C + 17L * OC + E;
        int[] off = offsets(seed, R, E, split);
        float[] x = normal(seed, R * C, 1.0), w = normal(seed + 1, E * OC * C, 1.0), g = normal(seed + 2, R * OC, 1.0);
        float[] dwBase = normal(seed + 3, E * OC * C, 1.0);

        float[] out = poisoned(R * OC), dx = poisoned(R * C), dw = dwBase.clone();
        GroupedMatmul.forward(out, x, w, off, R, C, OC, E);
        GroupedMatmul.backwardInput(dx, g, w, off, R, C, OC, E);
        GroupedMatmul.backwardWeight(dw, g, x, off, R, C, OC, E);

        double[] rOut = new double[R * OC], rDx = new double[R * C], rDw = new double[E * OC * C];
        GroupedMatmulRef.forward(rOut, toDouble(x), toDouble(w), off, R, C, OC, E);
        GroupedMatmulRef.backwardInput(rDx, toDouble(g), toDouble(w), off, R, C, OC, E);
        GroupedMatmulRef.backwardWeight(rDw, toDouble(g), toDouble(x), off, R, C, OC, E);

        // As MatmulTest: a length-K dot product of unit-normal terms is ~sqrt(K) in size with rounding
        // ~K * 6e-8, so atol 1e-6 * K only matters where the sum cancels; rtol 1e-4 covers the rest.
        Close.elementwise("out", out, rOut, 1e-4, 1e-6 * C);
        Close.elementwise("dinp", dx, rDx, 1e-4, 1e-6 * OC);
        // dweight adds a sum over the expert's rows (at most R) to a base of size ~1.
        Close.elementwise("dweight", dw, plus(dwBase, rDw), 1e-4, 1e-6 * (R + 1));
        // Whole tensor: random-walk rounding of a length-K sum, ~3e-8 * sqrt(K) relative.
        Close.normRelative("out (whole)", out, rOut, 2e-7 * Math.sqrt(C));
        Close.normRelative("dinp (whole)", dx, rDx, 2e-7 * Math.sqrt(OC));
    }

    /** Same inputs, same bits: repeated calls, and so any scheduling of the (expert, tile) tasks, agree. */
    @Test
    void repeatedCallsAreBitIdentical() {
        int R = 900, C = 130, OC = 190, E = 5;
        int[] off = offsets(3, R, E, Split.RANDOM);
        float[] x = normal(7, R * C, 1.0), w = normal(8, E * OC * C, 1.0), g = normal(9, R * OC, 1.0);
        float[][] first = null;
        for (int rep = 0; rep < 3; rep++) {
            float[] out = new float[R * OC], dx = new float[R * C], dw = new float[E * OC * C];
            GroupedMatmul.forward(out, x, w, off, R, C, OC, E);
            GroupedMatmul.backwardInput(dx, g, w, off, R, C, OC, E);
            GroupedMatmul.backwardWeight(dw, g, x, off, R, C, OC, E);
            float[][] now = {out, dx, dw};
            if (first == null) first = now;
            else for (int i = 0; i < now.length; i++) assertArrayEquals(first[i], now[i]);
        }
    }
}
