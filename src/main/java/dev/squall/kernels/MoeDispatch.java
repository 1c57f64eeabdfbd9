package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dropless token dispatch and combine for the MoE sublayer (SPEC §6.6, §7.1; MODEL.md "MoE sublayer"):
 * every (token, slot) pair is copied into a row sorted by expert, the experts run as grouped products
 * ({@link GroupedMatmul}) over contiguous row ranges, and the weighted expert outputs are summed back
 * per token.
 *
 * <pre>
 * Shapes:
 *   N    tokens
 *   K    routed experts per token (slots); slot s = t*K + j is token t's j-th choice
 *   E    routed experts
 *   C    features per row
 *   expertIdx, weights, dweights   (N, K)
 *   rowSlot, slotRow               (N * K)   sorted row r holds slot rowSlot[r]; slotRow is its inverse
 *   offsets                        (E + 1)   expert e owns sorted rows offsets[e] .. offsets[e+1]-1
 *   x, dx, y, dy                   (N, C)
 *   xs, dxs, ys, dys               (N * K, C) sorted rows
 * </pre>
 *
 * <p>Nothing here reduces across tokens: each output row (or slot) is written by exactly one task, and
 * a token's K slots are summed in ascending j, so results do not depend on the thread count.
 */
public final class MoeDispatch {
    private MoeDispatch() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int GRAIN = 16;

    /**
     * Stable counting sort of the N*K slots by expertIdx; rowSlot, slotRow and offsets are written.
     * Sequential: it is O(N*K) integer work, negligible beside the products it orders.
     */
    public static void plan(int[] rowSlot, int[] slotRow, int[] offsets, int[] expertIdx, int N, int K, int E) {
        int slots = N * K;
        java.util.Arrays.fill(offsets, 0, E + 1, 0);
        for (int s = 0; s < slots; s++) {
            int e = expertIdx[s];
            if (e < 0 || e >= E) throw new IllegalArgumentException("expertIdx[" + s + "] = " + e + " not in [0, " + E + ")");
            offsets[e + 1]++;
        }
        // offsets[e + 1] becomes expert e's first row and serves as its fill cursor; once every slot
        // is placed it has advanced to the end of e, which is the start of e + 1, as offsets requires.
        int start = 0;
        for (int e = 0; e < E; e++) {
            int count = offsets[e + 1];
            offsets[e + 1] = start;
            start += count;
        }
        for (int s = 0; s < slots; s++) {
            int r = offsets[expertIdx[s] + 1]++;
            rowSlot[r] = s;
            slotRow[s] = r;
        }
    }

    /** xs[r] = x[rowSlot[r] / K]. Written. */
    public static void gather(float[] xs, float[] x, int[] rowSlot, int N, int K, int C) {
        Parallel.forRange(N * K, GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) System.arraycopy(x, (rowSlot[r] / K) * C, xs, r * C, C);
        });
    }

    /** dx[t] = Σ_j dxs[slotRow[t*K + j]], ascending j. Written. */
    public static void gatherBackward(float[] dx, float[] dxs, int[] slotRow, int N, int K, int C) {
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int out = t * C;
                System.arraycopy(dxs, slotRow[t * K] * C, dx, out, C);
                for (int j = 1; j < K; j++) {
                    int in = slotRow[t * K + j] * C;
                    for (int c = 0; c < C; c++) dx[out + c] += dxs[in + c];
                }
            }
        });
    }

    /** y[t] = Σ_j weights[t*K + j] * ys[slotRow[t*K + j]], ascending j. Written. */
    public static void combine(float[] y, float[] ys, float[] weights, int[] slotRow, int N, int K, int C) {
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int out = t * C;
                float w0 = weights[t * K];
                int in0 = slotRow[t * K] * C;
                for (int c = 0; c < C; c++) y[out + c] = w0 * ys[in0 + c];
                for (int j = 1; j < K; j++) {
                    float w = weights[t * K + j];
                    int in = slotRow[t * K + j] * C;
                    for (int c = 0; c < C; c++) y[out + c] += w * ys[in + c];
                }
            }
        });
    }

    /**
     * dys[slotRow[s]] = weights[s] * dy[s / K] and dweights[s] = &lt;dy[s / K], ys[slotRow[s]]&gt;, both
     * written. Every sorted row is some slot's, so dys is fully written.
     */
    public static void combineBackward(float[] dys, float[] dweights, float[] dy, float[] ys, float[] weights,
                                       int[] slotRow, int N, int K, int C) {
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int g = t * C;
                for (int j = 0; j < K; j++) {
                    int s = t * K + j, row = slotRow[s] * C;
                    float w = weights[s];
                    for (int c = 0; c < C; c++) dys[row + c] = w * dy[g + c];
                    dweights[s] = dot(dy, g, ys, row, C);
                }
            }
        });
    }

    private static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(S);
        int c = 0;
        for (; c < S.loopBound(len); c += S.length()) {
            acc = FloatVector.fromArray(S, a, aOff + c).fma(FloatVector.fromArray(S, b, bOff + c), acc);
        }
        float s = LaneMath.sum(acc);
        for (; c < len; c++) s += a[aOff + c] * b[bOff + c];
        return s;
    }
}
