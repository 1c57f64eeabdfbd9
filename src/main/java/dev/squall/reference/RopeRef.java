package dev.squall.reference;

/** Double-precision rotary position embedding, SPEC §8.3 (half-split layout): the plain loops RoPE is checked against. */
public final class RopeRef {
    private RopeRef() {}

    /** cos/sin of theta(p, i) = p * base^(-2i/hd), tables of shape (T, hd/2). */
    public static void tables(double[] cos, double[] sin, int T, int hd, double base) {
        int half = hd / 2;
        for (int p = 0; p < T; p++) {
            for (int i = 0; i < half; i++) {
                double theta = p * Math.pow(base, -2.0 * i / hd);
                cos[p * half + i] = Math.cos(theta);
                sin[p * half + i] = Math.sin(theta);
            }
        }
    }

    /** out = x * cos + rotate_half(x) * sin, rotate_half([a, b]) = [-b, a]; x is (B, T, nHeads * hd). */
    public static void forward(double[] out, double[] inp, double[] cos, double[] sin, int B, int T, int nHeads, int hd) {
        int half = hd / 2;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < nHeads; h++) {
                    int base = ((b * T + t) * nHeads + h) * hd;
                    for (int i = 0; i < half; i++) {
                        double c = cos[t * half + i], s = sin[t * half + i];
                        double a = inp[base + i], bb = inp[base + half + i];
                        out[base + i] = a * c - bb * s;
                        out[base + half + i] = bb * c + a * s;
                    }
                }
            }
        }
    }

    /** The transpose of forward: rotation by -theta. Writes dinp. */
    public static void backward(double[] dinp, double[] dout, double[] cos, double[] sin, int B, int T, int nHeads, int hd) {
        int half = hd / 2;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < nHeads; h++) {
                    int base = ((b * T + t) * nHeads + h) * hd;
                    for (int i = 0; i < half; i++) {
                        double c = cos[t * half + i], s = sin[t * half + i];
                        double ga = dout[base + i], gb = dout[base + half + i];
                        dinp[base + i] = ga * c + gb * s;
                        dinp[base + half + i] = gb * c - ga * s;
                    }
                }
            }
        }
    }
}
