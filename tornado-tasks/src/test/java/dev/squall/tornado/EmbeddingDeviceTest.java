package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.EmbeddingRef;
import dev.squall.tornado.kernels.ColumnSums;
import dev.squall.tornado.kernels.EmbeddingKernels;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Embedding forward (plain and scaled) and the scatter-add backwards on the default TornadoVM device
 * against the double reference: outputs NaN-poisoned, dwte and dscale accumulated onto random bases.
 * Tokens come from a small alphabet, so most rows of dwte receive many additions (and some none).
 */
class EmbeddingDeviceTest {
    static final int V = 256;

    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1,1", "3,7", "13,31", "65,33", "127,13", "512,256"})
    void forwardAndBackwardMatchTheReference(int N, int C) {
        long seed = 53L * N + C;
        SplittableRandom r = new SplittableRandom(seed);
        int[] tok = new int[N];
        for (int i = 0; i < N; i++) tok[i] = r.nextInt(V / 4) * 3; // ids 0, 3, ..., 189: repeats and gaps
        tok[0] = V - 1;
        float[] wte = normal(seed + 1, V * C, 1.0), g = normal(seed + 2, N * C, 1.0);
        float[] dwBase = normal(seed + 3, V * C, 1.0), dwsBase = normal(seed + 4, V * C, 1.0);
        float[] sc = {(float) Math.sqrt(C)}, dsBase = {0.25f};
        int blocks = EmbeddingKernels.blocks(N);

        IntArray tokens = IntArray.fromArray(tok);
        FloatArray fw = FloatArray.fromArray(wte), dout = FloatArray.fromArray(g), scale = FloatArray.fromArray(sc);
        FloatArray dwte = FloatArray.fromArray(dwBase), dwteS = FloatArray.fromArray(dwsBase), dscale = FloatArray.fromArray(dsBase);
        FloatArray out = poisoned(N * C), outS = poisoned(N * C), partials = poisoned(blocks);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("emb")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens, fw, dout, scale, dwte, dwteS, dscale, out, outS, partials)
                .task("fwd", EmbeddingKernels::forward, ctx, out, tokens, fw, N, C)
                .task("sfwd", EmbeddingKernels::forwardScaled, ctx, outS, tokens, fw, scale, N, C)
                .task("bwd", EmbeddingKernels::backward, ctx, dwte, dout, tokens, N, C)
                .task("sbwd", EmbeddingKernels::backwardScaled, ctx, dwteS, dout, tokens, scale, N, C)
                .task("dsp", EmbeddingKernels::dscalePartials, ctx, partials, dout, tokens, fw, N, C)
                .task("dsr", ColumnSums::addColumns, ctx, dscale, partials, 1, blocks)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, outS, dwte, dwteS, dscale);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("emb.fwd", grid(N * C, 0));
        grids.addWorkerGrid("emb.sfwd", grid(N * C, 0));
        grids.addWorkerGrid("emb.bwd", grid(C, 0));
        grids.addWorkerGrid("emb.sbwd", grid(C, 0));
        grids.addWorkerGrid("emb.dsp", grid(blocks, 0));
        grids.addWorkerGrid("emb.dsr", grid(1, 0));
        run(graph, grids);

        double[] rOut = new double[N * C], rOutS = new double[N * C];
        double[] rDw = d(dwBase), rDwS = d(dwsBase), rDs = d(dsBase);
        EmbeddingRef.forward(rOut, tok, d(wte), N, C);
        EmbeddingRef.forwardScaled(rOutS, tok, d(wte), d(sc), N, C);
        EmbeddingRef.backward(rDw, d(g), tok, N, C);
        EmbeddingRef.backwardScaled(rDwS, rDs, d(g), tok, d(wte), d(sc), N, C);
        close("out", out, rOut, 0, 0); // a copy
        close("outScaled", outS, rOutS, 1e-6, 0); // one rounding
        // dwte rows: float sums of up to N O(1) terms (times sqrt(C) when scaled), in position order.
        close("dwte", dwte, rDw, 1e-5, 1e-6 * Math.sqrt(N));
        close("dwteScaled", dwteS, rDwS, 1e-5, 1e-6 * Math.sqrt(N) * sc[0]);
        // dscale: a float sum of N*C products.
        close("dscale", dscale, rDs, 1e-5, 1e-6 * N * C);
    }
}
