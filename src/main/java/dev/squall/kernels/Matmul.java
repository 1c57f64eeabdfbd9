package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The linear layer's three matrix products (PyTorch {@code Linear} layout): the projections of
 * attention (SPEC §8) and of the SwiGLU FFN and experts (SPEC §7.4), and the LM head.
 *
 * <pre>
 * Shapes:
 *   N    rows (tokens: batch * sequence)
 *   C    input features
 *   OC   output features
 *   inp, dinp         (N, C)
 *   weight, dweight   (OC, C)   row o is output feature o's weights
 *   bias, dbias       (OC)      may be null
 *   out, dout         (N, OC)
 * </pre>
 *
 * <p>All three are one blocked product C = A·B computed by the same micro-kernel: a tile of MR rows by
 * NR columns (8 x 32 floats: 16 AVX-512 accumulators) is summed over k with fused multiply-adds, A
 * broadcast one element per row, B loaded as whole vectors. Each product first copies ("packs") its
 * operands into k-interleaved panels, so the micro-kernel reads both as unit-stride streams whatever
 * the source layout (W, Wᵀ, doutᵀ) and never has a remainder case in its inner loop; ragged edges are
 * zero-padded in the panels and masked only when the tile is stored.
 *
 * <p>Determinism: each output element is owned by one tile task, and its sum over k runs in KC-long
 * blocks in increasing k, both fixed by the sizes alone. Thread count and scheduling cannot change a
 * bit. The packing buffers are shared grow-only scratch, so the entry points are synchronized.
 */
public final class Matmul {
    private Matmul() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows of the micro-tile: 8 rows x 2 vectors = 16 accumulators, half the AVX-512 registers. */
    static final int MR = 8;
    /** Columns of the micro-tile: two vectors. */
    static final int NR = 2 * L;
    /** k-block: a KC x NR panel of B stays in L1 while the tile's row panels stream past it. */
    static final int KC = 256;
    /** Tile rows and columns one task owns; the A block (MC x KC) and B block (KC x NC) sit in L2. */
    static final int MC = 64;
    static final int NC = 256;

    private static final int ZERO = 0, LOAD = 1, BIAS = 2;

    private static float[] packedA = new float[0];
    private static float[] packedB = new float[0];

    /** out = inp·weightᵀ (+ bias). Written. */
    public static synchronized void forward(float[] out, float[] inp, float[] weight, float[] bias,
                                            int N, int C, int OC) {
        float[] a = scratchA(N, C), b = scratchB(OC, C);
        packRowPanels(a, inp, N, C, MR);
        packRowPanels(b, weight, OC, C, NR);
        product(out, a, b, bias, false, N, OC, C);
    }

    /** dinp = dout·weight. Written. */
    public static synchronized void backwardInput(float[] dinp, float[] dout, float[] weight, int N, int C, int OC) {
        float[] a = scratchA(N, OC), b = scratchB(C, OC);
        packRowPanels(a, dout, N, OC, MR);
        packColumnPanels(b, weight, OC, C, NR);
        product(dinp, a, b, null, false, N, C, OC);
    }

    /** dweight += doutᵀ·inp, dbias += column sums of dout (dbias may be null). Accumulated. */
    public static synchronized void backwardWeight(float[] dweight, float[] dbias, float[] dout, float[] inp,
                                                   int N, int C, int OC) {
        float[] a = scratchA(OC, N), b = scratchB(C, N);
        packColumnPanels(a, dout, N, OC, MR);
        packColumnPanels(b, inp, N, C, NR);
        product(dweight, a, b, null, true, OC, C, N);
        if (dbias != null) columnSums(dbias, dout, N, OC);
    }

    private static float[] scratchA(int rows, int K) {
        int need = panels(rows, MR) * MR * K;
        if (packedA.length < need) packedA = new float[need];
        return packedA;
    }

    private static float[] scratchB(int cols, int K) {
        int need = panels(cols, NR) * NR * K;
        if (packedB.length < need) packedB = new float[need];
        return packedB;
    }

    private static int panels(int n, int w) {
        return (n + w - 1) / w;
    }

