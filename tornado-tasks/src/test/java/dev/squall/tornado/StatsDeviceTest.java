package dev.squall.tornado;

import static dev.squall.testing.Arrays2.normal;
import static dev.squall.testing.Arrays2.toDouble;
import static dev.squall.tornado.DeviceArrays.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.kernels.Stats;
import dev.squall.tornado.kernels.StatsKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The summaries' block partials at the block boundaries (255, 256, 257 elements) and one plan run
 * twice, where an output TornadoVM wrongly takes for write-only comes back stale: the catalog's
 * summarize row runs once at sizes that fall between boundaries.
 *
 * <p>The scalar summaries on the default TornadoVM device against the JVM {@link Stats} (which sums in
 * double): mean, mean square, RMS and the gradient-norm accumulation (onto a random base), and the
 * outlier percentage with its per-row counts. Output slots start as NaN.
 */
class StatsDeviceTest {

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 255, 256, 257, 4099})
    void sumsMatchTheJvmKernel(int n) {
        long seed = 17L * n + 5;
        float[] xs = normal(seed, n, 3.0);
        for (int i = 0; i < n; i++) xs[i] += 0.5f; // a mean away from zero
        float base = normal(seed + 1, 1, 10.0)[0];
        int blocks = StatsKernels.blocks(n);

        // out: slots 1-3 NaN-poisoned, its other slots hold values the tasks must leave alone (they
        // only write; TornadoVM would copy nothing in for a write-only argument). acc: ADD's base.
        FloatArray x = FloatArray.fromArray(xs), out = poisonedArray(6), acc = poisonedArray(3);
        out.set(0, 7f);
        out.set(4, -3f);
        out.set(5, 11f);
        acc.set(1, base);
        FloatArray pSum = poisonedArray(blocks), pSq = poisonedArray(blocks);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("st")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, out, acc, pSum, pSq)
                .task("ps", StatsKernels::sumPartials, ctx, pSum, x, n, 0)
                .task("pq", StatsKernels::sumPartials, ctx, pSq, x, n, 1)
                .task("mean", StatsKernels::finish, ctx, out, pSum, 1, blocks, n, StatsKernels.MEAN)
                .task("msq", StatsKernels::finish, ctx, out, pSq, 2, blocks, n, StatsKernels.MEAN_SQUARE)
                .task("rms", StatsKernels::finish, ctx, out, pSq, 3, blocks, n, StatsKernels.RMS)
                .task("add", StatsKernels::finish, ctx, acc, pSq, 1, blocks, n, StatsKernels.ADD)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out, acc);
        GridScheduler grids = new GridScheduler();
        int global = blocks * StatsKernels.ELEMS_PER_BLOCK;
        grids.addWorkerGrid("st.ps", grid(global, StatsKernels.ELEMS_PER_BLOCK));
        grids.addWorkerGrid("st.pq", grid(global, StatsKernels.ELEMS_PER_BLOCK));
        for (String t : new String[] {"mean", "msq", "rms", "add"}) grids.addWorkerGrid("st." + t, grid(1, 0));
        run(graph, grids);

        float[] want = new float[6];
        want[4] = base;
        Stats.mean(want, 1, xs, n);
        Stats.meanSquare(want, 2, xs, n);
        Stats.rms(want, 3, xs, n);
        Stats.addSumSquares(want, 4, xs, n);
        double meanAbs = 0, sumSq = 0;
        for (float v : xs) {
            meanAbs += Math.abs(v);
            sumSq += (double) v * v;
        }
        meanAbs /= n;
        // Float tree sum over a block (8 levels) then an ordered sum of the blocks: error of a few
        // (8 + blocks) float ulps of the sum of magnitudes; the JVM kernel sums in double.
        double ulps = 1.2e-7 * (8 + blocks);
        assertTrue(out.get(0) == 7f && out.get(4) == -3f && out.get(5) == 11f, "only the named slots are written");
        assertTrue(Float.isNaN(acc.get(0)) && Float.isNaN(acc.get(2)), "only the named slot is accumulated");
        closeOne("mean", out.get(1), want[1], 0, 2 * ulps * meanAbs);
        closeOne("meanSquare", out.get(2), want[2], 2 * ulps, 0);
        closeOne("rms", out.get(3), want[3], 2 * ulps, 0);
        closeOne("addSumSquares", acc.get(1), want[4], 0, 2 * ulps * (Math.abs(base) + sumSq));
    }

    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1,1", "3,7", "13,31", "65,100", "5,300"})
    void outlierPercentMatchesTheJvmKernel(int N, int C) {
        long seed = 131L * N + C;
        float[] xs = normal(seed, N * C, 1.0);
        // Plant one far value in every other row (an outlier once C is large enough for 5 sd to be reachable).
        for (int r = 0; r < N; r += 2) xs[r * C + (r * 7) % C] = 60f;

        FloatArray x = FloatArray.fromArray(xs), rowCounts = poisonedArray(N), out = poisonedArray(3);
        out.set(0, 7f);
        out.set(2, -3f);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("ol")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, rowCounts, out)
                .task("rows", StatsKernels::outlierRows, ctx, rowCounts, x, C)
                .task("fin", StatsKernels::outlierFinish, ctx, out, rowCounts, 1, N, C)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, rowCounts, out);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("ol.rows", grid(N * StatsKernels.ROW_GROUP, StatsKernels.ROW_GROUP));
        grids.addWorkerGrid("ol.fin", grid(1, 0));
        // Two executions of one plan: the second is where a buffer TornadoVM deduces write-only (no
        // copy in) shows, as the partial writers' other slots come back zeroed or stale.
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(grids);
            for (int rep = 0; rep < 2; rep++) {
                rowCounts.init(Float.NaN);
                out.set(1, Float.NaN);
                plan.execute();
                checkOutliers(xs, N, C, rowCounts, out);
            }
        } catch (Exception e) {
            throw new AssertionError("TornadoVM failed to run graph: " + e, e);
        }
    }

    static void checkOutliers(float[] xs, int N, int C, FloatArray rowCounts, FloatArray out) {
        // Per-row counts in double, as Stats.outlierPercent counts them. No element of this data lies
        // within float rounding of the 5 sd threshold, so the counts must agree exactly.
        long total = 0;
        for (int r = 0; r < N; r++) {
            double mu = 0;
            for (int j = 0; j < C; j++) mu += xs[r * C + j];
            mu /= C;
            double var = 0;
            for (int j = 0; j < C; j++) var += (xs[r * C + j] - mu) * (xs[r * C + j] - mu);
            double sd = Math.sqrt(var / Math.max(1, C - 1));
            int count = 0;
            for (int j = 0; j < C; j++) {
                double z = Math.abs(xs[r * C + j] - mu);
                assertTrue(sd == 0 || Math.abs(z - 5 * sd) > 1e-3 * sd, "test data too close to the threshold");
                if (z > 5 * sd) count++;
            }
            assertEquals(count, rowCounts.get(r), "outliers in row " + r);
            total += count;
        }
        if (C >= 31) assertTrue(total > 0, "the planted outliers are counted");
        float[] want = new float[3];
        Stats.outlierPercent(want, 1, xs, N, C);
        assertTrue(out.get(0) == 7f && out.get(2) == -3f, "only the named slot is written");
        // An exact count, then one float multiply and divide instead of double: a couple of ulps.
        closeOne("outlierPercent", out.get(1), want[1], 1e-6, 0);
    }

    static void closeOne(String what, float got, double want, double rtol, double atol) {
        assertTrue(Math.abs(got - want) <= atol + rtol * Math.abs(want),
                String.format("%s: device %.9g, JVM %.9g", what, got, want));
    }
}
