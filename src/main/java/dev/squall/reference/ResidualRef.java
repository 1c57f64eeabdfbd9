package dev.squall.reference;

/** Double-precision residual adds: out = a + b and out = a + scale * b, with gradients. */
public final class ResidualRef {
    private ResidualRef() {}

    public static void forward(double[] out, double[] a, double[] b, int n) {
        for (int i = 0; i < n; i++) out[i] = a[i] + b[i];
    }

    public static void accumulate(double[] dst, double[] src, int n) {
        for (int i = 0; i < n; i++) dst[i] += src[i];
    }

    public static void scaledAdd(double[] out, double[] a, double[] b, double[] scale, int n) {
        for (int i = 0; i < n; i++) out[i] = a[i] + scale[0] * b[i];
    }

    /** Writes da, db; adds into dscale. */
    public static void scaledAddBackward(double[] da, double[] db, double[] dscale, double[] dout, double[] b,
                                         double[] scale, int n) {
        for (int i = 0; i < n; i++) {
            da[i] = dout[i];
            db[i] = scale[0] * dout[i];
            dscale[0] += dout[i] * b[i];
        }
    }
}
