package dev.squall.reference;

/**
 * Double-precision linear layer (y = x·Wᵀ + b, PyTorch {@code Linear} layout): the plain loops every
 * faster matmul is checked against. Shapes as in {@code dev.squall.kernels.Matmul}.
 */
public final class MatmulRef {
    private MatmulRef() {}

    /** out[n,o] = sum_c inp[n,c] * weight[o,c] (+ bias[o]); bias may be null. */
    public static void forward(double[] out, double[] inp, double[] weight, double[] bias, int N, int C, int OC) {
        for (int n = 0; n < N; n++) {
            for (int o = 0; o < OC; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int c = 0; c < C; c++) s += inp[n * C + c] * weight[o * C + c];
                out[n * OC + o] = s;
            }
        }
    }

    /** Writes dinp[n,c] = sum_o dout[n,o] * weight[o,c]. */
    public static void backwardInput(double[] dinp, double[] dout, double[] weight, int N, int C, int OC) {
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                double s = 0;
                for (int o = 0; o < OC; o++) s += dout[n * OC + o] * weight[o * C + c];
                dinp[n * C + c] = s;
            }
        }
    }

    /** Adds dweight[o,c] += sum_n dout[n,o] * inp[n,c] and dbias[o] += sum_n dout[n,o] (dbias may be null). */
    public static void backwardWeight(double[] dweight, double[] dbias, double[] dout, double[] inp,
                                      int N, int C, int OC) {
        for (int o = 0; o < OC; o++) {
            for (int c = 0; c < C; c++) {
                double s = 0;
                for (int n = 0; n < N; n++) s += dout[n * OC + o] * inp[n * C + c];
                dweight[o * C + c] += s;
            }
            if (dbias != null) {
                double s = 0;
                for (int n = 0; n < N; n++) s += dout[n * OC + o];
                dbias[o] += s;
            }
        }
    }
}
