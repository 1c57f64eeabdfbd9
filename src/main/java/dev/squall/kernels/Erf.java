package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The error function in float (SPEC §3.1), for Derf. Java's Math has no erf, nor does TornadoVM's
 * TornadoMath, so this is written from fma, exp and one branch on |x|: it ports to an OpenCL kernel
 * line for line.
 *
 * <ul>
 *   <li>|x| &lt; 1: erf(x) = x + x * P(x^2), P of degree 6 fitted (minimax, weighted for relative error)
 *       to erf(x)/x - 1. Adding the exact leading term x last keeps tiny and subnormal x at
 *       2x/sqrt(pi) to within rounding.</li>
 *   <li>|x| &ge; 1: erf(|x|) = 1 - e^(-x^2) R(|x|), R of degree 9 in z = |x| - 2.5 fitted to
 *       erfc(x) e^(x^2) on [1, 4] (centred so the Horner terms shrink geometrically instead of
 *       cancelling). |x| is clamped to 4, where erfc(4) = 1.5e-8 is below half an ulp of 1, so the
 *       result saturates to exactly 1 without a third branch. The factor e^(-x^2) is the Gaussian
 *       Derf's backward needs anyway, so {@link #erf(FloatVector, FloatVector)} lets it share one exp.</li>
 * </ul>
 * Both fits are far below float rounding (1.2e-9 and 5e-10 weighted error), so the error is the
 * float evaluation's. Measured against {@code ErfRef} over [-10, 10] stepped by 2^-12, 200k
 * log-uniform magnitudes in [1e-6, 10] and tiny values down to subnormals: see {@code ErfTest}, which
 * prints the figures (max relative error 6.5e-8, max absolute error 5.1e-8, at most 0.85 ulp).
 */
public final class Erf {
    private Erf() {}

    // erf(x)/x - 1 on x^2 in [0, 1]
    static final float P0 = 1.283791661e-01f, P1 = -3.761262596e-01f, P2 = 1.128358543e-01f,
            P3 = -2.685381286e-02f, P4 = 5.188327748e-03f, P5 = -8.010193706e-04f, P6 = 7.853861462e-05f;
    // erfc(x) e^(x^2) on x in [1, 4], in z = x - MID
    static final float R0 = 2.108063251e-01f, R1 = -7.434950024e-02f, R2 = 2.492940240e-02f,
            R3 = -7.999175228e-03f, R4 = 2.523487434e-03f, R5 = -6.475524860e-04f, R6 = 2.214396081e-04f,
            R7 = -1.398782042e-04f, R8 = -5.969838821e-05f, R9 = -2.834914449e-05f;
    static final float SPLIT = 1f, SATURATE = 4f, MID = 2.5f;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    public static float erf(float x) {
        float a = Math.abs(x);
        if (a < SPLIT) {
            float s = x * x;
            float p = P6;
            p = Math.fma(p, s, P5);
            p = Math.fma(p, s, P4);
            p = Math.fma(p, s, P3);
            p = Math.fma(p, s, P2);
            p = Math.fma(p, s, P1);
            p = Math.fma(p, s, P0);
            return Math.fma(p, x, x);
        }
        float t = Math.min(a, SATURATE);
        float z = t - MID;
        float r = R9;
        r = Math.fma(r, z, R8);
        r = Math.fma(r, z, R7);
        r = Math.fma(r, z, R6);
        r = Math.fma(r, z, R5);
        r = Math.fma(r, z, R4);
        r = Math.fma(r, z, R3);
        r = Math.fma(r, z, R2);
        r = Math.fma(r, z, R1);
        r = Math.fma(r, z, R0);
        float gauss = LaneMath.exp(-t * t);
        return Math.copySign(Math.fma(-gauss, r, 1f), x);
    }

    /**
     * The same formulas lane by lane: both branches are computed and blended, so it equals
     * {@link #erf(float)} up to the last bit of exp (the vector EXP is within 1 ulp). x must be of
     * {@code FloatVector.SPECIES_PREFERRED}, the species every kernel here uses.
     */
    public static FloatVector erf(FloatVector x) {
        return erf(x, LaneMath.exp(x.mul(x).neg()));
    }

    /**
     * erf(x) given gauss = e^(-x^2), which the caller has computed for its own use (Derf's backward:
     * d/dx erf = (2/sqrt(pi)) e^(-x^2)). Past |x| = 4 the product gauss * R is below 2^-25 whether
     * or not x was clamped, so the result is still exactly +-1.
     */
    public static FloatVector erf(FloatVector x, FloatVector gauss) {
        FloatVector a = x.abs();
        FloatVector s = x.mul(x);
        FloatVector p = V_P6.fma(s, V_P5);
        p = p.fma(s, V_P4);
        p = p.fma(s, V_P3);
        p = p.fma(s, V_P2);
        p = p.fma(s, V_P1);
        p = p.fma(s, V_P0);
        FloatVector small = p.fma(x, x);
        VectorMask<Float> isSmall = a.compare(VectorOperators.LT, V_SPLIT);
        if (isSmall.allTrue()) return small;
        FloatVector z = a.min(V_SATURATE).sub(V_MID);
        FloatVector r = V_R9.fma(z, V_R8);
        r = r.fma(z, V_R7);
        r = r.fma(z, V_R6);
        r = r.fma(z, V_R5);
        r = r.fma(z, V_R4);
        r = r.fma(z, V_R3);
        r = r.fma(z, V_R2);
        r = r.fma(z, V_R1);
        r = r.fma(z, V_R0);
        FloatVector large = gauss.neg().fma(r, V_ONE);
        large = large.blend(large.neg(), x.compare(VectorOperators.LT, V_ZERO));
        return large.blend(small, isSmall);
    }

    /*
     * The coefficients as constant vectors, not broadcast at each use. Inlined into a kernel's loop
     * together with exp, every broadcast adds its own call tree to the compiled method; C2 then hits
     * its node-count cutoff, stops inlining the broadcasts and boxes the vectors (PrintInlining:
     * "NodeCountInliningCutoff"). With constants the vector erf went from about 10 ns to about 1.2 ns
     * an element in a loop; the arithmetic, and so every bit, is the same.
     */
    private static final FloatVector V_P0 = c(P0), V_P1 = c(P1), V_P2 = c(P2), V_P3 = c(P3), V_P4 = c(P4),
            V_P5 = c(P5), V_P6 = c(P6);
    private static final FloatVector V_R0 = c(R0), V_R1 = c(R1), V_R2 = c(R2), V_R3 = c(R3), V_R4 = c(R4),
            V_R5 = c(R5), V_R6 = c(R6), V_R7 = c(R7), V_R8 = c(R8), V_R9 = c(R9);
    private static final FloatVector V_SPLIT = c(SPLIT), V_SATURATE = c(SATURATE), V_MID = c(MID),
            V_ONE = c(1f), V_ZERO = c(0f);

    private static FloatVector c(float value) {
        return FloatVector.broadcast(S, value);
    }
}
