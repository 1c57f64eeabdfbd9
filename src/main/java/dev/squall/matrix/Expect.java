package dev.squall.matrix;

import dev.squall.program.Buffer;

/**
 * What one output buffer of a matrix row must hold after its stage ran: the double-precision
 * reference, the metric it is judged by and the tolerance, with the one-line reason for both.
 *
 * @param base for {@link Metric#DELTA} the buffer's value before the stage (the change is judged,
 *             because an in-place update is tiny next to the value it updates); else null
 */
public record Expect(Buffer buffer, double[] ref, double[] base, Metric metric, double tol, String why) {

    public enum Metric {
        /** max_i |got - ref| / (|ref| + floor), floor = {@link #FLOOR} x RMS of ref. */
        ELEMENTWISE("elementwise"),
        /** ||got - ref||_2 / ||ref||_2, for reductions whose rounding scales with their length. */
        NORM_RELATIVE("norm-relative"),
        /** NORM_RELATIVE applied to the change (got - base) against (ref - base). */
        DELTA("norm-relative on the change"),
        /** The number of elements of an int buffer that differ from the reference: indices and counts match exactly. */
        MISMATCHES("mismatched elements");

        public final String label;

        Metric(String label) { this.label = label; }
    }

    /**
     * Elements that cancel to nearly zero are judged against the scale of their tensor, where a
     * relative error of a value that is itself rounding noise would mean nothing.
     */
    public static final double FLOOR = 0.1;

    public static Expect elementwise(Buffer b, double[] ref, double tol, String why) {
        return new Expect(b, ref, null, Metric.ELEMENTWISE, tol, why);
    }

    public static Expect normRelative(Buffer b, double[] ref, double tol, String why) {
        return new Expect(b, ref, null, Metric.NORM_RELATIVE, tol, why);
    }

    public static Expect delta(Buffer b, double[] base, double[] ref, double tol, String why) {
        return new Expect(b, ref, base, Metric.DELTA, tol, why);
    }

    /** An int output (selected experts, a dispatch plan): tolerance 0, judged by {@link Metric#MISMATCHES}. */
    public static Expect exactInts(Buffer b, int[] ref, String why) {
        double[] r = new double[ref.length];
        for (int i = 0; i < ref.length; i++) r[i] = ref[i];
        return new Expect(b, r, null, Metric.MISMATCHES, 0, why);
    }

    /** The error of the buffer's contents: its ints for {@link Metric#MISMATCHES}, else its floats. */
    public double error(Buffer got) {
        return metric == Metric.MISMATCHES ? mismatches(got.i) : error(got.f);
    }

    /** The error of {@code got} under this metric; infinite when any element is NaN or infinite. */
    public double error(float[] got) {
        if (metric == Metric.MISMATCHES) throw new IllegalArgumentException(buffer.name + " is compared as ints");
        if (got.length != ref.length) return Double.POSITIVE_INFINITY;
        for (float g : got) if (!Float.isFinite(g)) return Double.POSITIVE_INFINITY;
        return switch (metric) {
            case ELEMENTWISE -> elementwise(got, ref);
            case NORM_RELATIVE -> normRelative(got, ref, null);
            case DELTA -> normRelative(got, ref, base);
            case MISMATCHES -> throw new AssertionError();
        };
    }

    private double mismatches(int[] got) {
        if (got == null || got.length != ref.length) return Double.POSITIVE_INFINITY;
        int wrong = 0;
        for (int i = 0; i < got.length; i++) if (got[i] != ref[i]) wrong++;
        return wrong;
    }

    private static double elementwise(float[] got, double[] ref) {
        int n = ref.length;
        double ss = 0;
        for (double r : ref) ss += r * r;
        double floor = FLOOR * Math.sqrt(ss / Math.max(1, n));
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double den = Math.abs(ref[i]) + floor;
            double e = den == 0 ? Math.abs(got[i] - ref[i]) : Math.abs(got[i] - ref[i]) / den;
            worst = Math.max(worst, e);
        }
        return worst;
    }

    private static double normRelative(float[] got, double[] ref, double[] base) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            double b = base == null ? 0 : base[i];
            double d = got[i] - ref[i], r = ref[i] - b;
            num += d * d;
            den += r * r;
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }
}
