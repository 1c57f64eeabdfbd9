package dev.squall.kernels;

/**
 * SwiGLU activation of the FFN / expert, SPEC §7.4: the elementwise part between the fused gate/up
 * projection and the down projection (the matmuls are separate kernels).
 *
 * <pre>
 * Shapes:
 *   N    rows (tokens: batch * sequence, or the tokens routed to one expert)
 *   Hf   hidden width of the FFN
 *   gu, dgu    (N, 2*Hf)   row n = [ gate h (Hf) | up u (Hf) ]
 *   out, dout  (N, Hf)     out = silu(h) * u
 * </pre>
 *
 * <p>Chunk order follows ArchScale's {@code mlp_func}: the GATE is the FIRST half of each row of the
 * fused projection and UP the second (OLMo's {@code SwiGLU} is the other way round, SPEC §7.4), so
 * weights imported from OLMo must swap the halves of their fused matrix.
 *
 * <p>The sigmoid is evaluated from exp(-|h|), which lies in (0, 1]: it never overflows, so gates of
 * any magnitude give silu(h) -> h for h -> +inf and -> -0 for h -> -inf without inf/inf NaNs.
 */
public final class SwiGlu {
    private SwiGlu() {}

    /** Rows per chunk: at Hf = 1024 a chunk is a few tens of KiB of gu, enough to hide task overhead. */
    private static final int GRAIN = 16;

    /** out = silu(gate) * up, gate = gu[n, 0..Hf), up = gu[n, Hf..2Hf). */
    public static void forward(float[] out, float[] gu, int N, int Hf) {
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int g = n * 2 * Hf, o = n * Hf;
                for (int j = 0; j < Hf; j++) {
                    float h = gu[g + j];
                    out[o + j] = h * sigmoid(h) * gu[g + Hf + j];
                }
            }
        });
    }

    /**
     * dgate = dout * up * sig(h) * (1 + h (1 - sig(h))), dup = dout * silu(h); both halves of dgu written.
     * dgu may not alias gu: the up half is read after the gate half is written.
     */
    public static void backward(float[] dgu, float[] dout, float[] gu, int N, int Hf) {
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int g = n * 2 * Hf, o = n * Hf;
                for (int j = 0; j < Hf; j++) {
                    float h = gu[g + j], u = gu[g + Hf + j], d = dout[o + j];
                    float s = sigmoid(h);
                    dgu[g + j] = d * u * s * (1f + h * (1f - s));
                    dgu[g + Hf + j] = d * h * s;
                }
            }
        });
    }

    /** Logistic sigmoid without overflow: exp(-|h|) <= 1 whatever the sign of h. */
    static float sigmoid(float h) {
        float e = (float) Math.exp(-Math.abs(h));
        return h >= 0f ? 1f / (1f + e) : e / (1f + e);
    }
}
