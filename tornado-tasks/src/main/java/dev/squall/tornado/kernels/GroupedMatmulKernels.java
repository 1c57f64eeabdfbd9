package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The experts' linear layers on a TornadoVM device, SPEC §7.4 inside the MoE sublayer (§6.6, §7.1):
 * every row sorted by expert goes through its own expert's weight; the same math as
 * {@code dev.squall.kernels.GroupedMatmul} and {@code dev.squall.reference.GroupedMatmulRef}.
 *
 * <pre>
 * Shapes:
 *   R sorted rows (N * K slots), C input features, OC output features, E experts
 *   offsets            (E + 1)       expert e owns rows offsets[e] .. offsets[e+1]-1 (may be none)
 *   inp, dinp          (R, C)
 *   weight, dweight    (E, OC, C)    expert e's (OC, C) Linear weight at e * OC * C
 *   out, dout          (R, OC)
 * Launch (one work-item per output element, a counted k loop; ids past the end do nothing):
 *   forward          global R * OC
 *   backwardInput    global R * C
 *   backwardWeight   global E * OC * C
 * </pre>
 *
 * <p>The offsets are data of the step (the router's choices), so they are read from the device array,
 * never baked: a row finds its expert by counting the experts that end at or before it (a counted loop
 * over E; empty experts end where they start and are counted past), and the weight gradient loops its
 * expert's rows from offsets[e] to offsets[e+1] (no rows: it adds 0). out and dinp are written, dweight
 * is accumulated; each element is owned by one work-item summing in increasing k, so results are the
 * same on every run.
 */
public final class GroupedMatmulKernels {
    private GroupedMatmulKernels() {}

    /** out[r, o] = sum_c inp[r, c] * weight[e, o, c], e the expert owning row r. Written. */
    public static void forward(KernelContext ctx, FloatArray out, FloatArray inp, FloatArray weight, IntArray offsets,
                               int R, int C, int OC, int E) {
        int id = ctx.globalIdx;
        if (id < R * OC) {
            int r = id / OC;
            int o = id - r * OC;
            int w = (expertOf(offsets, r, E) * OC + o) * C;
            float s = 0f;
            for (int c = 0; c < C; c++) s += inp.get(r * C + c) * weight.get(w + c);
            out.set(id, s);
        }
    }

    /** dinp[r, c] = sum_o dout[r, o] * weight[e, o, c]. Written. */
    public static void backwardInput(KernelContext ctx, FloatArray dinp, FloatArray dout, FloatArray weight,
                                     IntArray offsets, int R, int C, int OC, int E) {
        int id = ctx.globalIdx;
        if (id < R * C) {
            int r = id / C;
            int c = id - r * C;
            int w = expertOf(offsets, r, E) * OC * C + c;
            float s = 0f;
            for (int o = 0; o < OC; o++) s += dout.get(r * OC + o) * weight.get(w + o * C);
            dinp.set(id, s);
        }
    }

    /** dweight[e, o, c] += sum over expert e's rows r of dout[r, o] * inp[r, c]. Accumulated. */
    public static void backwardWeight(KernelContext ctx, FloatArray dweight, FloatArray dout, FloatArray inp,
                                      IntArray offsets, int R, int C, int OC, int E) {
        int id = ctx.globalIdx;
        if (id < E * OC * C) {
            int e = id / (OC * C);
            int oc = id - e * OC * C;
            int o = oc / C;
            int c = oc - o * C;
            int start = offsets.get(e);
            int end = offsets.get(e + 1);
            float s = 0f;
            for (int r = start; r < end; r++) s += dout.get(r * OC + o) * inp.get(r * C + c);
            dweight.set(id, dweight.get(id) + s);
        }
    }

    /** The expert owning row r: the number of experts whose rows end at or before r. */
    private static int expertOf(IntArray offsets, int r, int E) {
        int e = 0;
        for (int i = 1; i <= E; i++) {
            if (offsets.get(i) <= r) e++;
        }
        return e;
    }
}
