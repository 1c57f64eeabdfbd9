package dev.squall.reference;

/** Double-precision embedding lookup and its scatter-add backward, plain and scaled (SPEC §2.4). */
public final class EmbeddingRef {
    private EmbeddingRef() {}

    public static void forward(double[] out, int[] tokens, double[] wte, int N, int C) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < C; j++) out[n * C + j] = wte[tokens[n] * C + j];
        }
    }

    public static void forwardScaled(double[] out, int[] tokens, double[] wte, double[] scale, int N, int C) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < C; j++) out[n * C + j] = wte[tokens[n] * C + j] * scale[0];
        }
    }

    /** Adds into dwte. */
    public static void backward(double[] dwte, double[] dout, int[] tokens, int N, int C) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < C; j++) dwte[tokens[n] * C + j] += dout[n * C + j];
        }
    }

    /** Adds into dwte and dscale. */
    public static void backwardScaled(double[] dwte, double[] dscale, double[] dout, int[] tokens, double[] wte,
                                      double[] scale, int N, int C) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < C; j++) {
                dwte[tokens[n] * C + j] += dout[n * C + j] * scale[0];
                dscale[0] += dout[n * C + j] * wte[tokens[n] * C + j];
            }
        }
    }
}
