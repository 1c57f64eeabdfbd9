package dev.squall.tornado.kernels;

import dev.squall.kernels.AdamW;
import dev.squall.program.Hyper;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The small tasks of a step program on a TornadoVM device: {@code Task.Copy}, {@code Task.Zero},
 * {@code Task.ClipScale} (global-norm clipping, SPEC §6.1's grad clip) and {@code Task.CacheWrite}
 * (appending one token's keys or values to a KV cache while generating).
 *
 * <pre>
 * Shapes:
 *   dst, src     (n)
 *   hyper        (Hyper.SIZE)    gradSq (>= 1): the summed squared gradient norm at index 0
 *   cache        (maxT, width)         row (width); position (1): the cache row to write
 * Launch:
 *   copy, zero   global n (ids >= n do nothing)
 *   clipScale    global 1   (one task per optimizer hyper array)
 *   cacheWrite   global width
 * </pre>
 *
 * <p>The position is read from a device array, never a scalar argument (scalars are constants of
 * the compiled kernel). maxNorm is a constant of the run, so it may be one. No task takes the same
 * array twice (TornadoVM's graph compiler hangs on that).
 *
 * <p>clipScale and cacheWrite write part of an array, so they read what they overwrite and write only
 * where the value changes (bit for bit: -0 and NaN included): TornadoVM gives a kernel argument it
 * deduces write-only no host-to-device copy, and copying that buffer back would overwrite the
 * learning rate and the other hyperparameters (or the rest of the cache) with zeros or stale data.
 */
public final class UtilKernels {
    private UtilKernels() {}

    /** Index of the gradient scale in an AdamW hyper array. */
    public static final int GRAD_SCALE = Hyper.GRAD_SCALE;

    /** dst[i] = src[i], i < n. */
    public static void copy(KernelContext ctx, FloatArray dst, FloatArray src, int n) {
        int i = ctx.globalIdx;
        if (i < n) dst.set(i, src.get(i));
    }

    /** dst[i] = 0, i < n. */
    public static void zero(KernelContext ctx, FloatArray dst, int n) {
        int i = ctx.globalIdx;
        if (i < n) dst.set(i, 0f);
    }

    /**
     * hyper[GRAD_SCALE] = maxNorm / norm when maxNorm > 0 and norm = sqrt(gradSq[0]) exceeds it, else 1
     * (as the JVM backend runs {@code Task.ClipScale}).
     */
    public static void clipScale(KernelContext ctx, FloatArray hyper, FloatArray gradSq, float maxNorm) {
        if (ctx.globalIdx == 0) {
            float norm = TornadoMath.sqrt(gradSq.get(0));
            // maxNorm is a constant of the compiled kernel: a test of it alone folds to a constant
            // condition, which TornadoVM's code generator rejects (LogicConstantNode) when maxNorm = 0.
            // Clipping off is a limit no norm exceeds (not even NaN or infinity): the same results.
            float limit = maxNorm > 0f ? maxNorm : Float.POSITIVE_INFINITY;
            float scale = norm > limit ? maxNorm / norm : 1f;
            // Written only where it changes: the read makes hyper read-write (see the class comment).
            float old = hyper.get(GRAD_SCALE);
            if (old != scale || 1f / old != 1f / scale) hyper.set(GRAD_SCALE, scale);
        }
    }

    /** cache[position[0] * width + i] = row[i], i < width. */
    public static void cacheWrite(KernelContext ctx, FloatArray cache, FloatArray row, IntArray position, int width) {
        int i = ctx.globalIdx;
        if (i < width) {
            int at = position.get(0) * width + i;
            float v = row.get(i);
            float old = cache.get(at);
            if (old != v || 1f / old != 1f / v) cache.set(at, v); // read-write: see the class comment
        }
    }
}
