package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;


/**
 * The experts' linear layers as one call: rows sorted by expert ({@link MoeDispatch#plan}) each go through
 * their own expert's weight, SPEC §7.4 (the SwiGLU expert's products) inside the MoE sublayer of §6.6/§7.1.
 *
 * <pre>
 * Shapes:
 *   R    sorted rows (N * K slots)
 *   C    input features
 *   OC   output features
 *   E    experts
 *   offsets            (E + 1)       expert e owns rows offsets[e] .. offsets[e+1]-1 (may be none)
 *   inp, dinp          (R, C)
 *   weight, dweight    (E, OC, C)    expert e's (OC, C) Linear weight at e * OC * C
 *   out, dout          (R, OC)
 * </pre>
 *
 * <p>Same blocking as {@link Matmul}: operands packed into k-interleaved panels, an MR x NR register
 * tile of fused multiply-adds over KC-long k-blocks. The difference is the grouping: every expert packs
 * its own panels (its rows never share a panel with the next expert's), and the parallel tasks are
 * (expert, tile) pairs numbered through per-expert prefix counts, so one parallel loop covers all
 * experts whatever their sizes, empty ones included.
 *
 * <p>Determinism: each output element is owned by one task and summed over k in increasing k-blocks;
 * both depend only on the sizes and offsets. The packing buffers are shared grow-only scratch, so the
 * entry points are synchronized.
 */
public final class GroupedMatmul {
    private GroupedMatmul() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Micro-tile and blocking as in {@link Matmul}, measured there on this machine. */
    private static final int MR = Matmul.MR, NR = Matmul.NR, KC = Matmul.KC, MC = Matmul.MC, NC = Matmul.NC;
    /** Row panels packed per task: a few, so tiny experts do not make tiny tasks. */
    private static final int PACK_GRAIN = 4;

    private static float[] packedA = new float[0];
    private static float[] packedB = new float[0];
    private static float[] edgeTiles = new float[0];

    /**
     * Per-expert bookkeeping, E + 1 entries each: rows of the product (m), shared length (k), where its
     * output and panels start, and prefix counts of packing units and tiles (the parallel index spaces).
     */
    private static int[] prodRows = new int[0], prodDepth = new int[0], cOff = new int[0], aOff = new int[0], bOff = new int[0];
    private static int[] aUnits = new int[0], bUnits = new int[0], tasks = new int[0];

    /** out[r] = inp[r]·W_eᵀ for the expert e owning row r. Written. */
    public static synchronized void forward(float[] out, float[] inp, float[] weight, int[] offsets,
                                            int R, int C, int OC, int E) {
        // A: the expert's rows of inp (row panels); B: W_e's rows as the product's columns.
        layout(E, offsets, R, false, OC, C, OC * C);
        float[] a = scratchA(aOff[E]), b = scratchB(bOff[E]);
        int[] mm = prodRows, ao = aOff, bo = bOff;
        forUnits(aUnits, E, PACK_GRAIN, (e, p) -> packRowPanel(a, ao[e], inp, offsets[e] * C, mm[e], C, MR, p));
        forUnits(bUnits, E, PACK_GRAIN, (e, p) -> packRowPanel(b, bo[e], weight, e * OC * C, OC, C, NR, p));
        product(out, a, b, false, OC, E);
    }

    /** dinp[r] = dout[r]·W_e. Written. */
    public static synchronized void backwardInput(float[] dinp, float[] dout, float[] weight, int[] offsets,
                                                  int R, int C, int OC, int E) {
        // A: the expert's rows of dout; B: W_e read down its columns (W_e's rows become k).
        layout(E, offsets, R, false, C, OC, OC * C);
        float[] a = scratchA(aOff[E]), b = scratchB(bOff[E]);
        int[] mm = prodRows, ao = aOff, bo = bOff;
        forUnits(aUnits, E, PACK_GRAIN, (e, p) -> packRowPanel(a, ao[e], dout, offsets[e] * OC, mm[e], OC, MR, p));
        forUnits(bUnits, E, 1, (e, p) -> packColumnPanel(b, bo[e], weight, e * OC * C, OC, C, NR, p));
        product(dinp, a, b, false, C, E);
    }