    /**
     * Packs src (rows x K, row-major), taken as rows of the product: panel p holds rows p*w .. p*w+w-1
     * interleaved by k, dst[(p*K + k)*w + r] = src[(p*w + r)*K + k], rows past the end zero.
     */
    static void packRowPanels(float[] dst, float[] src, int rows, int K, int w) {
        Parallel.forRange(panels(rows, w), 4, (lo, hi) -> {
            for (int p = lo; p < hi; p++) {
                int base = p * K * w;
                for (int r = 0; r < w; r++) {
                    int row = p * w + r;
                    if (row < rows) {
                        int s = row * K;
                        for (int k = 0; k < K; k++) dst[base + k * w + r] = src[s + k];
                    } else {
                        for (int k = 0; k < K; k++) dst[base + k * w + r] = 0f;
                    }
                }
            }
        });
    }

    /**
     * Packs src (K x cols, row-major), taken as columns of the product: panel p holds columns
     * p*w .. p*w+w-1 of every row k, dst[(p*K + k)*w + c] = src[k*cols + p*w + c], columns past the end zero.
     */
    static void packColumnPanels(float[] dst, float[] src, int K, int cols, int w) {
        Parallel.forRange(panels(cols, w), 4, (lo, hi) -> {
            for (int p = lo; p < hi; p++) {
                int c0 = p * w, base = p * K * w;
                int valid = Math.min(w, cols - c0);
                for (int k = 0; k < K; k++) {
                    int d = base + k * w, s = k * cols + c0;
                    for (int c = 0; c < w; c += L) {
                        FloatVector.fromArray(S, src, s + c, S.indexInRange(c, valid))
                                .intoArray(dst, d + c, S.indexInRange(c, w));
                    }
                }
            }
        });
    }

