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
 * bit. The packing buffers are grow-only scratch of the calling thread, so concurrent calls from
 * different threads are safe.
 */
public final class Matmul {
    private Matmul() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows of the micro-tile: 8 rows x 2 vectors = 16 accumulators, half the AVX-512 registers. */
    static final int MR = 8;
    /** Columns of the micro-tile: two vectors. */
    static final int NR = 2 * L;
    /**
     * k-block: one KC x NR panel of B (32 KB) is reused by all MC / MR row panels of a tile while it is
     * hot in L1; the tile's A block (MC x KC, 64 KB) and B block (KC x NC, 256 KB) stay in the 1 MB L2.
     * Measured on this machine against 128 and 512 (and MC 32/128, NC 128/512): no better, some worse.
     */
    static final int KC = 256;
    /** Tile rows and columns one task owns: 64 tasks at 1024^2, 32 at the model's 2048 x 256. */
    static final int MC = 64;
    static final int NC = 256;

    /** Side of {@link #gram}'s square tiles: whole micro-tiles both ways (MR divides MC; NR is 2L). */
    static final int SQUARE_TILE = Math.max(MC, NR);

    /** Packing granularity: k-block of a transposing pack, column span of a straight one. */
    private static final int PACK_K = 64, PACK_COLUMNS = 64;

    /**
     * Grow-only packing scratch, one set per calling thread, so products on different threads
     * (Newton–Schulz's slices side by side) never share it; steady-state calls allocate nothing.
     */
    private static final class Scratch {
        float[] packedA = new float[0], packedB = new float[0];
        /** One zero-padded MR x NR tile per task, for output tiles cut by the edge of c. */
        float[] edgeTiles = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** out = inp·weightᵀ (+ bias). Written. */
    public static void forward(float[] out, float[] inp, float[] weight, float[] bias,
                               int N, int C, int OC) {
        float[] a = scratchA(N, C), b = scratchB(OC, C);
        packRowPanels(a, inp, N, C, MR);
        packRowPanels(b, weight, OC, C, NR);
        product(out, a, b, bias, false, N, OC, C);
    }

    /** dinp = dout·weight. Written. */
    public static void backwardInput(float[] dinp, float[] dout, float[] weight, int N, int C, int OC) {
        float[] a = scratchA(N, OC), b = scratchB(C, OC);
        packRowPanels(a, dout, N, OC, MR);
        packColumnPanels(b, weight, OC, C, NR);
        product(dinp, a, b, null, false, N, C, OC);
    }

    /** dweight += doutᵀ·inp, dbias += column sums of dout (dbias may be null). Accumulated. */
    public static void backwardWeight(float[] dweight, float[] dbias, float[] dout, float[] inp,
                                      int N, int C, int OC) {
        float[] a = scratchA(OC, N), b = scratchB(C, N);
        packColumnPanels(a, dout, N, OC, MR);
        packColumnPanels(b, inp, N, C, NR);
        product(dweight, a, b, null, true, OC, C, N);
        if (dbias != null) columnSums(dbias, dout, N, OC);
    }

    /**
     * out (N x N) = x·xᵀ for x (N x C): the Gram matrix, symmetric to the bit. Only the tiles on and
     * above the diagonal are computed (each element exactly as {@link #forward}{@code (out, x, x)}
     * computes it), then mirrored below, which halves the work of Newton–Schulz's two symmetric
     * products. Written.
     */
    public static void gram(float[] out, float[] x, int N, int C) {
        float[] a = scratchA(N, C), b = scratchB(N, C);
        packRowPanels(a, x, N, C, MR);
        packRowPanels(b, x, N, C, NR);
        upperProduct(out, a, b, N, C);
        // Mirror in 16 x 16 blocks, so the column reads of the upper triangle reuse cache lines.
        int block = 16;
        Parallel.forRange(panels(N, block), 4, (lo, hi) -> {
            for (int bi = lo; bi < hi; bi++) {
                for (int j0 = 0; j0 <= bi * block; j0 += block) {
                    for (int i = bi * block; i < Math.min(N, (bi + 1) * block); i++)
                        for (int j = j0; j < Math.min(i, j0 + block); j++) out[i * N + j] = out[j * N + i];
                }
            }
        });
    }

    private static float[] scratchA(int rows, int K) {
        Scratch s = SCRATCH.get();
        int need = panels(rows, MR) * MR * K;
        if (s.packedA.length < need) s.packedA = new float[need];
        return s.packedA;
    }

