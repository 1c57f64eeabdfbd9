package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

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
 * exp runs 16 lanes at a time (Vector API): with a scalar exp this kernel is bound by the exp,
 * not by memory.
 */
public final class SwiGlu {
    private SwiGlu() {}

    /** Rows per chunk: at Hf = 1024 a chunk is a few tens of KiB of gu, enough to hide task overhead. */
    private static final int GRAIN = 16;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** out = silu(gate) * up, gate = gu[n, 0..Hf), up = gu[n, Hf..2Hf). */
    public static void forward(float[] out, float[] gu, int N, int Hf) {
        Parallel.forRange(N, GRAIN, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int g = n * 2 * Hf, o = n * Hf;
                int j = 0;
                for (; j < S.loopBound(Hf); j += S.length()) {
                    FloatVector h = FloatVector.fromArray(S, gu, g + j);
                    h.mul(sigmoid(h)).mul(FloatVector.fromArray(S, gu, g + Hf + j)).intoArray(out, o + j);
                }
                for (; j < Hf; j++) {
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
                int j = 0;
                for (; j < S.loopBound(Hf); j += S.length()) {
                    FloatVector h = FloatVector.fromArray(S, gu, g + j), u = FloatVector.fromArray(S, gu, g + Hf + j);
                    FloatVector d = FloatVector.fromArray(S, dout, o + j);
                    FloatVector s = sigmoid(h);
                    FloatVector dh = s.neg().add(1f).mul(h).add(1f).mul(s).mul(u).mul(d);
                    dh.intoArray(dgu, g + j);
                    d.mul(h).mul(s).intoArray(dgu, g + Hf + j);
                }
                for (; j < Hf; j++) {
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
        float e = LaneMath.exp(-Math.abs(h));
        return h >= 0f ? 1f / (1f + e) : e / (1f + e);
    }

    /** The same sigmoid, lane by lane. */
    private static FloatVector sigmoid(FloatVector h) {
        FloatVector e = LaneMath.exp(h.abs().neg());
        VectorMask<Float> nonNegative = h.compare(VectorOperators.GE, 0f);
        return e.blend(1f, nonNegative).div(e.add(1f));
    }
}
