package dev.squall.kernels;

/**
 * A fixed-weight sum of two tensors, out = alpha*a + beta*b: the sqrtgate MoE output
 * sqrt(1 - p)·y + sqrt(p)·S(f) (SPEC §6.6) and the residual branch scale s·FFN (MODEL.md, blocks).
 *
 * <pre>
 * Shapes:
 *   n                    elements
 *   a, b, out, dout      (n)
 *   da, db               (n)   either may be null when that input needs no gradient
 * </pre>
 *
 * <p>alpha and beta are fixed constants of the architecture, not learned, so they are plain arguments.
 * Memory-bound: plain loops, which the JIT vectorises.
 */
public final class Mix {
    private Mix() {}

    private static final int GRAIN = 1 << 14;

    /** out = alpha*a + beta*b. Written. */
    public static void forward(float[] out, float[] a, float[] b, float alpha, float beta, int n) {
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) out[i] = alpha * a[i] + beta * b[i];
        });
    }

    /** da = alpha*dout, db = beta*dout. Written; a null gradient is skipped. */
    public static void backward(float[] da, float[] db, float[] dout, float alpha, float beta, int n) {
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            if (da != null) for (int i = lo; i < hi; i++) da[i] = alpha * dout[i];
            if (db != null) for (int i = lo; i < hi; i++) db[i] = beta * dout[i];
        });
    }
}