    /** dW_e += Σ_{rows r of e} dout[r]ᵀ·inp[r]. Accumulated; tasks are (expert, tile of W_e). */
    public static synchronized void backwardWeight(float[] dweight, float[] dout, float[] inp, int[] offsets,
                                                   int R, int C, int OC, int E) {
        // A: doutᵀ (the expert's rows become k), B: inp likewise; the product is W_e's (OC, C) slice.
        layout(E, offsets, R, true, C, OC, OC * C);
        float[] a = scratchA(aOff[E]), b = scratchB(bOff[E]);
        int[] kk = prodDepth, ao = aOff, bo = bOff;
        forUnits(aUnits, E, 1, (e, p) -> packColumnPanel(a, ao[e], dout, offsets[e] * OC, kk[e], OC, MR, p));
        forUnits(bUnits, E, 1, (e, p) -> packColumnPanel(b, bo[e], inp, offsets[e] * C, kk[e], C, NR, p));
        product(dweight, a, b, true, C, E);
    }

    /**
     * Fills the per-expert bookkeeping for a product with nc columns. Row-grouped products (forward,
     * backwardInput) have the expert's rows as m and {@code otherDim} as k, writing rows of the output;
     * the weight gradient has {@code otherDim} (OC) as m and the expert's rows as k, writing the expert's
     * {@code slice}-float weight block.
     */
    private static void layout(int E, int[] offsets, int R, boolean weightGradient, int nc, int otherDim, int slice) {
        if (offsets[0] != 0 || offsets[E] != R) {
            throw new IllegalArgumentException("offsets must run from 0 to R = " + R + ": " + offsets[0] + ".." + offsets[E]);
        }
        if (prodRows.length < E + 1) {
            prodRows = new int[E + 1]; prodDepth = new int[E + 1]; cOff = new int[E + 1]; aOff = new int[E + 1]; bOff = new int[E + 1];
            aUnits = new int[E + 1]; bUnits = new int[E + 1]; tasks = new int[E + 1];
        }
        int colPanels = panels(nc, NR), colTiles = panels(nc, NC);
        for (int e = 0; e < E; e++) {
            int rows = offsets[e + 1] - offsets[e];
            int me = weightGradient ? otherDim : rows, ke = weightGradient ? rows : otherDim;
            prodRows[e] = me;
            prodDepth[e] = ke;
            cOff[e] = weightGradient ? e * slice : offsets[e] * nc;
            // Nothing to pack where the product is empty or has k = 0 (an empty expert).
            boolean packs = me > 0 && ke > 0;
            int rowPanels = packs ? panels(me, MR) : 0, colPanelsHere = packs ? colPanels : 0;
            aOff[e + 1] = aOff[e] + rowPanels * MR * ke;
            bOff[e + 1] = bOff[e] + colPanelsHere * NR * ke;
            aUnits[e + 1] = aUnits[e] + rowPanels;
            bUnits[e + 1] = bUnits[e] + colPanelsHere;
            // A written product with k = 0 still has to zero its output, so it keeps its tiles.
            boolean none = me == 0 || (weightGradient && ke == 0);
            tasks[e + 1] = tasks[e] + (none ? 0 : panels(me, MC) * colTiles);
        }
    }

    private static float[] scratchA(int need) {
        if (packedA.length < need) packedA = new float[need];
        return packedA;
    }

    private static float[] scratchB(int need) {
        if (packedB.length < need) packedB = new float[need];
        return packedB;
    }

    private static int panels(int n, int w) {
        return (n + w - 1) / w;
    }

    /** One unit of work of expert e: its local index among that expert's units. */
    @FunctionalInterface
    private interface ExpertBody {
        void run(int e, int local);
    }