    private static float[] scratchB(int cols, int K) {
        Scratch s = SCRATCH.get();
        int need = panels(cols, NR) * NR * K;
        if (s.packedB.length < need) s.packedB = new float[need];
        return s.packedB;
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
                // k-blocks keep the panel slice being filled (PACK_K * w floats) in L1 across its w rows.
                for (int k0 = 0; k0 < K; k0 += PACK_K) {
                    int k1 = Math.min(K, k0 + PACK_K);
                    for (int r = 0; r < w; r++) {
                        int row = p * w + r;
                        if (row < rows) {
                            int s = row * K;
                            for (int k = k0; k < k1; k++) dst[base + k * w + r] = src[s + k];
                        } else {
                            for (int k = k0; k < k1; k++) dst[base + k * w + r] = 0f;
                        }
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
        // A group of panels spans whole cache lines of each source row, so narrow panels (w = MR)
        // do not re-read every line once per panel.
        int group = Math.max(1, PACK_COLUMNS / w);
        int panelCount = panels(cols, w);
        Parallel.forRange(panels(panelCount, group), 1, (lo, hi) -> {
            for (int g = lo; g < hi; g++) {
                int pEnd = Math.min(panelCount, (g + 1) * group);
                for (int k = 0; k < K; k++) {
                    for (int p = g * group; p < pEnd; p++) {
                        int c0 = p * w, valid = Math.min(w, cols - c0);
                        int d = (p * K + k) * w, s = k * cols + c0;
                        for (int c = 0; c < w; c += L) {
                            FloatVector.fromArray(S, src, s + c, S.indexInRange(c, valid))
                                    .intoArray(dst, d + c, S.indexInRange(c, w));
                        }
                    }
                }
            }
        });
    }

    /**
     * c (M x Nc) = [c +] A·B (+ bias per column) from packed panels, K the shared dimension. Tasks own
     * MC x NC tiles of c; within a tile the k-blocks run in order, so each element's sum order is fixed.
     * A written product first fills its tile with the bias (or zero), so every k-block accumulates.
     */
    static void product(float[] c, float[] pa, float[] pb, float[] bias, boolean accumulate, int M, int Nc, int K) {
        int mTiles = panels(M, MC), nTiles = panels(Nc, NC);
        float[] edges = edgeScratch(mTiles * nTiles);
        Parallel.forRange(mTiles * nTiles, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int i0 = (t / nTiles) * MC, j0 = (t % nTiles) * NC;
                int iEnd = Math.min(M, i0 + MC), jEnd = Math.min(Nc, j0 + NC);
                if (!accumulate) {
                    for (int i = i0; i < iEnd; i++) {
                        if (bias == null) java.util.Arrays.fill(c, i * Nc + j0, i * Nc + jEnd, 0f);
                        else System.arraycopy(bias, j0, c, i * Nc + j0, jEnd - j0);
                    }
                }
                int edge = t * MR * NR;
                for (int p0 = 0; p0 < K; p0 += KC) {
                    int kc = Math.min(KC, K - p0);
                    for (int j = j0; j < jEnd; j += NR) {
                        int bOff = ((j / NR) * K + p0) * NR, cols = Math.min(NR, Nc - j);
                        for (int i = i0; i < iEnd; i += MR) {
                            int aOff = ((i / MR) * K + p0) * MR, rows = Math.min(MR, M - i);
                            microTileOrEdge(pa, aOff, pb, bOff, kc, c, i * Nc + j, Nc, rows, cols, edges, edge);
                        }
                    }
                }
            }
        });
    }

