package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.reference.AttentionRef;
import dev.squall.testing.Close;
import dev.squall.testing.GradCheck;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class AttentionTest {

    /** The reference backward against finite differences of the reference forward, for q, k and v. */
    @ParameterizedTest(name = "B={0} T={1} H={2} Hkv={3} hd={4}")
    @CsvSource({"1,1,1,1,2", "2,5,4,2,4", "1,7,3,1,6", "2,3,2,2,3", "1,6,4,4,2"})
    void referenceBackwardMatchesFiniteDifferences(int B, int T, int H, int Hkv, int hd) {
        int nq = B * T * H * hd, nkv = B * T * Hkv * hd;
        double scale = 1 / Math.sqrt(hd);
        double[] q = toDouble(normal(1, nq, 1.0)), k = toDouble(normal(2, nkv, 1.0)), v = toDouble(normal(3, nkv, 1.0));
        double[] g = GradCheck.randomDouble(4, nq);
        double[] out = new double[nq], lse = new double[B * H * T];
        AttentionRef.forward(out, lse, q, k, v, B, T, H, Hkv, hd, scale);
        double[] dq = new double[nq], dk = new double[nkv], dv = new double[nkv];
        AttentionRef.backward(dq, dk, dv, g, q, k, v, out, lse, B, T, H, Hkv, hd, scale);
        java.util.function.DoubleSupplier loss = () -> {
            double[] o = new double[nq], l = new double[B * H * T];
            AttentionRef.forward(o, l, q, k, v, B, T, H, Hkv, hd, scale);
            return GradCheck.dot(g, o);
        };
        GradCheck.check("dq", q, dq, loss, 1e-7);
        GradCheck.check("dk", k, dk, loss, 1e-7);
        GradCheck.check("dv", v, dv, loss, 1e-7);
    }

    /**
     * Every T in {1, 3, 7, 13, 31, 65, 127} with every hd in {2, 6, 16, 18, 64}, batch and head layout
     * (MHA, GQA 4:2, GQA 3:1) rotating through the cases.
     */
    static List<Arguments> shapes() {
        int[][] heads = {{4, 2}, {3, 1}, {2, 2}};
        List<Arguments> cases = new ArrayList<>();
        int i = 0;
        for (int T : new int[] {1, 3, 7, 13, 31, 65, 127}) {
            for (int hd : new int[] {2, 6, 16, 18, 64}) {
                int[] hh = heads[i % 3];
                cases.add(Arguments.of(1 + i % 2, T, hh[0], hh[1], hd, 1.0));
                i++;
            }
        }
        // Sharper softmax (scores spread ~ 8): the running max moves often and exp underflows for most keys.
        cases.add(Arguments.of(2, 127, 4, 2, 64, Math.sqrt(64)));
        cases.add(Arguments.of(1, 160, 4, 1, 64, Math.sqrt(64)));
        return cases;
    }

    /** The tiled float kernel, forward (out and lse) and backward (dq, dk, dv), against the dense reference. */
    @ParameterizedTest(name = "B={0} T={1} H={2} Hkv={3} hd={4} sharpen={5}")
    @MethodSource("shapes")
    void kernelMatchesReference(int B, int T, int H, int Hkv, int hd, double sharpen) {
        checkAgainstReference(B, T, H, Hkv, hd, (float) (sharpen / Math.sqrt(hd)), 1000L * T + 10L * hd + B);
    }

    /** Shapes that need several query and key tiles with a ragged last one, so the online rescale is exercised. */
    @Test
    void tiledPathCoversSeveralTilesAndARaggedEdge() {
        int T = 2 * Attention.TILE + 5;
        assertTrue(T > Attention.TILE && T % Attention.TILE != 0);
        checkAgainstReference(2, T, 4, 2, 16, 0.25f, 99);
        checkAgainstReference(1, 3 * Attention.TILE - 1, 3, 1, 18, 1f, 98);
    }

    private static void checkAgainstReference(int B, int T, int H, int Hkv, int hd, float scale, long seed) {
        int nq = B * T * H * hd, nkv = B * T * Hkv * hd, nl = B * H * T;
        float[] q = normal(seed, nq, 1.0), k = normal(seed + 1, nkv, 1.0), v = normal(seed + 2, nkv, 1.0);
        float[] g = normal(seed + 3, nq, 1.0);

        float[] out = poisoned(nq), lse = poisoned(nl);
        Attention.forward(out, lse, q, k, v, B, T, H, Hkv, hd, scale);
        float[] dq = poisoned(nq), dk = poisoned(nkv), dv = poisoned(nkv);
        Attention.backward(dq, dk, dv, g, q, k, v, out, lse, B, T, H, Hkv, hd, scale);

        double[] rOut = new double[nq], rLse = new double[nl];
        double[] dQ = toDouble(q), dK = toDouble(k), dV = toDouble(v);
        AttentionRef.forward(rOut, rLse, dQ, dK, dV, B, T, H, Hkv, hd, scale);
        double[] rdq = new double[nq], rdk = new double[nkv], rdv = new double[nkv];
        AttentionRef.backward(rdq, rdk, rdv, toDouble(g), dQ, dK, dV, rOut, rLse, B, T, H, Hkv, hd, scale);

        // out is a convex combination of unit-size v rows: absolute float error ~ 1e-6 whatever T is.
        Close.elementwise("out", out, rOut, 1e-4, 2e-5);
        // lse = max + log(sum), both O(1..10): a few ulps plus the hd-term dot product rounding.
        Close.elementwise("lse", lse, rLse, 1e-5, 1e-5);
        Close.normRelative("dv", dv, rdv, 2e-5);
        if (T == 1) {
            // One key: the softmax is constant, dq and dk are exactly zero and only rounding is left.
            Close.elementwise("dq", dq, rdq, 0, 1e-6);
            Close.elementwise("dk", dk, rdk, 0, 1e-6);
            return;
        }
        // Gradients sum over up to T keys (or T queries times H/Hkv heads): compare whole tensors.
        // Measured at most 2e-6 over these shapes; 2e-5 leaves room for other vector widths.
        Close.normRelative("dq", dq, rdq, 2e-5);
        Close.normRelative("dk", dk, rdk, 2e-5);
        // And no single element far off (an error confined to one tile would barely move the norm).
        // Gradient elements are O(1) (O(scale * sqrt(hd)) when sharpened); measured worst 6e-5 absolute.
        Close.elementwise("dq", dq, rdq, 1e-3, 2e-4);
        Close.elementwise("dk", dk, rdk, 1e-3, 2e-4);
        Close.elementwise("dv", dv, rdv, 1e-3, 2e-4);
    }

    /** Same inputs, same bits: no floating-point accumulation order depends on scheduling. */
    @Test
    void backwardIsDeterministic() {
        int B = 2, T = 150, H = 4, Hkv = 2, hd = 32;
        int nq = B * T * H * hd, nkv = B * T * Hkv * hd;
        float scale = (float) (1 / Math.sqrt(hd));
        float[] q = normal(5, nq, 1.0), k = normal(6, nkv, 1.0), v = normal(7, nkv, 1.0), g = normal(8, nq, 1.0);
        float[] out = new float[nq], lse = new float[B * H * T];
        Attention.forward(out, lse, q, k, v, B, T, H, Hkv, hd, scale);
        float[][] first = {new float[nq], new float[nkv], new float[nkv]};
        float[][] second = {new float[nq], new float[nkv], new float[nkv]};
        Attention.backward(first[0], first[1], first[2], g, q, k, v, out, lse, B, T, H, Hkv, hd, scale);
        Attention.backward(second[0], second[1], second[2], g, q, k, v, out, lse, B, T, H, Hkv, hd, scale);
        for (int i = 0; i < 3; i++) assertArrayEquals(first[i], second[i]);
    }

    /**
     * Decoding against a KV cache reproduces the full forward's rows: a prompt prefilled in uneven chunks
     * (crossing a tile boundary), then tokens one at a time. Cache rows not yet filled are NaN, so
     * reading a future position fails.
     */
    @ParameterizedTest(name = "H={0} Hkv={1} hd={2}")
    @CsvSource({"4,2,16", "3,1,18", "2,2,64"})
    void decodeMatchesFullForward(int H, int Hkv, int hd) {
        int T = 100, maxT = T + 7, qRow = H * hd, kvRow = Hkv * hd;
        float scale = (float) (1 / Math.sqrt(hd));
        float[] q = normal(21, T * qRow, 1.0), k = normal(22, T * kvRow, 1.0), v = normal(23, T * kvRow, 1.0);
        float[] full = poisoned(T * qRow), lse = poisoned(H * T);
        Attention.forward(full, lse, q, k, v, 1, T, H, Hkv, hd, scale);

        float[] kCache = poisoned(maxT * kvRow), vCache = poisoned(maxT * kvRow);
        int[] chunks = {1, 5, 64, 3, 1, 19, 1, 1, 1, 1, 1, 1, 1};
        int pos = 0;
        for (int n : chunks) {
            System.arraycopy(k, pos * kvRow, kCache, pos * kvRow, n * kvRow);
            System.arraycopy(v, pos * kvRow, vCache, pos * kvRow, n * kvRow);
            float[] qChunk = java.util.Arrays.copyOfRange(q, pos * qRow, (pos + n) * qRow);
            float[] out = poisoned(n * qRow);
            Attention.decode(out, qChunk, kCache, vCache, pos, n, maxT, H, Hkv, hd, scale);
            double[] expected = toDouble(java.util.Arrays.copyOfRange(full, pos * qRow, (pos + n) * qRow));
            // Different tile boundaries, so a different summation order: float rounding only.
            Close.elementwise("decode pos=" + pos + " n=" + n, out, expected, 1e-4, 1e-5);
            pos += n;
        }
        assertEquals(T, pos);

        // One chunk from position 0 uses the forward's own tiles: identical bits.
        float[] once = poisoned(T * qRow);
        Attention.decode(once, q, kCache, vCache, 0, T, maxT, H, Hkv, hd, scale);
        assertArrayEquals(full, once);
    }

    @Test
    void zValueIsTheMeanSquaredLogSumExp() {
        float[] lse = {1f, -2f, 3f, 0.5f};
        assertEquals((1 + 4 + 9 + 0.25) / 4, Attention.zValue(lse, 4), 1e-12);
    }
}
