package dev.squall.tornado;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.program.Buffer;
import dev.squall.program.StepProgram;
import dev.squall.tornado.backend.TornadoBackend;
import dev.squall.tornado.backend.TornadoBackendProvider;
import java.util.Arrays;

/**
 * Shared pieces of the Muon, Newton–Schulz and sphere device tests: the records run through the real
 * backend (so what is tested is what {@code OptimizerLowering} emits), seeded buffers, and
 * norm-relative comparisons per tensor or per slice.
 */
final class OptimizerDevice {
    private OptimizerDevice() {}

    static TornadoBackend device() {
        return (TornadoBackend) new TornadoBackendProvider().create(0);
    }

    /** A float buffer of the program filled with N(0, scale²) values. */
    static Buffer random(StepProgram p, String name, Buffer.Role role, long seed, double scale, int... shape) {
        Buffer b = p.floats(name, role, shape);
        System.arraycopy(DeviceArrays.normal(seed, b.size(), scale), 0, b.f, 0, b.size());
        return b;
    }

    /** A float buffer of the program filled with NaN: what the device leaves unwritten fails the comparison. */
    static Buffer poisoned(StepProgram p, String name, int... shape) {
        Buffer b = p.floats(name, Buffer.Role.ACTIVATION, shape);
        Arrays.fill(b.f, Float.NaN);
        return b;
    }

    /** ||got - want|| / ||want|| over [from, from + n) <= tol (NaN never passes). */
    static void normRelative(String what, float[] got, double[] want, int from, int n, double tol) {
        double diff = 0, ref = 0;
        for (int i = from; i < from + n; i++) {
            double d = got[i] - want[i];
            diff += d * d;
            ref += want[i] * want[i];
        }
        double rel = Math.sqrt(diff) / Math.max(Math.sqrt(ref), 1e-30);
        assertTrue(rel <= tol, String.format("%s: norm-relative error %.3g > %.1g", what, rel, tol));
    }

    /** |got - want| <= atol + rtol |want| for every element of [0, want.length). */
    static void close(String what, float[] got, double[] want, double rtol, double atol) {
        for (int i = 0; i < want.length; i++) {
            double g = got[i];
            assertTrue(Math.abs(g - want[i]) <= atol + rtol * Math.abs(want[i]),
                    String.format("%s[%d]: device %.9g, reference %.9g", what, i, g, want[i]));
        }
    }

    static double[] d(float[] a) { return DeviceArrays.d(a); }

    static double norm(float[] x) {
        double s = 0;
        for (float v : x) s += (double) v * v;
        return Math.sqrt(s);
    }
}
