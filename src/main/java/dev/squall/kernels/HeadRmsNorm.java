package dev.squall.kernels;

/**
 * Per-head RMSNorm for QK-Norm and QKV-Norm, SPEC §5.1 (math of §1.1-1.2 over head_dim).
 *
 * <pre>
 * Shapes:
 *   N        rows (tokens: batch * sequence)
 *   nHeads   heads per token
 *   hd       head_dim: features normalized together
 *   inp, out, dout, dinp   (N, nHeads * hd)   head h of token n is inp[(n * nHeads + h) * hd ..][hd]
 *   weight (gain), dweight (hd)               one gain shared by every head, no bias
 *   rstd                   (N * nHeads)       saved by forward: (mean over hd of x^2 + eps)^(-1/2)
 * </pre>
 *
 * <p>Each head of each token is normalized on its own, and the gain is the same for all heads, so
 * the (N, nHeads * hd) tensor is exactly an RMSNorm over N * nHeads rows of width hd: this class
 * names that view and delegates to {@link RmsNorm}, whose dgamma sum over all rows is the sum over
 * tokens and heads that §5.1's shared gain needs.
 */
public final class HeadRmsNorm {
    private HeadRmsNorm() {}

    /** y = gain * x * rstd per head; rstd = (mean over the head's hd features of x^2 + eps)^(-1/2). */
    public static void forward(float[] out, float[] rstd, float[] inp, float[] weight, int N, int nHeads, int hd, float eps) {
        RmsNorm.forward(out, rstd, inp, weight, N * nHeads, hd, eps);
    }

    /** Writes dinp; adds into dweight the sum over every token and every head of dout * xhat. */
    public static void backward(float[] dinp, float[] dweight, float[] dout, float[] inp, float[] weight,
                                float[] rstd, int N, int nHeads, int hd) {
        RmsNorm.backward(dinp, dweight, dout, inp, weight, rstd, N * nHeads, hd);
    }
}
