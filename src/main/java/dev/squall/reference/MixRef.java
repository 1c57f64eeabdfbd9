package dev.squall.reference;

/** Double-precision two-input mix out = alpha*a + beta*b (SPEC §6.6 shared-expert mixing): the checked-against loops. */
public final class MixRef {
    private MixRef() {}

    public static void forward(double[] out, double[] a, double[] b, double alpha, double beta, int n) {
        for (int i = 0; i < n; i++) out[i] = alpha * a[i] + beta * b[i];
    }

    /** Writes da = alpha * dout and db = beta * dout; either may be null. */
    public static void backward(double[] da, double[] db, double[] dout, double alpha, double beta, int n) {
        for (int i = 0; i < n; i++) {
            if (da != null) da[i] = alpha * dout[i];
            if (db != null) db[i] = beta * dout[i];
        }
    }
}
