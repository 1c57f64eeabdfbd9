package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Router losses and load metrics on a TornadoVM device: Switch load balancing (SPEC §6.7, §7.2), the
 * router z-loss (SPEC §7.3; beta = 1 gives the router Z-value of §6.8) and the expert load imbalance;
 * the same math as {@code dev.squall.kernels.RouterLosses} and {@code dev.squall.reference.RouterLossesRef}.
 *
 * <pre>
 * Shapes:
 *   N rows (tokens), E routed experts, K experts per token
 *   probs, dlogits     (N, E)
 *   lse                (N)
 *   expertIdx          (N, K)
 *   counts             (E)           slots routed to each expert, as floats
 *   partials           (blocks(N))   per block of ROWS_PER_BLOCK rows
 *   out                (any)         scalar results at out[slot] (loadImbalance: slot and slot + 1)
 * Launch:
 *   counts                        global E
 *   balancePartials, zPartials    global blocks(N)
 *   balanceFinish, zFinish        global 1
 *   balanceBackward               global N       (one work-item per row)
 *   zBackward                     global N * E
 *   loadImbalance                 global 1
 * </pre>
 *
 * <p>The loss forwards sum over every token: per-block partials in row order, then one work-item adds
 * the blocks in order, so results are the same on every run. The JVM kernel sums in double; here
 * partials and totals are float, so they agree to float rounding of a sum of N terms, not bit for bit.
 * counts needs no reduction across work-items: each expert's work-item scans the N*K slots itself
 * (exact: float holds integer counts up to 2^24). Backwards accumulate into dlogits ({@code +=}).
 *
 * <p>The finishing tasks write one or two slots of a shared array, so they read what they overwrite
 * and write only where the value changes (bit for bit): TornadoVM gives an argument it deduces
 * write-only no host-to-device copy, and the copy back would clobber every other slot.
 */
public final class RouterLossKernels {
    private RouterLossKernels() {}

    /** Rows summed by one work-item of the partial sums. */
    public static final int ROWS_PER_BLOCK = 32;

    public static int blocks(int N) { return (N + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK; }

    /** counts[e] = number of slots s with expertIdx[s] == e, as a float. Written. */
    public static void counts(KernelContext ctx, FloatArray counts, IntArray expertIdx, int N, int K, int E) {
        int e = ctx.globalIdx;
        if (e < E) {
            float c = 0f;
            for (int s = 0; s < N * K; s++) {
                if (expertIdx.get(s) == e) c += 1f;
            }
            counts.set(e, c);
        }
    }

    /** partials[b] = sum over block b's rows t of sum_e probs[t, e] * counts[e]. */
    public static void balancePartials(KernelContext ctx, FloatArray partials, FloatArray probs, FloatArray counts,
                                       int N, int E) {
        int b = ctx.globalIdx;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float s = 0f;
        for (int t = start; t < end; t++) {
            float pc = 0f;
            for (int e = 0; e < E; e++) pc += probs.get(t * E + e) * counts.get(e);
            s += pc;
        }
        partials.set(b, s);
    }

    /** out[slot] = gamma * E * (sum of the partials) / (N * N * K). */
    public static void balanceFinish(KernelContext ctx, FloatArray out, FloatArray partials, int slot, int blocks,
                                     int N, int E, int K, float gamma) {
        if (ctx.globalIdx == 0) {
            float s = 0f;
            for (int b = 0; b < blocks; b++) s += partials.get(b);
            float v = gamma * E * s / ((float) N * (float) N * (float) K);
            float old = out.get(slot);
            if (old != v || 1f / old != 1f / v) out.set(slot, v); // read-write: see the class comment
        }
    }

    /** dlogits[t, j] += k * p_tj * (f_j - sum_i f_i p_ti), f = counts / (N K), k = scale * gamma * E / N. */
    public static void balanceBackward(KernelContext ctx, FloatArray dlogits, FloatArray probs, FloatArray counts,
                                       int N, int E, int K, float gamma, float scale) {
        int t = ctx.globalIdx;
        if (t < N) {
            // Constants of the compiled kernel, in float (the JVM kernel rounds them from double: an ulp apart at most).
            float invSlots = 1f / ((float) N * (float) K);
            float k = scale * gamma * E / N;
            int row = t * E;
            float fp = 0f;
            for (int i = 0; i < E; i++) fp += counts.get(i) * invSlots * probs.get(row + i);
            for (int j = 0; j < E; j++) {
                float p = probs.get(row + j);
                dlogits.set(row + j, dlogits.get(row + j) + k * p * (counts.get(j) * invSlots - fp));
            }
        }
    }

    /** partials[b] = sum over block b's rows t of lse[t]^2. */
    public static void zPartials(KernelContext ctx, FloatArray partials, FloatArray lse, int N) {
        int b = ctx.globalIdx;
        int start = b * ROWS_PER_BLOCK;
        int end = Math.min(N, start + ROWS_PER_BLOCK);
        float s = 0f;
        for (int t = start; t < end; t++) {
            float x = lse.get(t);
            s += x * x;
        }
        partials.set(b, s);
    }

    /** out[slot] = beta * (sum of the partials) / N. */
    public static void zFinish(KernelContext ctx, FloatArray out, FloatArray partials, int slot, int blocks, int N,
                               float beta) {
        if (ctx.globalIdx == 0) {
            float s = 0f;
            for (int b = 0; b < blocks; b++) s += partials.get(b);
            float v = beta * s / N;
            float old = out.get(slot);
            if (old != v || 1f / old != 1f / v) out.set(slot, v); // read-write: see the class comment
        }
    }

    /** dlogits[t, j] += (2 * scale * beta / N) * lse_t * p_tj. */
    public static void zBackward(KernelContext ctx, FloatArray dlogits, FloatArray probs, FloatArray lse, int N, int E,
                                 float beta, float scale) {
        int i = ctx.globalIdx;
        if (i < N * E) {
            int t = i / E;
            float kt = 2f * scale * beta / N * lse.get(t);
            dlogits.set(i, dlogits.get(i) + kt * probs.get(i));
        }
    }

    /** out[slot] = max_e c_e / mean_e c_e; out[slot + 1] = population std of c / mean. */
    public static void loadImbalance(KernelContext ctx, FloatArray out, FloatArray counts, int slot, int E) {
        if (ctx.globalIdx == 0) {
            float max = Float.NEGATIVE_INFINITY;
            float sum = 0f;
            for (int e = 0; e < E; e++) {
                float c = counts.get(e);
                max = TornadoMath.max(max, c);
                sum += c;
            }
            float mean = sum / E;
            float var = 0f;
            for (int e = 0; e < E; e++) {
                float d = counts.get(e) - mean;
                var += d * d;
            }
            float ratio = max / mean;
            float cv = TornadoMath.sqrt(var / E) / mean;
            float old0 = out.get(slot);
            if (old0 != ratio || 1f / old0 != 1f / ratio) out.set(slot, ratio); // read-write: see the class comment
            float old1 = out.get(slot + 1);
            if (old1 != cv || 1f / old1 != 1f / cv) out.set(slot + 1, cv);
        }
    }
}
