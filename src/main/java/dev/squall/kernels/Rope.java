package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding, SPEC §8.3, half-split (NeoX / HF-LLaMA) layout: feature i of a head is
 * paired with feature i + hd/2, and the pair is rotated by theta(p, i) = p * base^(-2i/hd).
 *
 * <pre>
 * Shapes:
 *   B       batch, T sequence, nHeads heads in the tensor (H for queries, Hkv for keys), hd head dim (even)
 *   inp, out, dout, dinp   (B, T, nHeads * hd)     forward / backward
 *   inp, out               (nTokens, nHeads * hd)  forwardAt: row r sits at position pos + r
 *   cos, sin               (maxT, hd / 2)          filled by tables, positions 0 .. maxT-1
 * </pre>
 *
 * Queries and keys are rotated after the optional per-head QK-Norm (SPEC §5.1), in float32 tables
 * whose angles were computed in double.
 *
 * <p>Every form reads both halves of a pair before writing either, so out may be the same array as inp
 * (likewise dinp and dout): rotating in place saves a (B, T, C) buffer per tensor.
 */
public final class Rope {
    private Rope() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int GRAIN = 16;

    /** out = x * cos + rotate_half(x) * sin over a whole (B, T) batch. */
    public static void forward(float[] out, float[] inp, float[] cos, float[] sin, int B, int T, int nHeads, int hd) {
        Parallel.forRange(B * T, GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) rotateRow(out, inp, cos, sin, r, r % T, nHeads, hd, 1f);
        });
    }

    /** dinp = rotation of dout by -theta (the transpose of forward). */
    public static void backward(float[] dinp, float[] dout, float[] cos, float[] sin, int B, int T, int nHeads, int hd) {
        Parallel.forRange(B * T, GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) rotateRow(dinp, dout, cos, sin, r, r % T, nHeads, hd, -1f);
        });
    }

    /** Forward for decoding: nTokens rows of one sequence at positions pos .. pos + nTokens - 1. */
    public static void forwardAt(float[] out, float[] inp, float[] cos, float[] sin, int pos, int nTokens, int nHeads, int hd) {
        Parallel.forRange(nTokens, GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) rotateRow(out, inp, cos, sin, r, pos + r, nHeads, hd, 1f);
        });
    }

    /** Rotates every head of row {@code row} by +theta(p) (sign 1) or -theta(p) (sign -1). */
    private static void rotateRow(float[] out, float[] inp, float[] cos, float[] sin, int row, int p,
                                  int nHeads, int hd, float sign) {
        int half = hd / 2;
        int tab = p * half;
        for (int h = 0; h < nHeads; h++) {
            int a0 = (row * nHeads + h) * hd, b0 = a0 + half;
            int i = 0;
            for (; i < S.loopBound(half); i += S.length()) {
                FloatVector c = FloatVector.fromArray(S, cos, tab + i);
                FloatVector s = FloatVector.fromArray(S, sin, tab + i).mul(sign);
                FloatVector a = FloatVector.fromArray(S, inp, a0 + i);
                FloatVector b = FloatVector.fromArray(S, inp, b0 + i);
                a.mul(c).sub(b.mul(s)).intoArray(out, a0 + i);
                b.mul(c).add(a.mul(s)).intoArray(out, b0 + i);
            }
            for (; i < half; i++) {
                float c = cos[tab + i], s = sign * sin[tab + i];
                float a = inp[a0 + i], b = inp[b0 + i];
                out[a0 + i] = a * c - b * s;
                out[b0 + i] = b * c + a * s;
            }
        }
    }
}
