package dev.squall.reference;

/** Double-precision LayerNorm, SPEC §1.1-1.2: the plain loops every faster LayerNorm is checked against. */
public final class LayerNormRef {
    private LayerNormRef() {}

    /** bias may be null (no beta). Two-pass variance: the mean is subtracted before squaring. */
    public static void forward(double[] out, double[] mean, double[] rstd, double[] inp, double[] weight,
                               double[] bias, int N, int C, double eps) {
        for (int n = 0; n < N; n++) {
            double m = 0;
            for (int j = 0; j < C; j++) m += inp[n * C + j];
            m /= C;
            double var = 0;
            for (int j = 0; j < C; j++) var += (inp[n * C + j] - m) * (inp[n * C + j] - m);
            var /= C;
            double r = 1.0 / Math.sqrt(var + eps);
            mean[n] = m;
            rstd[n] = r;
            for (int j = 0; j < C; j++) {
                double xhat = (inp[n * C + j] - m) * r;
                out[n * C + j] = weight[j] * xhat + (bias == null ? 0 : bias[j]);
            }
        }
    }

    /** Writes dinp; adds into dweight and dbias (dbias may be null when there is no beta). */
    public static void backward(double[] dinp, double[] dweight, double[] dbias, double[] dout, double[] inp,
                                double[] weight, double[] mean, double[] rstd, int N, int C) {
        for (int n = 0; n < N; n++) {
            double m = mean[n], r = rstd[n];
            double meanGh = 0, meanGhXhat = 0;
            for (int j = 0; j < C; j++) {
                double gh = weight[j] * dout[n * C + j];
                meanGh += gh;
                meanGhXhat += gh * (inp[n * C + j] - m) * r;
            }
            meanGh /= C;
            meanGhXhat /= C;
            for (int j = 0; j < C; j++) {
                double xhat = (inp[n * C + j] - m) * r;
                double gh = weight[j] * dout[n * C + j];
                dinp[n * C + j] = r * (gh - meanGh - xhat * meanGhXhat);
                dweight[j] += dout[n * C + j] * xhat;
                if (dbias != null) dbias[j] += dout[n * C + j];
            }
        }
    }
}
