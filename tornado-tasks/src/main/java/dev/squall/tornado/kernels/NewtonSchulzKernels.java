package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Newton–Schulz orthogonalization NS5 (SPEC §6.3) on a TornadoVM device: the same math as
 * {@code dev.squall.kernels.NewtonSchulz} and {@code dev.squall.reference.NewtonSchulzRef}, as a
 * sequence of tasks per (rows, cols) slice of a stack.
 *
 * <pre>
 * Shapes:
 *   slices, rows, cols   r = min(rows, cols), c = max(rows, cols), size = rows * cols, tall = rows > cols ? 1 : 0
 *   out, g               (slices, rows, cols)      slice s starts at base = s * size
 *   x, next              (r, c)  (>= size floats)  the iterate, ping-ponged between the two
 *   gram, poly           (r, r)                    A = X·Xᵀ, then B = b·A + c·A²
 *   partials             (SphereKernels.blocks(size))   scale (1): 1 / (||G_s||_F + 1e-7)
 * Launch, per slice, in order:
 *   SphereKernels.sumSquaresPartials   global blocks(size)
 *   inverseNorm                        global 1
 *   load                               global size
 *   5 times:  gram global r*r;  gramPolynomial global r*r;  iterate global r*c
 *   store                              global size
 * </pre>
 *
 * <pre>
 *   X = G / (||G||_F + 1e-7), transposed first when tall
 *   5 times, with that step's (a, b, c):
 *     A = X·Xᵀ;  B = b·A + c·A²;  X = a·X + B·X
 *   out = X (transposed back)
 * </pre>
 *
 * <p>Every product has one work-item per output element summing in increasing index order, so runs
 * repeat to the bit. A = X·Xᵀ is symmetric to the bit (both halves multiply the same pairs in the
 * same order), so A² reads A's rows only, as the JVM kernel does. The iterate update reads X and
 * writes the other buffer (a task never gets one array twice, and no work-item may overwrite an X
 * another still reads), so after the 5 steps X sits in {@code next}. The step coefficients and the
 * transpose flag are constants of each compiled task; the transpose is index arithmetic, not a
 * branch on a constant (a constant condition can fail TornadoVM's code generator). {@code store}
 * writes one slice of out, so it reads each element it overwrites (TornadoVM copies nothing in for
 * an argument it deduces write-only).
 */
public final class NewtonSchulzKernels {
    private NewtonSchulzKernels() {}

    /** Per-step (a, b, c), SPEC §6.3: the values of {@code NewtonSchulz} and {@code NewtonSchulzRef}. */
    public static final float[][] COEFFICIENTS = {
            {4.0848f, -6.8946f, 2.9270f},
            {3.9505f, -6.3029f, 2.6377f},
            {3.7418f, -5.5913f, 2.3037f},
            {2.8769f, -3.1427f, 1.2046f},
            {2.8366f, -3.0525f, 1.2012f}};

    /** scale[0] = 1 / (sqrt(sum_k partials[k]) + 1e-7), blocks in order. */
    public static void inverseNorm(KernelContext ctx, FloatArray scale, FloatArray partials, int blocks) {
        if (ctx.globalIdx == 0) {
            float s = 0f;
            for (int k = 0; k < blocks; k++) s += partials.get(k);
            scale.set(0, 1f / (TornadoMath.sqrt(s) + 1e-7f));
        }
    }

    /** x = g[base ..] * scale[0], element (i, j) at (j, i) of the (cols, rows) iterate when tall = 1. */
    public static void load(KernelContext ctx, FloatArray x, FloatArray g, FloatArray scale, int base, int rows,
                            int cols, int tall) {
        int id = ctx.globalIdx;
        int i = id / cols;
        int j = id - i * cols;
        int at = tall * (j * rows + i) + (1 - tall) * id;
        x.set(at, g.get(base + id) * scale.get(0));
    }

    /** gram[i, k] = sum_j x[i, j] x[k, j] over the (r, c) iterate. */
    public static void gram(KernelContext ctx, FloatArray gram, FloatArray x, int r, int c) {
        int id = ctx.globalIdx;
        int i = id / r;
        int k = id - i * r;
        float s = 0f;
        for (int j = 0; j < c; j++) s += x.get(i * c + j) * x.get(k * c + j);
        gram.set(id, s);
    }

    /** poly[i, k] = b gram[i, k] + cc (gram²)[i, k], the square read along rows (gram is symmetric). */
    public static void gramPolynomial(KernelContext ctx, FloatArray poly, FloatArray gram, int r, float b, float cc) {
        int id = ctx.globalIdx;
        int i = id / r;
        int k = id - i * r;
        float s = 0f;
        for (int j = 0; j < r; j++) s += gram.get(i * r + j) * gram.get(k * r + j);
        poly.set(id, b * gram.get(id) + cc * s);
    }

    /** xNext[i, j] = a x[i, j] + sum_k poly[i, k] x[k, j]. */
    public static void iterate(KernelContext ctx, FloatArray xNext, FloatArray poly, FloatArray x, int r, int c,
                               float a) {
        int id = ctx.globalIdx;
        int i = id / c;
        int j = id - i * c;
        float s = 0f;
        for (int k = 0; k < r; k++) s += poly.get(i * r + k) * x.get(k * c + j);
        xNext.set(id, a * x.get(id) + s);
    }

    /** out[base + (i, j)] = x at (i, j), or at (j, i) when tall = 1 (read first: see the class comment). */
    public static void store(KernelContext ctx, FloatArray out, FloatArray x, int base, int rows, int cols, int tall) {
        int id = ctx.globalIdx;
        int i = id / cols;
        int j = id - i * cols;
        float v = x.get(tall * (j * rows + i) + (1 - tall) * id);
        float old = out.get(base + id);
        if (old != v || 1f / old != 1f / v) out.set(base + id, v);
    }
}
