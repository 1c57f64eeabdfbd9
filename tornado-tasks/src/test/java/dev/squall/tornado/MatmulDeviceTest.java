package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.MatmulRef;
import dev.squall.tornado.kernels.MatmulKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The linear layer's three products on the default TornadoVM device against the double reference: out and dinp NaN-poisoned, dweight accumulated onto a random base.
 */
class MatmulDeviceTest {

    @ParameterizedTest(name = "N={0} C={1} OC={2}")
    @CsvSource({"1,1,1", "3,7,13", "33,65,31", "127,64,96"})
    void productsMatchTheReference(int N, int C, int OC) {
        long seed = 1009L * N + 31L * C + OC;
        float[] x = normal(seed, N * C, 1.0), w = normal(seed + 1, OC * C, 1.0), g = normal(seed + 2, N * OC, 1.0);
        float[] dwBase = normal(seed + 3, OC * C, 1.0);
        FloatArray inp = FloatArray.fromArray(x), weight = FloatArray.fromArray(w), dout = FloatArray.fromArray(g);
        FloatArray out = poisoned(N * OC), dinp = poisoned(N * C), dweight = FloatArray.fromArray(dwBase);

        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("mm").transferToDevice(DataTransferMode.EVERY_EXECUTION, inp, weight, dout,
                out, dinp, dweight);
        GridScheduler grids = new GridScheduler();
        graph.task("fwd", MatmulKernels::forward, ctx, out, inp, weight, C, OC)
             .task("bwi", MatmulKernels::backwardInput, ctx, dinp, dout, weight, C, OC)
             .task("bww", MatmulKernels::backwardWeight, ctx, dweight, dout, inp, N, C, OC);
        grids.addWorkerGrid("mm.fwd", grid(N * OC, 0));
        grids.addWorkerGrid("mm.bwi", grid(N * C, 0));
        grids.addWorkerGrid("mm.bww", grid(OC * C, 0));
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out, dinp, dweight);
        run(graph, grids);

        double[] rOut = new double[N * OC], rDx = new double[N * C], rDw = new double[OC * C];
        MatmulRef.forward(rOut, d(x), d(w), null, N, C, OC);
        MatmulRef.backwardInput(rDx, d(g), d(w), N, C, OC);
        MatmulRef.backwardWeight(rDw, null, d(g), d(x), N, C, OC);
        // float32 dot products of unit-variance terms: the error grows like sqrt(K) * eps * |terms|.
        close("out", out, rOut, 1e-4, 1e-5 * Math.sqrt(C));
        close("dinp", dinp, rDx, 1e-4, 1e-5 * Math.sqrt(OC));
        close("dweight", dweight, plus(dwBase, rDw), 1e-4, 1e-5 * Math.sqrt(N));
    }
}
