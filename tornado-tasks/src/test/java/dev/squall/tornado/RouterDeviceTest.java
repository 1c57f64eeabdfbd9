package dev.squall.tornado;

import static dev.squall.testing.Arrays2.normal;
import static dev.squall.testing.Arrays2.toDouble;
import static dev.squall.tornado.DeviceArrays.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squall.kernels.Router;
import dev.squall.program.Routing;
import dev.squall.reference.RouterRef;
import dev.squall.tornado.kernels.RouterKernels;
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
 * Router selection with exact ties (which must go to the lower index), with one expert and with top-1:
 * the catalog keeps its router logits 0.4 apart, so that rounding cannot reorder them, and routes
 * top-2 of 7.
 *
 * <p>The router's three kinds, forward and backward, on the default TornadoVM device against the double
 * reference. Logits are multiples of 0.25 drawn from few values, so rows have exact ties (which must go
 * to the lower index) and otherwise a gap far above float rounding: the selection is exact. Outputs are
 * NaN-poisoned (expertIdx -1); the backward reads the reference forward's values, rounded to float.
 */
class RouterDeviceTest {

    @ParameterizedTest(name = "N={0} E={1} K={2}")
    @CsvSource({"1,1,1", "7,3,2", "33,8,2", "130,8,1"})
    void allKindsMatchTheReference(int N, int E, int K) {
        long seed = 1000L * N + 10L * E + K;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] z = new float[N * E];
        for (int i = 0; i < z.length; i++) z[i] = (float) ((rnd.nextInt(2 * E + 1) - E) * 0.25);
        float[] dw = normal(seed + 1, N * K, 1.0);
        int[] kinds = {Router.SOFTMAX_TOPK, Router.TOPK_SOFTMAX, Router.SQRTGATE};

        // Reference forward per kind; its (float-rounded) outputs feed the device backward.
        int[][] rIdx = new int[3][N * K];
        double[][] rGates = new double[3][N * K], rWeights = new double[3][N * K], rDz = new double[3][N * E];
        double[] rProbs = new double[N * E], rLse = new double[N];
        for (int k = 0; k < 3; k++) {
            RouterRef.forward(rIdx[k], rGates[k], rWeights[k], rProbs, rLse, toDouble(z), N, E, K, Routing.values()[k]);
            RouterRef.backward(rDz[k], toDouble(dw), rGates[k], rWeights[k], rProbs, rIdx[k], N, E, K, Routing.values()[k]);
        }

        FloatArray logits = FloatArray.fromArray(z), dweights = FloatArray.fromArray(dw);
        FloatArray probsIn = FloatArray.fromArray(f(rProbs));
        IntArray[] idx = new IntArray[3], idxIn = new IntArray[3];
        FloatArray[] gates = new FloatArray[3], weights = new FloatArray[3], probs = new FloatArray[3],
                lse = new FloatArray[3], gatesIn = new FloatArray[3], weightsIn = new FloatArray[3],
                dlogits = new FloatArray[3];
        for (int k = 0; k < 3; k++) {
            idx[k] = new IntArray(N * K);
            idx[k].init(-1);
            idxIn[k] = IntArray.fromArray(rIdx[k]);
            gates[k] = poisonedArray(N * K);
            weights[k] = poisonedArray(N * K);
            probs[k] = poisonedArray(N * E);
            lse[k] = poisonedArray(N);
            gatesIn[k] = FloatArray.fromArray(f(rGates[k]));
            weightsIn[k] = FloatArray.fromArray(f(rWeights[k]));
            dlogits[k] = poisonedArray(N * E);
        }
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("router")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, logits, dweights, probsIn)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) idx)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) idxIn)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) gates)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) weights)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) probs)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) lse)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) gatesIn)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) weightsIn)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) dlogits)
                .task("f0", RouterKernels::forwardSoftmaxTopk, ctx, idx[0], gates[0], weights[0], probs[0], lse[0],
                        logits, N, E, K)
                .task("f1", RouterKernels::forwardTopkSoftmax, ctx, idx[1], gates[1], weights[1], probs[1], lse[1],
                        logits, N, E, K)
                .task("f2", RouterKernels::forwardSqrtGate, ctx, idx[2], gates[2], weights[2], probs[2], lse[2],
                        logits, N, E, K)
                .task("b0", RouterKernels::backwardSoftmaxTopk, ctx, dlogits[0], dweights, gatesIn[0], probsIn,
                        idxIn[0], N, E, K)
                .task("b1", RouterKernels::backwardTopkSoftmax, ctx, dlogits[1], dweights, gatesIn[1], idxIn[1], N, E, K)
                .task("b2", RouterKernels::backwardSqrtGate, ctx, dlogits[2], dweights, gatesIn[2], weightsIn[2],
                        idxIn[2], N, E, K);
        for (int k = 0; k < 3; k++) {
            graph.transferToHost(DataTransferMode.EVERY_EXECUTION, idx[k], gates[k], weights[k], probs[k], lse[k],
                    dlogits[k]);
        }
        GridScheduler grids = new GridScheduler();
        for (String t : new String[] {"f0", "f1", "f2", "b0", "b1", "b2"}) grids.addWorkerGrid("router." + t, grid(N, 0));
        run(graph, grids);

        for (int k = 0; k < 3; k++) {
            String kind = Router.kindName(kinds[k]);
            for (int i = 0; i < N * K; i++) assertEquals(rIdx[k][i], idx[k].get(i), kind + " expertIdx[" + i + "]");
            // Softmaxes of logits within a few units: exp/log in float, a few ulps.
            close(kind + " probs", probs[k], rProbs, 1e-5, 1e-7);
            close(kind + " lse", lse[k], rLse, 1e-5, 1e-6);
            close(kind + " gates", gates[k], rGates[k], 1e-5, 1e-7);
            close(kind + " weights", weights[k], rWeights[k], 1e-5, 1e-7);
            // A K- (or E-) term dot product then a difference: float rounding of the inputs and the sum.
            close(kind + " dlogits", dlogits[k], rDz[k], 1e-4, 1e-6);
        }
    }

    static float[] f(double[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) r[i] = (float) a[i];
        return r;
    }
}
