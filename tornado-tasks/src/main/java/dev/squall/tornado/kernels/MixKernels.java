package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A fixed-weight sum of two tensors on a TornadoVM device, out = alpha*a + beta*b (SPEC §6.6, the
 * sqrtgate shared-expert mixing; the residual branch scale): the same math as
 * {@code dev.squall.kernels.Mix} and {@code dev.squall.reference.MixRef}.
 *
 * <pre>
 * Shapes:
 *   n                    elements
 *   a, b, out, dout      (n)
 *   da, db               (n)
 * Launch:
 *   forward, backward, backwardA, backwardB   global n (ids >= n do nothing)
 * </pre>
 *
 * <p>alpha and beta are fixed constants of the architecture, so they are baked into the kernel. The JVM
 * backward skips a null gradient; a device task cannot take null, so each case has its own entry point
 * ({@link #backward} both, {@link #backwardA} only da, {@link #backwardB} only db). Gradients are written.
 */
public final class MixKernels {
    private MixKernels() {}

    /** out = alpha*a + beta*b. Written. */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray a, FloatArray b, float alpha, float beta,
                               int n) {
        int i = ctx.globalIdx;
        if (i < n) out.set(i, alpha * a.get(i) + beta * b.get(i));
    }

    /** da = alpha*dout, db = beta*dout. Written. */
    public static void backward(KernelContext ctx, FloatArray da, FloatArray db, FloatArray dout, float alpha,
                                float beta, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            float g = dout.get(i);
            da.set(i, alpha * g);
            db.set(i, beta * g);
        }
    }

    /** da = alpha*dout (b needs no gradient). Written. */
    public static void backwardA(KernelContext ctx, FloatArray da, FloatArray dout, float alpha, int n) {
        int i = ctx.globalIdx;
        if (i < n) da.set(i, alpha * dout.get(i));
    }

    /** db = beta*dout (a needs no gradient). Written. */
    public static void backwardB(KernelContext ctx, FloatArray db, FloatArray dout, float beta, int n) {
        int i = ctx.globalIdx;
        if (i < n) db.set(i, beta * dout.get(i));
    }
}
