package dev.squall.testing;

import java.util.SplittableRandom;

/** Test data: seeded random arrays, NaN poison, float/double conversion. */
public final class Arrays2 {
    private Arrays2() {}

    /** Uniform in [-scale, scale), from a fresh generator seeded with {@code seed}. */
    public static float[] uniform(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    /** Standard normal times scale. */
    public static float[] normal(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = r.nextDouble(), u2 = r.nextDouble();
            double rad = Math.sqrt(-2 * Math.log(1 - u1));
            a[i] = (float) (scale * rad * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) a[i + 1] = (float) (scale * rad * Math.sin(2 * Math.PI * u2));
        }
        return a;
    }

    /** An array every element of which is NaN: a kernel that leaves one unwritten fails the comparison. */
    public static float[] poisoned(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, Float.NaN);
        return a;
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    public static float[] copy(float[] a) {
        return a.clone();
    }

    /** base + delta, elementwise, in double: what an accumulating (+=) kernel must produce. */
    public static double[] plus(float[] base, double[] delta) {
        double[] d = new double[base.length];
        for (int i = 0; i < base.length; i++) d[i] = base[i] + delta[i];
        return d;
    }
}
