package dev.squall.reference;

/** Double-precision SwiGLU, SPEC §7.4, gate in the first half of each gu row (ArchScale order). */
public final class SwiGluRef {
    private SwiGluRef() {}

    public static void forward(double[] out, double[] gu, int N, int Hf) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < Hf; j++) {
                double h = gu[n * 2 * Hf + j], u = gu[n * 2 * Hf + Hf + j];
                out[n * Hf + j] = h * sigmoid(h) * u;
            }
        }
    }

    /** Writes dgu (both halves). */
    public static void backward(double[] dgu, double[] dout, double[] gu, int N, int Hf) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < Hf; j++) {
                double h = gu[n * 2 * Hf + j], u = gu[n * 2 * Hf + Hf + j], g = dout[n * Hf + j];
                double s = sigmoid(h);
                dgu[n * 2 * Hf + j] = g * u * s * (1 + h * (1 - s));
                dgu[n * 2 * Hf + Hf + j] = g * h * s;
            }
        }
    }

    public static double sigmoid(double h) {
        return h >= 0 ? 1 / (1 + Math.exp(-h)) : Math.exp(h) / (1 + Math.exp(h));
    }
}
