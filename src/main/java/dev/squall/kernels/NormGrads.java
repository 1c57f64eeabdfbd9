package dev.squall.kernels;

/**
 * Several parameter gradients of one normalization layer summed over all tokens in a single pass
 * over the rows. {@link Parallel#reduce} accumulates into one array, so each chunk's partial holds
 * every gradient end to end,
 * <pre>
 *   [ dgamma (C) | dbeta (C) | scalar 0 | scalar 1 ]     width 2C + 2
 * </pre>
 * the chunks are summed in chunk order into a zeroed total (deterministic), and the total is then
 * added into each gradient the layer has. A body may fill a slot whose gradient is absent (null):
 * it is dropped.
 */
final class NormGrads {
    private NormGrads() {}

    /** Offsets inside a partial, relative to the offset the body receives. */
    static int beta(int C) { return C; }
    static int scalar0(int C) { return 2 * C; }
    static int scalar1(int C) { return 2 * C + 1; }

    /** Reused like Parallel's scratch, so steady-state steps allocate nothing. */
    private static float[] total = new float[0];

    static synchronized void reduce(int N, int grain, int C, Parallel.OffsetPartialBody body,
                                    float[] dgamma, float[] dbeta, float[] dscalar0, float[] dscalar1) {
        int width = 2 * C + 2;
        if (total.length < width) total = new float[width];
        java.util.Arrays.fill(total, 0, width, 0f);
        Parallel.reduce(N, grain, width, total, body);
        for (int j = 0; j < C; j++) dgamma[j] += total[j];
        if (dbeta != null) for (int j = 0; j < C; j++) dbeta[j] += total[C + j];
        if (dscalar0 != null) dscalar0[0] += total[2 * C];
        if (dscalar1 != null) dscalar1[0] += total[2 * C + 1];
    }
}
