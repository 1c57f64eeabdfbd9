package dev.squall.tornado;

import static dev.squall.tornado.DeviceArrays.*;

import dev.squall.reference.CrossEntropyRef;
import dev.squall.tornado.kernels.CrossEntropyKernels;
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
 * Fused softmax cross-entropy on the default TornadoVM device against the double reference: losses,
 * dlogits both in place over the logits and into their own array, and the evaluation-only losses, with about
 * one position in five ignored (target -1).
 */
class CrossEntropyDeviceTest {

    @ParameterizedTest(name = "N={0} V={1}")
    @CsvSource({"1,1", "3,7", "13,33", "7,127", "65,100", "64,8192"})
    void lossesAndGradientMatchTheReference(int N, int V) {
        long seed = 131L * N + V;
        float[] x = normal(seed, N * V, 3.0);
        int[] t = new int[N];
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int n = 0; n < N; n++) t[n] = (n > 0 && r.nextInt(5) == 0) ? -1 : r.nextInt(V);
        float dlossScale = 1.0f / N;

        FloatArray logits = FloatArray.fromArray(x), evalLogits = FloatArray.fromArray(x);
        FloatArray copyLogits = FloatArray.fromArray(x), dlogits = poisoned(N * V);
        IntArray targets = IntArray.fromArray(t);
        FloatArray scale = FloatArray.fromArray(new float[] {dlossScale});
        FloatArray losses = poisoned(N), copyLosses = poisoned(N), evalLosses = poisoned(N);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("ce")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, logits, evalLogits, copyLogits, dlogits, targets,
                        scale, losses, copyLosses, evalLosses)
                .task("eval", CrossEntropyKernels::forward, ctx, evalLosses, evalLogits, targets, V)
                .task("fb", CrossEntropyKernels::forwardBackwardInPlace, ctx, losses, logits, targets, scale, V)
                .task("fbc", CrossEntropyKernels::forwardBackward, ctx, copyLosses, dlogits, copyLogits, targets, scale, V)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, logits, dlogits, losses, copyLosses, evalLosses);
        GridScheduler grids = new GridScheduler();
        int G = CrossEntropyKernels.ROW_GROUP;
        grids.addWorkerGrid("ce.eval", grid(N * G, G));
        grids.addWorkerGrid("ce.fb", grid(N * G, G));
        grids.addWorkerGrid("ce.fbc", grid(N * G, G));
        run(graph, grids);

        double[] rLoss = new double[N], rGrad = new double[N * V];
        CrossEntropyRef.forwardBackward(rLoss, rGrad, d(x), t, N, V, dlossScale);
        // float32 logsumexp of |logits| ~ 10: a few ulps of the loss; gradients relative to the scale.
        close("losses", losses, rLoss, 1e-5, 1e-5);
        close("copyLosses", copyLosses, rLoss, 1e-5, 1e-5);
        close("dlogits", dlogits, rGrad, 1e-4, 1e-7 * dlossScale);
        close("evalLosses", evalLosses, rLoss, 1e-5, 1e-5);
        close("dlogits (in place)", logits, rGrad, 1e-4, 1e-7 * dlossScale);
    }
}