    /**
     * The part of c (N x N) = A·B on and above the diagonal, from packed panels: square tiles of
     * {@link #SQUARE_TILE} with the tile column at or right of the tile row (the triangle numbered
     * row by row), and in a diagonal tile every micro-tile that holds an element with row <= column.
     * Micro-tiles, k-blocks and their order are those of {@link #product}, so each computed element
     * is bit-identical to it. Elements strictly below the diagonal are left undefined.
     */
    private static void upperProduct(float[] c, float[] pa, float[] pb, int N, int K) {
        int blocks = panels(N, SQUARE_TILE), tasks = blocks * (blocks + 1) / 2;
        float[] edges = edgeScratch(tasks);
        Parallel.forRange(tasks, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int bi = 0, rest = t;
                while (rest >= blocks - bi) rest -= blocks - bi++;
                int i0 = bi * SQUARE_TILE, j0 = (bi + rest) * SQUARE_TILE;
                int iEnd = Math.min(N, i0 + SQUARE_TILE), jEnd = Math.min(N, j0 + SQUARE_TILE);
                for (int i = i0; i < iEnd; i++) java.util.Arrays.fill(c, i * N + j0, i * N + jEnd, 0f);
                int edge = t * MR * NR;
                for (int p0 = 0; p0 < K; p0 += KC) {
                    int kc = Math.min(KC, K - p0);
                    for (int j = j0; j < jEnd; j += NR) {
                        int bOff = ((j / NR) * K + p0) * NR, cols = Math.min(NR, N - j);
                        for (int i = i0; i < iEnd && i < j + NR; i += MR) {
                            int aOff = ((i / MR) * K + p0) * MR, rows = Math.min(MR, N - i);
                            microTileOrEdge(pa, aOff, pb, bOff, kc, c, i * N + j, N, rows, cols, edges, edge);
                        }
                    }
                }
            }
        });
    }

    /**
     * The micro-tile of c at cOff, of which rows x cols lie inside c: in place when whole; cut by the
     * edge, the same micro-kernel on a zero-padded copy (the task's own tile of edges at edge).
     */
    static void microTileOrEdge(float[] pa, int aOff, float[] pb, int bOff, int kc, float[] c, int cOff,
                                        int ldc, int rows, int cols, float[] edges, int edge) {
        if (rows == MR && cols == NR) {
            microTile(pa, aOff, pb, bOff, kc, c, cOff, ldc);
        } else {
            copyTile(edges, edge, NR, c, cOff, ldc, rows, cols, true);
            microTile(pa, aOff, pb, bOff, kc, edges, edge, NR);
            copyTile(edges, edge, NR, c, cOff, ldc, rows, cols, false);
        }
    }

    private static float[] edgeScratch(int tiles) {
        Scratch s = SCRATCH.get();
        if (s.edgeTiles.length < tiles * MR * NR) s.edgeTiles = new float[tiles * MR * NR];
        return s.edgeTiles;
    }

    /** Moves the rows x cols corner of a tile between c and its padded copy (in: c to copy, padding zeroed). */
    private static void copyTile(float[] tile, int tOff, int ldt, float[] c, int cOff, int ldc,
                                 int rows, int cols, boolean in) {
        for (int r = 0; r < MR; r++) {
            for (int j = 0; j < NR; j++) {
                boolean inside = r < rows && j < cols;
                if (in) tile[tOff + r * ldt + j] = inside ? c[cOff + r * ldc + j] : 0f;
                else if (inside) c[cOff + r * ldc + j] = tile[tOff + r * ldt + j];
            }
        }
    }

    /**
     * One MR x NR tile of c at cOff (row stride ldc): c += sum_{k < kc} a[k, r] * b[k, :], with a and b
     * packed panels. Deliberately nothing but the loop: a method this size compiles at every JIT tier,
     * so it reliably reaches C2 (a larger one that C1 rejects can stay stuck in slow tier-2 code).
     * {@link GroupedMatmul} runs its per-expert blocks through the same tile.
     */
    static void microTile(float[] pa, int aOff, float[] pb, int bOff, int kc, float[] c, int cOff, int ldc) {
        int r1 = cOff + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc, r6 = r5 + ldc, r7 = r6 + ldc;
        FloatVector c00 = FloatVector.fromArray(S, c, cOff), c01 = FloatVector.fromArray(S, c, cOff + L);
        FloatVector c10 = FloatVector.fromArray(S, c, r1), c11 = FloatVector.fromArray(S, c, r1 + L);
        FloatVector c20 = FloatVector.fromArray(S, c, r2), c21 = FloatVector.fromArray(S, c, r2 + L);
        FloatVector c30 = FloatVector.fromArray(S, c, r3), c31 = FloatVector.fromArray(S, c, r3 + L);
        FloatVector c40 = FloatVector.fromArray(S, c, r4), c41 = FloatVector.fromArray(S, c, r4 + L);
        FloatVector c50 = FloatVector.fromArray(S, c, r5), c51 = FloatVector.fromArray(S, c, r5 + L);
        FloatVector c60 = FloatVector.fromArray(S, c, r6), c61 = FloatVector.fromArray(S, c, r6 + L);
        FloatVector c70 = FloatVector.fromArray(S, c, r7), c71 = FloatVector.fromArray(S, c, r7 + L);
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
        c00.intoArray(c, cOff); c01.intoArray(c, cOff + L);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + L);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + L);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + L);
        c40.intoArray(c, r4); c41.intoArray(c, r4 + L);
        c50.intoArray(c, r5); c51.intoArray(c, r5 + L);
        c60.intoArray(c, r6); c61.intoArray(c, r6 + L);
        c70.intoArray(c, r7); c71.intoArray(c, r7 + L);
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
