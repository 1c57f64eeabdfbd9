package dev.squall.matrix;

import dev.squall.program.Buffer;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Builds a case's program: seeded random buffers, NaN-filled outputs, stages, and double copies for the references. */
public final class Fixture {
    public final StepProgram program = new StepProgram();
    private final SplittableRandom rng;

    Fixture(long seed) { rng = new SplittableRandom(seed); }

    /** Uniform in [lo, hi). */
    public Buffer random(String name, Role role, double lo, double hi, int... shape) {
        Buffer b = program.floats(name, role, shape);
        for (int i = 0; i < b.f.length; i++) b.f[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return b;
    }

    /** Token-like ids in [0, bound). */
    public Buffer ids(String name, int bound, int... shape) {
        Buffer b = program.ints(name, Role.INPUT, shape);
        for (int i = 0; i < b.i.length; i++) b.i[i] = rng.nextInt(bound);
        return b;
    }

    /** An int buffer the stage writes: filled with -1, which no index or offset can be, so a skipped element fails. */
    public Buffer writtenInts(String name, Role role, int... shape) {
        Buffer b = program.ints(name, role, shape);
        Arrays.fill(b.i, -1);
        return b;
    }

    /** Int inputs the stage reads, from a reference (a saved plan or selection). */
    public Buffer ints(String name, Role role, int[] values, int... shape) {
        Buffer b = program.ints(name, role, shape);
        System.arraycopy(values, 0, b.i, 0, b.i.length);
        return b;
    }

    /** A buffer the stage writes: filled with NaN, so an element the kernel skips fails the comparison. */
    public Buffer written(String name, Role role, int... shape) {
        Buffer b = program.floats(name, role, shape);
        Arrays.fill(b.f, Float.NaN);
        return b;
    }

    /** A float[1] learnable scalar (or constant held in a buffer). */
    public Buffer scalar(String name, Role role, double value) {
        Buffer b = program.floats(name, role, 1);
        b.f[0] = (float) value;
        return b;
    }

    /** Stores a reference result as the float input of a later stage (a saved activation). */
    public static Buffer fill(Buffer b, double[] values) {
        for (int i = 0; i < values.length; i++) b.f[i] = (float) values[i];
        return b;
    }

    /** The float contents widened, so the reference sees exactly the inputs the kernel sees. */
    public static double[] d(Buffer b) {
        if (b.i != null) throw new IllegalArgumentException(b.name + " holds ints");
        double[] out = new double[b.f.length];
        for (int i = 0; i < out.length; i++) out[i] = b.f[i];
        return out;
    }

    public Stage forward(String name, Task... tasks) {
        Stage s = stage(name, tasks);
        program.forward.add(s);
        return s;
    }

    public Stage backward(String name, Task... tasks) {
        Stage s = stage(name, tasks);
        program.backward.add(s);
        return s;
    }

    private static Stage stage(String name, Task... tasks) {
        Stage s = new Stage(name);
        for (Task t : tasks) s.add(t);
        return s;
    }

    public static double[] zeros(int n) { return new double[n]; }
}