    /**
     * c (M x Nc) = [c +] A·B (+ bias per column) from packed panels, K the shared dimension. Tasks own
     * MC x NC tiles of c; within a tile the k-blocks run in order, so each element's sum order is fixed.
     */
    static void product(float[] c, float[] pa, float[] pb, float[] bias, boolean accumulate, int M, int Nc, int K) {
        int mTiles = panels(M, MC), nTiles = panels(Nc, NC);
        Parallel.forRange(mTiles * nTiles, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int i0 = (t / nTiles) * MC, j0 = (t % nTiles) * NC;
                int iEnd = Math.min(M, i0 + MC), jEnd = Math.min(Nc, j0 + NC);
                int p0 = 0;
                do {
                    int kc = Math.min(KC, K - p0);
                    int init = p0 > 0 || accumulate ? LOAD : bias != null ? BIAS : ZERO;
                    for (int j = j0; j < jEnd; j += NR) {
                        int bOff = ((j / NR) * K + p0) * NR;
                        for (int i = i0; i < iEnd; i += MR) {
                            int aOff = ((i / MR) * K + p0) * MR;
                            microTile(pa, aOff, pb, bOff, kc, c, i * Nc + j, Nc,
                                    Math.min(MR, M - i), Math.min(NR, Nc - j), init, bias, j);
                        }
                    }
                    p0 += KC;
                } while (p0 < K);
            }
        });
    }

    /**
     * One MR x NR tile: acc = init + sum_{k < kc} a[k, r] * b[k, :] with a, b packed panels, stored to
     * the first {@code rows} rows and {@code cols} columns of c at cOff (row stride ldc).
     */
    private static void microTile(float[] pa, int aOff, float[] pb, int bOff, int kc,
                                  float[] c, int cOff, int ldc, int rows, int cols,
                                  int init, float[] bias, int biasOff) {
        VectorMask<Float> m0 = S.indexInRange(0, cols), m1 = S.indexInRange(L, cols);
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (init == LOAD) {
            c00 = row(c, cOff, 0, rows, ldc, 0, m0); c01 = row(c, cOff, 0, rows, ldc, L, m1);
            c10 = row(c, cOff, 1, rows, ldc, 0, m0); c11 = row(c, cOff, 1, rows, ldc, L, m1);
            c20 = row(c, cOff, 2, rows, ldc, 0, m0); c21 = row(c, cOff, 2, rows, ldc, L, m1);
            c30 = row(c, cOff, 3, rows, ldc, 0, m0); c31 = row(c, cOff, 3, rows, ldc, L, m1);
            c40 = row(c, cOff, 4, rows, ldc, 0, m0); c41 = row(c, cOff, 4, rows, ldc, L, m1);
            c50 = row(c, cOff, 5, rows, ldc, 0, m0); c51 = row(c, cOff, 5, rows, ldc, L, m1);
            c60 = row(c, cOff, 6, rows, ldc, 0, m0); c61 = row(c, cOff, 6, rows, ldc, L, m1);
            c70 = row(c, cOff, 7, rows, ldc, 0, m0); c71 = row(c, cOff, 7, rows, ldc, L, m1);
        } else {
            FloatVector z0 = FloatVector.zero(S), z1 = z0;
            if (init == BIAS) {
                z0 = FloatVector.fromArray(S, bias, biasOff, m0);
                z1 = FloatVector.fromArray(S, bias, biasOff + L, m1);
            }
            c00 = z0; c10 = z0; c20 = z0; c30 = z0; c40 = z0; c50 = z0; c60 = z0; c70 = z0;
            c01 = z1; c11 = z1; c21 = z1; c31 = z1; c41 = z1; c51 = z1; c61 = z1; c71 = z1;
        }
        for (int k = 0; k < kc; k++) {
            int a = aOff + k * MR, b = bOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, pb, b), b1 = FloatVector.fromArray(S, pb, b + L);
            FloatVector x;
            x = FloatVector.broadcast(S, pa[a]);     c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, pa[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, pa[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, pa[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, pa[a + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, pa[a + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, pa[a + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, pa[a + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, cOff, m0); c01.intoArray(c, cOff + L, m1);
        if (rows > 1) { c10.intoArray(c, cOff + ldc, m0); c11.intoArray(c, cOff + ldc + L, m1); }
        if (rows > 2) { c20.intoArray(c, cOff + 2 * ldc, m0); c21.intoArray(c, cOff + 2 * ldc + L, m1); }
        if (rows > 3) { c30.intoArray(c, cOff + 3 * ldc, m0); c31.intoArray(c, cOff + 3 * ldc + L, m1); }
        if (rows > 4) { c40.intoArray(c, cOff + 4 * ldc, m0); c41.intoArray(c, cOff + 4 * ldc + L, m1); }
        if (rows > 5) { c50.intoArray(c, cOff + 5 * ldc, m0); c51.intoArray(c, cOff + 5 * ldc + L, m1); }
        if (rows > 6) { c60.intoArray(c, cOff + 6 * ldc, m0); c61.intoArray(c, cOff + 6 * ldc + L, m1); }
        if (rows > 7) { c70.intoArray(c, cOff + 7 * ldc, m0); c71.intoArray(c, cOff + 7 * ldc + L, m1); }
    }

    /** Row r of a tile being accumulated into, or zeros for rows past the end of c. */
    private static FloatVector row(float[] c, int cOff, int r, int rows, int ldc, int lane, VectorMask<Float> m) {
        return r < rows ? FloatVector.fromArray(S, c, cOff + r * ldc + lane, m) : FloatVector.zero(S);
    }

    /** dbias[o] += sum_n dout[n, o]: each column's sum runs over n in order, one task per column strip. */
    static void columnSums(float[] dbias, float[] dout, int N, int OC) {
        int strip = 4 * L;
        Parallel.forRange(panels(OC, strip), 1, (lo, hi) -> {
            for (int p = lo; p < hi; p++) {
                for (int o = p * strip; o < Math.min(OC, (p + 1) * strip); o += L) {
                    VectorMask<Float> m = S.indexInRange(o, OC);
                    FloatVector acc = FloatVector.zero(S);
                    for (int n = 0; n < N; n++) acc = acc.add(FloatVector.fromArray(S, dout, n * OC + o, m));
                    acc.add(FloatVector.fromArray(S, dbias, o, m)).intoArray(dbias, o, m);
                }
            }
        });
    }
}