    /** Runs body over every unit of every expert in parallel; start holds the per-expert prefix counts. */
    private static void forUnits(int[] start, int E, int grain, ExpertBody body) {
        Parallel.forRange(start[E], grain, (lo, hi) -> {
            int e = expertOf(start, E, lo);
            for (int u = lo; u < hi; u++) {
                while (start[e + 1] <= u) e++;
                body.run(e, u - start[e]);
            }
        });
    }

    /** The expert owning unit u: the last e with start[e] <= u (empty experts before it are skipped). */
    private static int expertOf(int[] start, int E, int u) {
        int lo = 0, hi = E - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (start[mid] <= u) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /**
     * Panel p of src's rows (rows x K at sOff, row-major) as rows of the product:
     * dst[dOff + (p*K + k)*w + r] = src[sOff + (p*w + r)*K + k], rows past the end zero.
     */
    private static void packRowPanel(float[] dst, int dOff, float[] src, int sOff, int rows, int K, int w, int p) {
        int base = dOff + p * K * w;
        for (int k0 = 0; k0 < K; k0 += 64) {
            int k1 = Math.min(K, k0 + 64);
            for (int r = 0; r < w; r++) {
                int row = p * w + r;
                if (row < rows) {
                    int s = sOff + row * K;
                    for (int kk = k0; kk < k1; kk++) dst[base + kk * w + r] = src[s + kk];
                } else {
                    for (int kk = k0; kk < k1; kk++) dst[base + kk * w + r] = 0f;
                }
            }
        }
    }

    /**
     * Panel p of src's columns (K x cols at sOff, row-major) as columns of the product:
     * dst[dOff + (p*K + k)*w + c] = src[sOff + k*cols + p*w + c], columns past the end zero.
     */
    private static void packColumnPanel(float[] dst, int dOff, float[] src, int sOff, int K, int cols, int w, int p) {
        int c0 = p * w, valid = Math.min(w, cols - c0);
        for (int kk = 0; kk < K; kk++) {
            int d = dOff + (p * K + kk) * w, s = sOff + kk * cols + c0;
            for (int c = 0; c < w; c += L) {
                FloatVector.fromArray(S, src, s + c, S.indexInRange(c, valid)).intoArray(dst, d + c, S.indexInRange(c, w));
            }
        }
    }

    /**
     * For every expert, its m x nc block of c = [c +] A_e·B_e from the packed panels; one task per
     * (expert, MC x NC tile), k-blocks in order inside it. A written product zeroes its tile first.
     */
    private static void product(float[] c, float[] pa, float[] pb, boolean accumulate, int nc, int E) {
        int[] mm = prodRows, kk = prodDepth, co = cOff, ao = aOff, bo = bOff, start = tasks;
        int nTiles = panels(nc, NC);
        float[] edges = edgeScratch(start[E]);
        forUnits(start, E, 1, (e, t) -> {
            int M = mm[e], K = kk[e], base = co[e];
            int i0 = (t / nTiles) * MC, j0 = (t % nTiles) * NC;
            int iEnd = Math.min(M, i0 + MC), jEnd = Math.min(nc, j0 + NC);
            if (!accumulate) {
                for (int i = i0; i < iEnd; i++) java.util.Arrays.fill(c, base + i * nc + j0, base + i * nc + jEnd, 0f);
            }
            int edge = (start[e] + t) * MR * NR;
            for (int p0 = 0; p0 < K; p0 += KC) {
                int kc = Math.min(KC, K - p0);
                for (int j = j0; j < jEnd; j += NR) {
                    int bOff = bo[e] + ((j / NR) * K + p0) * NR, cols = Math.min(NR, nc - j);
                    for (int i = i0; i < iEnd; i += MR) {
                        int aOff = ao[e] + ((i / MR) * K + p0) * MR, rows = Math.min(MR, M - i);
                        Matmul.microTileOrEdge(pa, aOff, pb, bOff, kc, c, base + i * nc + j, nc, rows, cols, edges, edge);
                    }
                }
            }
        });
    }

    private static float[] edgeScratch(int tiles) {
        if (edgeTiles.length < tiles * MR * NR) edgeTiles = new float[tiles * MR * NR];
        return edgeTiles;
    }
}
