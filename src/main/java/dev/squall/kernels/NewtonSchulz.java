package dev.squall.kernels;

/**
 * Newton–Schulz orthogonalization NS5 (SPEC §6.3): Muon's and MuonH's map from a momentum matrix to
 * the nearest semi-orthogonal direction, every singular value pushed into about [0.97, 1.04].
 *
 * <pre>
 * Shapes:
 *   slices, rows, cols   a parameter of rank 3 (an expert stack, SPEC §6.1) is slices matrices of
 *                        (rows, cols), orthogonalized one by one; a matrix is slices = 1
 *   r = min(rows, cols), c = max(rows, cols)
 *   out, g               (slices, rows, cols)
 *   x, next              (r, c) = rows * cols floats     scratch: the iterate and B·X (slices = 1)
 *   gram, gramSquared    (r, r) = {@link #gramSize}       scratch: A = X·Xᵀ and A², then B (slices = 1)
 * </pre>
 *
 * <pre>
 *   X = G / (||G||_F + 1e-7), transposed first when rows > cols
 *   5 times, with that step's (a, b, c):
 *     A = X·Xᵀ;  B = b·A + c·A²;  X = a·X + B·X
 *   out = X (transposed back)
 * </pre>
 *
 * <p>Float32 throughout (ArchScale runs it in bf16; float keeps the float kernel comparable with
 * the double reference). Transposing makes the Gram matrix the small one. The three products are
 * {@link Matmul} kernels: A = X·Xᵀ is {@code gram(X)}, A² is {@code gram(A)} because A is symmetric
 * (gram mirrors its upper triangle, so A is symmetric to the bit), and B·X is
 * {@code backwardInput(B, X)}. The two Gram products compute only their upper triangles. The
 * scratch of a single matrix is passed in; a stack's slices, run side by side, use grow-only scratch
 * per thread; so a step allocates nothing. There is no autograd through it (it is an optimizer step).
 */
public final class NewtonSchulz {
    private NewtonSchulz() {}

    /** Per-step (a, b, c), SPEC §6.3 (from the Dion implementation). */
    static final float[][] COEFFICIENTS = {
            {4.0848f, -6.8946f, 2.9270f},
            {3.9505f, -6.3029f, 2.6377f},
            {3.7418f, -5.5913f, 2.3037f},
            {2.8769f, -3.1427f, 1.2046f},
            {2.8366f, -3.0525f, 1.2012f}};

    private static final int GRAIN = 1 << 14;

    /** Floats of each of {@code gram} and {@code gramSquared}. */
    public static int gramSize(int rows, int cols) {
        int r = Math.min(rows, cols);
        return r * r;
    }

    /**
     * Scratch of one slice on one pool thread, grown on demand: slices run side by side, so each
     * needs its own iterate and Gram matrices. Steady-state steps allocate nothing.
     */
    private static final class SliceScratch {
        float[] x = new float[0], next = new float[0], gram = new float[0], gramSquared = new float[0];

        SliceScratch fit(int size, int gramSize) {
            if (x.length < size) { x = new float[size]; next = new float[size]; }
            if (gram.length < gramSize) { gram = new float[gramSize]; gramSquared = new float[gramSize]; }
            return this;
        }
    }

    private static final ThreadLocal<SliceScratch> SLICE_SCRATCH = ThreadLocal.withInitial(SliceScratch::new);

    /**
     * out = NS5(g), slice by slice. Written; g is not modified. A single matrix uses the scratch
     * passed in and parallelises inside each product. A stack runs its slices side by side, each on
     * one thread with its own scratch, its products sequential: at expert sizes (a few hundred rows)
     * a product is too small to share between threads, and measured slower shared than alone.
     * Either way every slice's arithmetic is the same, so the bits are too.
     */
    public static void orthogonalize(float[] out, float[] g, float[] x, float[] gram, float[] gramSquared,
                                     float[] next, int slices, int rows, int cols) {
        int size = rows * cols;
        if (slices == 1) {
            orthogonalizeSlice(out, g, 0, x, gram, gramSquared, next, rows, cols);
            return;
        }
        Parallel.forRange(slices, 1, (lo, hi) -> {
            SliceScratch own = SLICE_SCRATCH.get().fit(size, gramSize(rows, cols));
            for (int s = lo; s < hi; s++)
                orthogonalizeSlice(out, g, s * size, own.x, own.gram, own.gramSquared, own.next, rows, cols);
        });
    }

    /** NS5 of the (rows, cols) matrix at g[base..], into out[base..]. */
    private static void orthogonalizeSlice(float[] out, float[] g, int base, float[] x, float[] gram,
                                           float[] gramSquared, float[] next, int rows, int cols) {
        boolean transpose = rows > cols;
        int r = Math.min(rows, cols), c = Math.max(rows, cols), size = rows * cols;
        // Copy in (transposed when tall), then scale by 1 / (||G||_F + 1e-7), the norm summed in double.
        double sumSq = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float v = g[base + i * cols + j];
                sumSq += (double) v * v;
                x[transpose ? j * rows + i : i * cols + j] = v;
            }
        }
        float inv = (float) (1.0 / (Math.sqrt(sumSq) + 1e-7));
        scale(x, inv, size);
        for (float[] abc : COEFFICIENTS) {
            float a = abc[0], b = abc[1], cc = abc[2];
            Matmul.gram(gram, x, r, c);
            Matmul.gram(gramSquared, gram, r, r);
            for (int i = 0; i < r * r; i++) gramSquared[i] = b * gram[i] + cc * gramSquared[i];
            Matmul.backwardInput(next, gramSquared, x, r, c, r);
            Parallel.forRange(size, GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) x[i] = a * x[i] + next[i];
            });
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) out[base + i * cols + j] = x[transpose ? j * rows + i : i * cols + j];
        }
    }

    private static void scale(float[] x, float factor, int n) {
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) x[i] *= factor;
        });
    }
}
