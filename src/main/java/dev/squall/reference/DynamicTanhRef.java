package dev.squall.reference;

/** Double-precision DyT, y = gamma * tanh(alpha * x) + beta, SPEC §2.1-2.2. alpha is a learnable scalar. */
public final class DynamicTanhRef {
    private DynamicTanhRef() {}

    /** bias may be null (the LLaMA variant has no beta). */
    public static void forward(double[] out, double[] inp, double[] alpha, double[] weight, double[] bias,
                               int N, int C) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < C; j++) {
                double t = Math.tanh(alpha[0] * inp[n * C + j]);
                out[n * C + j] = weight[j] * t + (bias == null ? 0 : bias[j]);
            }
        }
    }

    /** Writes dinp; adds into dalpha, dweight and dbias (dbias may be null). */
    public static void backward(double[] dinp, double[] dalpha, double[] dweight, double[] dbias, double[] dout,
                                double[] inp, double[] alpha, double[] weight, int N, int C) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < C; j++) {
                double x = inp[n * C + j], g = dout[n * C + j];
                double t = Math.tanh(alpha[0] * x);
                double slope = 1 - t * t;
                dinp[n * C + j] = g * weight[j] * alpha[0] * slope;
                dalpha[0] += g * weight[j] * x * slope;
                dweight[j] += g * t;
                if (dbias != null) dbias[j] += g;
            }
        }
    }
}
