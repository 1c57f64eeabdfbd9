package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The linear layer's three products on a TornadoVM device (PyTorch {@code Linear} layout): the same
 * math as {@code dev.squall.kernels.Matmul} and {@code dev.squall.reference.MatmulRef}; the
 * projections of attention (SPEC §8.1-8.2), of the SwiGLU FFN (SPEC §7.4) and the LM head. No bias:
 * the model has none.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), C input features, OC output features
 *   inp, dinp         (N, C)
 *   weight, dweight   (OC, C)   row o holds output feature o's weights
 *   out, dout         (N, OC)
 * Launch, simple forms (one work-item per output element, a counted k loop):
 *   forward          global N * OC
 *   backwardInput    global N * C
 *   backwardWeight   global OC * C
 * Launch, tiled forms (2-D, TILE x TILE work-groups, x = output column, y = output row):
 *   forwardTiled          global (tiles(OC) * TILE, tiles(N) * TILE)
 *   backwardInputTiled    global (tiles(C) * TILE,  tiles(N) * TILE)
 *   backwardWeightTiled   global (tiles(C) * TILE,  tiles(OC) * TILE)
 *   local (TILE, TILE)
 * </pre>
 *
 * <p>out and dinp are written, dweight is accumulated (+=). Each output element is owned by one
 * work-item and sums over k in increasing order, so results are the same on every run. The tiled
 * forms stage TILE x TILE blocks of both operands in local memory; loads outside the matrices read 0
 * and stores outside are skipped, so any size works.
 *
 * <p>On PoCL (2-core CPU), N=2048, C=256, OC=768: simple forms about 205 / 240 / 400 ms (forward,
 * dinp, dW), tiled forms about 470-560 / 390-470 / 450-500 ms: PoCL emulates local memory and
 * barriers, so the simple forms win there; the tiled forms are for GPUs, where they are unmeasured.
 */
public final class MatmulKernels {
    private MatmulKernels() {}

    /** Side of the tiled forms' square work-groups and local-memory tiles. */
    public static final int TILE = 16;

    /** Number of TILE-wide tiles covering n elements. */
    public static int tiles(int n) { return (n + TILE - 1) / TILE; }

