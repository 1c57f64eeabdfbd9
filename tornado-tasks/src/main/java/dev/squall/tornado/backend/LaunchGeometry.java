package dev.squall.tornado.backend;

import dev.squall.tornado.kernels.AttentionKernels;
import dev.squall.tornado.kernels.BhytKernels;
import dev.squall.tornado.kernels.CrossEntropyKernels;
import dev.squall.tornado.kernels.DecodeKernels;
import dev.squall.tornado.kernels.DynamicErfKernels;
import dev.squall.tornado.kernels.DynamicTanhKernels;
import dev.squall.tornado.kernels.LayerNormKernels;
import dev.squall.tornado.kernels.MoeDispatchKernels;
import dev.squall.tornado.kernels.RmsNormKernels;
import dev.squall.tornado.kernels.StatsKernels;

/**
 * The launch grid of every device task: how many work-items, in work-groups of what size. The
 * lowering asks this class for each task's grid and states none itself, so a device profile (a GPU
 * wanting other shapes than CPU OpenCL) is a subclass overriding the methods it cares about.
 *
 * <p>Where a kernel's code depends on its work-group size (a local array's length, a stride over a
 * row), that size is a compile-time constant of the kernel class and the methods here read it; a
 * profile may change the grid around it but not that size without changing the kernel.
 *
 * <p>{@link #DEFAULT} is the geometry every device uses today, checked on PoCL.
 */
public class LaunchGeometry {
    /** The geometry every device gets until one has its own profile. */
    public static final LaunchGeometry DEFAULT = new LaunchGeometry();

    /** A 1-D launch of {@code global} work-items in work-groups of {@code local} (0: the driver's choice). */
    public record Launch(int global, int local) {}

    protected LaunchGeometry() {}

    // ---- launch kinds --------------------------------------------------------------------------

    /** One work-item per element or output, the work-group size left to the driver. */
    public Launch perElement(int n) { return new Launch(n, 0); }

    /** One work-item doing all the work in order: the second task of a deterministic grid-wide sum. */
    public Launch serial() { return new Launch(1, 0); }

    /** One work-group of {@code groupSize} work-items per row (rows reduced with WorkGroupReduction). */
    protected Launch groupPerRow(int rows, int groupSize) { return new Launch(rows * groupSize, groupSize); }

    /** One work-item per row in work-groups of {@code groupSize}, the grid rounded up to whole groups. */
    protected Launch itemPerRowPadded(int rows, int groupSize) {
        return new Launch((rows + groupSize - 1) / groupSize * groupSize, groupSize);
    }

    // ---- kernel families -----------------------------------------------------------------------

    /** RMSNorm rows (and per-head RMSNorm's head-rows), forward and backward. */
    public Launch rmsNormRows(int rows) { return groupPerRow(rows, RmsNormKernels.ROW_GROUP); }

    public Launch layerNormRows(int rows) { return groupPerRow(rows, LayerNormKernels.ROW_GROUP); }

    /** DyT's backward rows (its forward is elementwise). */
    public Launch dynamicTanhRows(int rows) { return groupPerRow(rows, DynamicTanhKernels.ROW_GROUP); }

    /** Derf's backward rows (its forward is elementwise). */
    public Launch dynamicErfRows(int rows) { return groupPerRow(rows, DynamicErfKernels.ROW_GROUP); }

    /** BHyT and BHyT* row kernels; for c_attn the rows are the C rows of wo·W_V. */
    public Launch bhytRows(int rows) { return groupPerRow(rows, BhytKernels.ROW_GROUP); }

    public Launch crossEntropyRows(int rows) { return groupPerRow(rows, CrossEntropyKernels.ROW_GROUP); }

    /** The outlier count's rows. */
    public Launch outlierRows(int rows) { return groupPerRow(rows, StatsKernels.ROW_GROUP); }

    /** Per-block partial sums of n elements: a work-group per block, a work-item per element. */
    public Launch statsBlocks(int n) {
        return groupPerRow(StatsKernels.blocks(n), StatsKernels.ELEMS_PER_BLOCK);
    }

    /** MoE combine backward: a work-group per slot. */
    public Launch moeCombineSlots(int slots) { return groupPerRow(slots, MoeDispatchKernels.SLOT_GROUP); }

    /** Attention forward: a work-item per (batch, head, query row), grouped to share local accumulators. */
    public Launch attentionRows(int rows) { return itemPerRowPadded(rows, AttentionKernels.ROW_GROUP); }

    /** Decoding attention: a work-item per query head. */
    public Launch decodeHeads(int heads) { return itemPerRowPadded(heads, DecodeKernels.HEAD_GROUP); }
}
