package dev.squall.reference;

/**
 * Double-precision grouped linear layer, SPEC §7.4 inside the MoE sublayer (§6.6, §7.1): row r goes
 * through the weight of the expert that owns it. The plain loops the fast kernel is checked against;
 * shapes as in {@code dev.squall.kernels.GroupedMatmul}.
 */
public final class GroupedMatmulRef {
    private GroupedMatmulRef() {}

    /** out[r,o] = sum_c inp[r,c] * weight[e,o,c], e the expert owning row r. */
    public static void forward(double[] out, double[] inp, double[] weight, int[] offsets, int R, int C, int OC, int E) {
        for (int e = 0; e < E; e++) {
            for (int r = offsets[e]; r < offsets[e + 1]; r++) {
                for (int o = 0; o < OC; o++) {
                    double s = 0;
                    for (int c = 0; c < C; c++) s += inp[r * C + c] * weight[(e * OC + o) * C + c];
                    out[r * OC + o] = s;
                }
            }
        }
    }

    /** Writes dinp[r,c] = sum_o dout[r,o] * weight[e,o,c]. */
    public static void backwardInput(double[] dinp, double[] dout, double[] weight, int[] offsets,
                                     int R, int C, int OC, int E) {
        for (int e = 0; e < E; e++) {
            for (int r = offsets[e]; r < offsets[e + 1]; r++) {
                for (int c = 0; c < C; c++) {
                    double s = 0;
                    for (int o = 0; o < OC; o++) s += dout[r * OC + o] * weight[(e * OC + o) * C + c];
                    dinp[r * C + c] = s;
                }
            }
        }
    }

    /** Adds dweight[e,o,c] += sum over rows r of expert e of dout[r,o] * inp[r,c]. */
    public static void backwardWeight(double[] dweight, double[] dout, double[] inp, int[] offsets,
                                      int R, int C, int OC, int E) {
        for (int e = 0; e < E; e++) {
            for (int o = 0; o < OC; o++) {
                for (int c = 0; c < C; c++) {
                    double s = 0;
                    for (int r = offsets[e]; r < offsets[e + 1]; r++) s += dout[r * OC + o] * inp[r * C + c];
                    dweight[(e * OC + o) * C + c] += s;
                }
            }
        }
    }
}
