package dev.squall.reference;

/**
 * Double-precision MoE dispatch and combine (SPEC §6.6, §7.1): the plain loops the fast kernels are
 * checked against. Shapes as in {@code dev.squall.kernels.MoeDispatch}.
 */
public final class MoeDispatchRef {
    private MoeDispatchRef() {}

    /** Sorted rows by a scan per expert: expert 0's slots in slot order, then expert 1's, and so on. */
    public static void plan(int[] rowSlot, int[] slotRow, int[] offsets, int[] expertIdx, int N, int K, int E) {
        int r = 0;
        for (int e = 0; e < E; e++) {
            offsets[e] = r;
            for (int s = 0; s < N * K; s++) {
                if (expertIdx[s] == e) {
                    rowSlot[r] = s;
                    slotRow[s] = r;
                    r++;
                }
            }
        }
        offsets[E] = r;
    }

    public static void gather(double[] xs, double[] x, int[] rowSlot, int N, int K, int C) {
        for (int r = 0; r < N * K; r++) {
            int t = rowSlot[r] / K;
            for (int c = 0; c < C; c++) xs[r * C + c] = x[t * C + c];
        }
    }

    /** Writes dx[t] = sum_j dxs[slotRow[t*K + j]]. */
    public static void gatherBackward(double[] dx, double[] dxs, int[] slotRow, int N, int K, int C) {
        for (int t = 0; t < N; t++) {
            for (int c = 0; c < C; c++) {
                double s = 0;
                for (int j = 0; j < K; j++) s += dxs[slotRow[t * K + j] * C + c];
                dx[t * C + c] = s;
            }
        }
    }

    public static void combine(double[] y, double[] ys, double[] weights, int[] slotRow, int N, int K, int C) {
        for (int t = 0; t < N; t++) {
            for (int c = 0; c < C; c++) {
                double s = 0;
                for (int j = 0; j < K; j++) s += weights[t * K + j] * ys[slotRow[t * K + j] * C + c];
                y[t * C + c] = s;
            }
        }
    }

    /** Writes dys[slotRow[s]] = weights[s] * dy[s/K] and dweights[s] = dot(dy[s/K], ys[slotRow[s]]). */
    public static void combineBackward(double[] dys, double[] dweights, double[] dy, double[] ys, double[] weights,
                                       int[] slotRow, int N, int K, int C) {
        for (int s = 0; s < N * K; s++) {
            int t = s / K, r = slotRow[s];
            double d = 0;
            for (int c = 0; c < C; c++) {
                dys[r * C + c] = weights[s] * dy[t * C + c];
                d += dy[t * C + c] * ys[r * C + c];
            }
            dweights[s] = d;
        }
    }
}
