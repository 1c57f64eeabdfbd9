package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused softmax + cross-entropy loss and its gradient, row by row over the LM-head logits.
 *
 * <pre>
 * Shapes:
 *   N                  rows (tokens: batch * sequence)
 *   V                  vocabulary size
 *   logits, dlogits    (N, V)
 *   targets            (N)   ids in [0, V), or negative = ignore this position
 *   losses             (N)   loss_n = logsumexp(logits_n) - logits_n[target_n]
 * </pre>
 *
 * <p>Ignored positions (target &lt; 0, e.g. padding or the prompt part of a sequence) get loss 0 and
 * a zero gradient row. They still count in {@link #mean}, which divides by N: for a mean over the
 * scored positions only, the caller passes dlossScale = 1 / count and divides the sum itself.
 *
 * <p>Numerics: logsumexp subtracts the row maximum, so exp never overflows and logits of any
 * magnitude (|x| &gt; 88 overflows a float exp) are safe. exp runs in float, 16 lanes at a time;
 * the sum of the exps is taken in float over blocks of {@value #BLOCK} elements and in double
 * across blocks, so the error stays near float rounding of one block even at V = 50k.
 *
 * <p>The forward pass stores exp(x - max) in dlogits and the second pass only rescales it: one exp
 * per logit in total. dlogits may be the logits array itself (each element is read before it is
 * written), which saves an (N, V) buffer, the largest activation of a small model.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Elements summed in float before the partial moves to double: 64 vector iterations per lane at 16 lanes. */
    private static final int BLOCK = 1024;

    /** losses written; dlogits = (softmax(logits) - onehot(target)) * dlossScale written (zero rows for ignored targets). */
    public static void forwardBackward(float[] losses, float[] dlogits, float[] logits, int[] targets, int N, int V,
                                       float dlossScale) {
        checkTargets(targets, N, V);
        Parallel.forRange(N, grain(V), (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * V, t = targets[n];
                if (t < 0) {
                    losses[n] = 0f;
                    java.util.Arrays.fill(dlogits, row, row + V, 0f);
                    continue;
                }
                float max = rowMax(logits, row, V);
                float xt = logits[row + t];
                double sum = expSum(dlogits, true, logits, row, V, max);
                losses[n] = (float) (Math.log(sum) + ((double) max - xt));
                float et = dlogits[row + t];
                float k = (float) (dlossScale / sum);
                FloatVector vk = FloatVector.broadcast(S, k);
                int j = 0;
                for (; j < S.loopBound(V); j += S.length()) {
                    FloatVector.fromArray(S, dlogits, row + j).mul(vk).intoArray(dlogits, row + j);
                }
                for (; j < V; j++) dlogits[row + j] *= k;
                // p_t - 1 = -(sum of the other exps) / sum, without the cancellation of p_t - 1 when p_t ~ 1.
                dlogits[row + t] = (float) (-(sum - et) / sum * dlossScale);
            }
        });
    }

    /** losses written; no gradient (evaluation). */
    public static void forward(float[] losses, float[] logits, int[] targets, int N, int V) {
        checkTargets(targets, N, V);
        Parallel.forRange(N, grain(V), (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int row = n * V, t = targets[n];
                if (t < 0) {
                    losses[n] = 0f;
                    continue;
                }
                float max = rowMax(logits, row, V);
                double sum = expSum(null, false, logits, row, V, max);
                losses[n] = (float) (Math.log(sum) + ((double) max - logits[row + t]));
            }
        });
    }

    /** (1/N) sum of losses in double, in index order (ignored positions count as 0). */
    public static double mean(float[] losses, int N) {
        double s = 0;
        for (int n = 0; n < N; n++) s += losses[n];
        return s / N;
    }

    /** Rows per task: about 8k logits, so small vocabularies still make chunks worth scheduling. */
    private static int grain(int V) {
        return Math.max(1, 8192 / Math.max(1, V));
    }

    private static float rowMax(float[] x, int row, int V) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < S.loopBound(V); j += S.length()) acc = acc.max(FloatVector.fromArray(S, x, row + j));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; j < V; j++) m = Math.max(m, x[row + j]);
        return m;
    }

    /** sum_j exp(x_j - max) of one row; with store, exp(x_j - max) also goes to dst[row + j]. */
    private static double expSum(float[] dst, boolean store, float[] x, int row, int V, float max) {
        FloatVector vmax = FloatVector.broadcast(S, max);
        double total = 0;
        int j = 0;
        int vecEnd = S.loopBound(V);
        while (j < vecEnd) {
            int blockEnd = Math.min(vecEnd, j + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; j < blockEnd; j += S.length()) {
                FloatVector e = LaneMath.exp(FloatVector.fromArray(S, x, row + j).sub(vmax));
                if (store) e.intoArray(dst, row + j);
                acc = acc.add(e);
            }
            total += LaneMath.sum(acc);
        }
        for (; j < V; j++) {
            float e = LaneMath.exp(x[row + j] - max);
            if (store) dst[row + j] = e;
            total += e;
        }
        return total;
    }

    private static void checkTargets(int[] targets, int N, int V) {
        for (int n = 0; n < N; n++) {
            if (targets[n] >= V) {
                throw new IllegalArgumentException("target id " + targets[n] + " at position " + n
                        + " is outside the vocabulary of size " + V);
            }
        }
    }
}