    /** out[n, o] = sum_c inp[n, c] * weight[o, c]. Written. */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray weight,
                               int C, int OC) {
        int id = ctx.globalIdx;
        int n = id / OC;
        int o = id - n * OC;
        float s = 0f;
        for (int c = 0; c < C; c++) s += inp.get(n * C + c) * weight.get(o * C + c);
        out.set(id, s);
    }

    /** dinp[n, c] = sum_o dout[n, o] * weight[o, c]. Written. */
    public static void backwardInput(KernelContext ctx, FloatArray dinp, FloatArray dout, FloatArray weight,
                                     int C, int OC) {
        int id = ctx.globalIdx;
        int n = id / C;
        int c = id - n * C;
        float s = 0f;
        for (int o = 0; o < OC; o++) s += dout.get(n * OC + o) * weight.get(o * C + c);
        dinp.set(id, s);
    }

    /** dweight[o, c] += sum_n dout[n, o] * inp[n, c]. Accumulated. */
    public static void backwardWeight(KernelContext ctx, FloatArray dweight, FloatArray dout, FloatArray inp,
                                      int N, int C, int OC) {
        int id = ctx.globalIdx;
        int o = id / C;
        int c = id - o * C;
        float s = 0f;
        for (int n = 0; n < N; n++) s += dout.get(n * OC + o) * inp.get(n * C + c);
        dweight.set(id, dweight.get(id) + s);
    }

    /** {@link #forward} with local-memory tiles. */
    public static void forwardTiled(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray weight,
                                    int N, int C, int OC) {
        int lx = ctx.localIdx;
        int ly = ctx.localIdy;
        int col0 = ctx.groupIdx * TILE;
        int row0 = ctx.groupIdy * TILE;
        float[] aTile = ctx.allocateFloatLocalArray(TILE * TILE);
        float[] bTile = ctx.allocateFloatLocalArray(TILE * TILE);
        float s = 0f;
        int kTiles = (C + TILE - 1) / TILE;
        for (int t = 0; t < kTiles; t++) {
            int k = t * TILE + lx;
            int ar = row0 + ly;
            int br = col0 + ly;
            aTile[ly * TILE + lx] = (ar < N && k < C) ? inp.get(ar * C + k) : 0f;
            bTile[ly * TILE + lx] = (br < OC && k < C) ? weight.get(br * C + k) : 0f;
            ctx.localBarrier();
            for (int kk = 0; kk < TILE; kk++) s += aTile[ly * TILE + kk] * bTile[lx * TILE + kk];
            ctx.localBarrier();
        }
        int row = row0 + ly;
        int col = col0 + lx;
        if (row < N && col < OC) out.set(row * OC + col, s);
    }

    /** {@link #backwardInput} with local-memory tiles. */
    public static void backwardInputTiled(KernelContext ctx, FloatArray dinp, FloatArray dout, FloatArray weight,
                                          int N, int C, int OC) {
        int lx = ctx.localIdx;
        int ly = ctx.localIdy;
        int col0 = ctx.groupIdx * TILE;
        int row0 = ctx.groupIdy * TILE;
        float[] aTile = ctx.allocateFloatLocalArray(TILE * TILE);
        float[] bTile = ctx.allocateFloatLocalArray(TILE * TILE);
        float s = 0f;
        int kTiles = (OC + TILE - 1) / TILE;
        for (int t = 0; t < kTiles; t++) {
            int ak = t * TILE + lx;
            int bk = t * TILE + ly;
            int ar = row0 + ly;
            int bc = col0 + lx;
            aTile[ly * TILE + lx] = (ar < N && ak < OC) ? dout.get(ar * OC + ak) : 0f;
            bTile[ly * TILE + lx] = (bk < OC && bc < C) ? weight.get(bk * C + bc) : 0f;
            ctx.localBarrier();
            for (int kk = 0; kk < TILE; kk++) s += aTile[ly * TILE + kk] * bTile[kk * TILE + lx];
            ctx.localBarrier();
        }
        int row = row0 + ly;
        int col = col0 + lx;
        if (row < N && col < C) dinp.set(row * C + col, s);
    }

    /** {@link #backwardWeight} with local-memory tiles. */
    public static void backwardWeightTiled(KernelContext ctx, FloatArray dweight, FloatArray dout, FloatArray inp,
                                           int N, int C, int OC) {
        int lx = ctx.localIdx;
        int ly = ctx.localIdy;
        int col0 = ctx.groupIdx * TILE;
        int row0 = ctx.groupIdy * TILE;
        float[] aTile = ctx.allocateFloatLocalArray(TILE * TILE);
        float[] bTile = ctx.allocateFloatLocalArray(TILE * TILE);
        float s = 0f;
        int kTiles = (N + TILE - 1) / TILE;
        for (int t = 0; t < kTiles; t++) {
            int ak = t * TILE + lx;
            int bk = t * TILE + ly;
            int ao = row0 + ly;
            int bc = col0 + lx;
            aTile[ly * TILE + lx] = (ao < OC && ak < N) ? dout.get(ak * OC + ao) : 0f;
            bTile[ly * TILE + lx] = (bk < N && bc < C) ? inp.get(bk * C + bc) : 0f;
            ctx.localBarrier();
            for (int kk = 0; kk < TILE; kk++) s += aTile[ly * TILE + kk] * bTile[kk * TILE + lx];
            ctx.localBarrier();
        }
        int row = row0 + ly;
        int col = col0 + lx;
        if (row < OC && col < C) {
            int at = row * C + col;
            dweight.set(at, dweight.get(at) + s);
        }
    }
}
