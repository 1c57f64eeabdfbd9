package dev.squall.reference;

/**
 * Double-precision causal multi-head attention with GQA, SPEC §8.1-8.2: the dense version (the full
 * T x T score matrix per head) that the tiled kernel is checked against.
 *
 * <pre>
 *   q, out, dq, dout   (B, T, H * hd)       k, v, dk, dv   (B, T, Hkv * hd)       lse   (B, H, T)
 *   query head h reads kv head h / (H / Hkv)
 * </pre>
 */
public final class AttentionRef {
    private AttentionRef() {}

    /** out = softmax(scale * Q K^T + M) V per head, M_ij = -inf for j > i; lse = log sum_j exp(scale * s_ij). */
    public static void forward(double[] out, double[] lse, double[] q, double[] k, double[] v,
                               int B, int T, int H, int Hkv, int hd, double scale) {
        double[] p = new double[T * T];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                int g = h / (H / Hkv);
                probabilities(p, q, k, b, h, g, T, H, Hkv, hd, scale, lse);
                for (int i = 0; i < T; i++) {
                    for (int d = 0; d < hd; d++) {
                        double o = 0;
                        for (int j = 0; j < T; j++) o += p[i * T + j] * v[kvAt(b, j, g, d, T, Hkv, hd)];
                        out[qAt(b, i, h, d, T, H, hd)] = o;
                    }
                }
            }
        }
    }

    /**
     * SPEC §8.2: dV = P^T dO, dP = dO V^T, D = rowsum(dO * O), dS = P * (dP - D), dQ = scale dS K,
     * dK = scale dS^T Q, with P rebuilt from q, k and the saved lse. Writes dq, dk, dv; dk and dv sum
     * over the query heads that share a kv head.
     */
    public static void backward(double[] dq, double[] dk, double[] dv, double[] dout, double[] q, double[] k,
                                double[] v, double[] out, double[] lse, int B, int T, int H, int Hkv, int hd,
                                double scale) {
        java.util.Arrays.fill(dq, 0, B * T * H * hd, 0);
        java.util.Arrays.fill(dk, 0, B * T * Hkv * hd, 0);
        java.util.Arrays.fill(dv, 0, B * T * Hkv * hd, 0);
        double[] s = new double[T * T];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                int g = h / (H / Hkv);
                for (int i = 0; i < T; i++) {
                    for (int j = 0; j < T; j++) s[i * T + j] = j > i ? Double.NEGATIVE_INFINITY : scale * dot(q, k, b, i, j, h, g, T, H, Hkv, hd);
                }
                for (int i = 0; i < T; i++) {
                    double l = lse[(b * H + h) * T + i];
                    double D = 0;
                    for (int d = 0; d < hd; d++) D += dout[qAt(b, i, h, d, T, H, hd)] * out[qAt(b, i, h, d, T, H, hd)];
                    for (int j = 0; j <= i; j++) {
                        double p = Math.exp(s[i * T + j] - l);
                        double dp = 0;
                        for (int d = 0; d < hd; d++) dp += dout[qAt(b, i, h, d, T, H, hd)] * v[kvAt(b, j, g, d, T, Hkv, hd)];
                        double ds = p * (dp - D);
                        for (int d = 0; d < hd; d++) {
                            dv[kvAt(b, j, g, d, T, Hkv, hd)] += p * dout[qAt(b, i, h, d, T, H, hd)];
                            dq[qAt(b, i, h, d, T, H, hd)] += scale * ds * k[kvAt(b, j, g, d, T, Hkv, hd)];
                            dk[kvAt(b, j, g, d, T, Hkv, hd)] += scale * ds * q[qAt(b, i, h, d, T, H, hd)];
                        }
                    }
                }
            }
        }
    }

    /** Row-softmax of the masked, scaled scores of head h into p (T x T), and each row's logsumexp. */
    private static void probabilities(double[] p, double[] q, double[] k, int b, int h, int g, int T, int H, int Hkv,
                                      int hd, double scale, double[] lse) {
        for (int i = 0; i < T; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                p[i * T + j] = scale * dot(q, k, b, i, j, h, g, T, H, Hkv, hd);
                max = Math.max(max, p[i * T + j]);
            }
            double sum = 0;
            for (int j = 0; j < T; j++) {
                p[i * T + j] = j > i ? 0 : Math.exp(p[i * T + j] - max);
                sum += p[i * T + j];
            }
            for (int j = 0; j < T; j++) p[i * T + j] /= sum;
            lse[(b * H + h) * T + i] = max + Math.log(sum);
        }
    }

    private static double dot(double[] q, double[] k, int b, int i, int j, int h, int g, int T, int H, int Hkv, int hd) {
        double s = 0;
        for (int d = 0; d < hd; d++) s += q[qAt(b, i, h, d, T, H, hd)] * k[kvAt(b, j, g, d, T, Hkv, hd)];
        return s;
    }

    private static int qAt(int b, int t, int h, int d, int T, int H, int hd) {
        return ((b * T + t) * H + h) * hd + d;
    }

    private static int kvAt(int b, int t, int g, int d, int T, int Hkv, int hd) {
        return ((b * T + t) * Hkv + g) * hd + d;
    }
}
