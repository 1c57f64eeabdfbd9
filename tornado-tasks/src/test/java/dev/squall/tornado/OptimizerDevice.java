package dev.squall.tornado;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.kernels.Muon;
import dev.squall.kernels.NewtonSchulz;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Buffer;
import dev.squall.program.Hyper;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
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

    /** What {@link #muonDirection} made: the weight, its gradient and momentum, NS5's output, Muon's hyper array. */
    record MuonDirection(Buffer param, Buffer grad, Buffer momentum, Buffer ortho, Buffer hyper) {}

    /**
     * A seeded (slices, rows, cols) weight and gradient, zero momentum, and the first two tasks of a
     * Muon or MuonH step added to the stage: momentum, then NS5 of it into ortho (its scratch NaN).
     */
    static MuonDirection muonDirection(StepProgram p, Stage stage, long seed, int slices, int rows, int cols) {
        int size = rows * cols, n = slices * size, gramSize = NewtonSchulz.gramSize(rows, cols);
        Buffer param = random(p, "param", Role.PARAM, seed, 0.05, slices, rows, cols);
        Buffer grad = random(p, "grad", Role.GRAD, seed + 1, 0.01, slices, rows, cols);
        Buffer momentum = p.floats("momentum", Role.OPTIMIZER, slices, rows, cols);
        Buffer update = poisoned(p, "update", n), ortho = poisoned(p, "ortho", n);
        Buffer x = poisoned(p, "x", size), next = poisoned(p, "next", size);
        Buffer gram = poisoned(p, "gram", gramSize), gramSquared = poisoned(p, "gram_sq", gramSize);
        Buffer hyper = p.floats("hyper", Role.INPUT, Hyper.SIZE);
        stage.add(new Task.MuonMomentum(update, momentum, grad, hyper, n));
        stage.add(new Task.NewtonSchulzOrthogonalize(ortho, update, x, gram, gramSquared, next, slices, rows, cols));
        return new MuonDirection(param, grad, momentum, ortho, hyper);
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
