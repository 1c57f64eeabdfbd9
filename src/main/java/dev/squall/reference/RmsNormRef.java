package dev.squall.reference;

/** Double-precision RMSNorm, SPEC §1.1-1.2: the plain loops every faster RMSNorm is checked against. */
public final class RmsNormRef {
    private RmsNormRef() {}

    public static void forward(double[] out, double[] rstd, double[] inp, double[] weight, int N, int C, double eps) {
        for (int n = 0; n < N; n++) {
            double ms = 0;
            for (int j = 0; j < C; j++) ms += inp[n * C + j] * inp[n * C + j];
            ms /= C;
            double r = 1.0 / Math.sqrt(ms + eps);
            rstd[n] = r;
            for (int j = 0; j < C; j++) out[n * C + j] = weight[j] * inp[n * C + j] * r;
        }
    }

    /** Writes dinp; adds into dweight. */
    public static void backward(double[] dinp, double[] dweight, double[] dout, double[] inp, double[] weight,
                                double[] rstd, int N, int C) {
        for (int n = 0; n < N; n++) {
            double r = rstd[n];
            double meanGhXhat = 0;
            for (int j = 0; j < C; j++) meanGhXhat += weight[j] * dout[n * C + j] * inp[n * C + j] * r;
            meanGhXhat /= C;
            for (int j = 0; j < C; j++) {
                double xhat = inp[n * C + j] * r;
                double gh = weight[j] * dout[n * C + j];
                dinp[n * C + j] = r * (gh - xhat * meanGhXhat);
                dweight[j] += dout[n * C + j] * xhat;
            }
        }
    }
}
