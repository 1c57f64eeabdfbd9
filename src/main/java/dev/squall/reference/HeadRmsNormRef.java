package dev.squall.reference;

/**
 * Double-precision per-head RMSNorm, SPEC §5.1: RMSNorm (§1.1-1.2) over head_dim for every head of
 * every token, with one gain of size hd shared across heads. Written with explicit token and head
 * loops (not by reshaping into {@link RmsNormRef}) so that it checks the kernel's reshaping too.
 */
public final class HeadRmsNormRef {
    private HeadRmsNormRef() {}

    public static void forward(double[] out, double[] rstd, double[] inp, double[] weight, int N, int nHeads, int hd,
                               double eps) {
        int C = nHeads * hd;
        for (int n = 0; n < N; n++) {
            for (int h = 0; h < nHeads; h++) {
                int base = n * C + h * hd;
                double ms = 0;
                for (int j = 0; j < hd; j++) ms += inp[base + j] * inp[base + j];
                ms /= hd;
                double r = 1.0 / Math.sqrt(ms + eps);
                rstd[n * nHeads + h] = r;
                for (int j = 0; j < hd; j++) out[base + j] = weight[j] * inp[base + j] * r;
            }
        }
    }

    /** Writes dinp; adds into dweight (summed over tokens and heads). */
    public static void backward(double[] dinp, double[] dweight, double[] dout, double[] inp, double[] weight,
                                double[] rstd, int N, int nHeads, int hd) {
        int C = nHeads * hd;
        for (int n = 0; n < N; n++) {
            for (int h = 0; h < nHeads; h++) {
                int base = n * C + h * hd;
                double r = rstd[n * nHeads + h];
                double meanGhXhat = 0;
                for (int j = 0; j < hd; j++) meanGhXhat += weight[j] * dout[base + j] * inp[base + j] * r;
                meanGhXhat /= hd;
                for (int j = 0; j < hd; j++) {
                    double xhat = inp[base + j] * r;
                    double gh = weight[j] * dout[base + j];
                    dinp[base + j] = r * (gh - xhat * meanGhXhat);
                    dweight[j] += dout[base + j] * xhat;
                }
            }
        }
    }
}
