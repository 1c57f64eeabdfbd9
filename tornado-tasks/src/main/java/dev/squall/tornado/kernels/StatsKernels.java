package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Scalar summaries on a TornadoVM device, SPEC §6.8 (loss mean, attention Z-value, output RMS,
 * activation outliers) and the squared global gradient norm: the same math as
 * {@code dev.squall.kernels.Stats}, so a step returns a few floats instead of tensors.
 *
 * <pre>
 * Shapes:
 *   x          (n) for the sums, (N, C) for the outliers
 *   partials   (blocks(n))     sum of x or x^2 per block of ELEMS_PER_BLOCK elements
 *   rowCounts  (N)             outliers per row
 *   out        (any)           slot an index into it
 * Launch:
 *   sumPartials     global blocks(n) * ELEMS_PER_BLOCK, local ELEMS_PER_BLOCK  (one work-group per block)
 *   finish          global 1
 *   outlierRows     global N * ROW_GROUP, local ROW_GROUP                      (one work-group per row)
 *   outlierFinish   global 1
 * </pre>
 *
 * <p>A sum over the whole tensor is two tasks: per-block partials (a tree sum in local memory), then
 * one work-item adds the blocks in order (reading other work-groups' partials inside one kernel
 * would race). Both orders are fixed, so results are the same on every run. The JVM kernel sums in
 * double; here partials and totals are float, so results agree to float rounding of a sum of n
 * terms (relative error grows like log2(ELEMS_PER_BLOCK) + blocks ulps), not bit for bit.
 * {@code squares} and {@code kind} are constants of the compiled kernel: one compiled task per use.
 *
 * <p>{@code finish} and {@code outlierFinish} write one slot of a shared array, so they read it first:
 * TornadoVM gives a kernel argument it deduces write-only no host-to-device copy (its buffer starts
 * zeroed or stale), and copying it back would overwrite every other slot.
 */
public final class StatsKernels {
    private StatsKernels() {}

    /** Elements per work-group of {@link #sumPartials}; a power of two (the tree reduction halves it). */
    public static final int ELEMS_PER_BLOCK = 256;
    /** Work-items per row of {@link #outlierRows}; a power of two. */
    public static final int ROW_GROUP = 64;

    /** out[slot] = sum / n, partials of x. */
    public static final int MEAN = 0;
    /** out[slot] = sum / n, partials of x^2. */
    public static final int MEAN_SQUARE = 1;
    /** out[slot] = sqrt(sum / n + 1e-30), partials of x^2. */
    public static final int RMS = 2;
    /** out[slot] += sum, partials of x^2 (one tensor's share of the squared gradient norm). */
    public static final int ADD = 3;

    public static int blocks(int n) { return (n + ELEMS_PER_BLOCK - 1) / ELEMS_PER_BLOCK; }

    /** partials[b] = sum of x[i] (squares = 0) or x[i]^2 (squares = 1) over block b's elements. */
    public static void sumPartials(KernelContext ctx, FloatArray partials, FloatArray x, int n, int squares) {
        int i = ctx.globalIdx;
        int lid = ctx.localIdx;
        float v = 0f;
        if (i < n) {
            v = x.get(i);
            if (squares == 1) v = v * v;
        }
        float blockSum = WorkGroupReduction.sum(ctx, ELEMS_PER_BLOCK, v);
        if (lid == 0) partials.set(ctx.groupIdx, blockSum);
    }

    /** Adds partials[0 .. blocks) in order and writes (or for ADD accumulates) out[slot] by kind. */
    public static void finish(KernelContext ctx, FloatArray out, FloatArray partials, int slot, int blocks, int n,
                              int kind) {
        if (ctx.globalIdx == 0) {
            float s = 0f;
            for (int b = 0; b < blocks; b++) s += partials.get(b);
            float old = out.get(slot);
            float v = s / n;
            if (kind == ADD) {
                v = old + s;
            } else if (kind == RMS) {
                v = TornadoMath.sqrt(s / n + 1e-30f);
            }
            // Written only where it changes (bit for bit, so -0 and NaN too): the read makes out a
            // read-write argument; TornadoVM copies nothing in for a write-only one, and the copy
            // back would then clobber every other slot.
            if (old != v || 1f / old != 1f / v) out.set(slot, v);
        }
    }

    /**
     * rowCounts[row] = number of j with |x[row, j] - mean| > 5 std, std unbiased (over max(1, C - 1)).
     * Mean, variance and count each reduce in local memory within the row's work-group.
     */
    public static void outlierRows(KernelContext ctx, FloatArray rowCounts, FloatArray x, int C) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int base = row * C;
        float s = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) s += x.get(base + j);
        float mu = WorkGroupReduction.sum(ctx, ROW_GROUP, s) / C;
        float q = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            float dx = x.get(base + j) - mu;
            q += dx * dx;
        }
        float sd = TornadoMath.sqrt(WorkGroupReduction.sum(ctx, ROW_GROUP, q) / Math.max(1, C - 1));
        float limit = 5f * sd;
        float c = 0f;
        for (int j = lid; j < C; j += ROW_GROUP) {
            if (Math.abs(x.get(base + j) - mu) > limit) c += 1f;
        }
        float outliers = WorkGroupReduction.sum(ctx, ROW_GROUP, c);
        if (lid == 0) rowCounts.set(row, outliers);
    }

    /** out[slot] = 100 * sum of rowCounts (in row order) / (N * C): the percentage of outliers. */
    public static void outlierFinish(KernelContext ctx, FloatArray out, FloatArray rowCounts, int slot, int N, int C) {
        if (ctx.globalIdx == 0) {
            float s = 0f;
            for (int r = 0; r < N; r++) s += rowCounts.get(r);
            float v = 100f * s / ((float) N * (float) C);
            float old = out.get(slot);
            if (old != v || 1f / old != 1f / v) out.set(slot, v); // read-write: see finish
        }
    }
}
