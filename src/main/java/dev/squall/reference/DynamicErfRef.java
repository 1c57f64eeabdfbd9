package dev.squall.reference;

/**
 * Double-precision Derf, y = gamma * erf(alpha * x + s) + beta, SPEC §3.1-3.2. alpha and the shift s
 * are learnable scalars.
 */
public final class DynamicErfRef {
    private DynamicErfRef() {}

    /** bias may be null (no beta). */
    public static void forward(double[] out, double[] inp, double[] alpha, double[] shift, double[] weight,
                               double[] bias, int N, int C) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < C; j++) {
                double e = ErfRef.erf(alpha[0] * inp[n * C + j] + shift[0]);
                out[n * C + j] = weight[j] * e + (bias == null ? 0 : bias[j]);
            }
        }
    }

    /** Writes dinp; adds into dalpha, dshift, dweight and dbias (dbias may be null). */
    public static void backward(double[] dinp, double[] dalpha, double[] dshift, double[] dweight, double[] dbias,
                                double[] dout, double[] inp, double[] alpha, double[] shift, double[] weight,
                                int N, int C) {
        for (int n = 0; n < N; n++) {
            for (int j = 0; j < C; j++) {
                double x = inp[n * C + j], g = dout[n * C + j];
                double u = alpha[0] * x + shift[0];
                double phi = ErfRef.TWO_OVER_SQRT_PI * Math.exp(-u * u);
                double gwPhi = g * weight[j] * phi;
                dinp[n * C + j] = gwPhi * alpha[0];
                dalpha[0] += gwPhi * x;
                dshift[0] += gwPhi;
                dweight[j] += g * ErfRef.erf(u);
                if (dbias != null) dbias[j] += g;
            }
        }
    }
}
