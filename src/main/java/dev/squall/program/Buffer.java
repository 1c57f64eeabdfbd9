package dev.squall.program;

import java.util.Arrays;

/**
 * A named, shaped array of a step program, allocated once. A backend may mirror it elsewhere (the
 * TornadoVM backend keeps a device copy); the host array here is what checkpoints read and write.
 */
public final class Buffer {

    /**
     * What a buffer holds decides who moves it and what a checkpoint keeps: parameters, optimizer
     * state and model state (BHyT's c_attn) persist; activations and gradients are scratch.
     */
    public enum Role { PARAM, GRAD, OPTIMIZER, STATE, ACTIVATION, INPUT, OUTPUT }

    /**
     * Bound while a program is only being measured ({@link #measuring}): buffers then record their
     * size but allocate nothing, so the memory a configuration needs is known before it is spent.
     */
    private static final ScopedValue<Boolean> MEASURING = ScopedValue.newInstance();

    public final String name;
    public final int[] shape;
    public final Role role;
    /** Exactly one of these is non-null (empty while measuring). */
    public final float[] f;
    public final int[] i;
    private final long elements;

    private Buffer(String name, int[] shape, Role role, boolean ints) {
        this.name = name;
        this.shape = shape.clone();
        this.role = role;
        boolean measuring = MEASURING.isBound();
        this.elements = measuring ? elements(shape) : size(shape);
        int n = measuring ? 0 : (int) elements;
        this.f = ints ? null : new float[n];
        this.i = ints ? new int[n] : null;
    }

    /**
     * Runs {@code build} with allocation turned off: every buffer it creates has its shape and
     * {@link #bytes} but empty arrays. For sizing a program, never for running one.
     */
    public static <T> T measuring(java.util.function.Supplier<T> build) {
        return ScopedValue.where(MEASURING, Boolean.TRUE).call(build::get);
    }

    public static Buffer floats(String name, Role role, int... shape) { return new Buffer(name, shape, role, false); }

    public static Buffer ints(String name, Role role, int... shape) { return new Buffer(name, shape, role, true); }

    public int size() { return (int) elements; }

    public long bytes() { return 4L * elements; }

    /** The element count, saturated where it overflows (measuring must report a size, not fail on it). */
    private static long elements(int[] shape) {
        long n = 1;
        try {
            for (int d : shape) n = Math.multiplyExact(n, d);
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE / 8;
        }
        return n;
    }

    /** Whether this buffer is larger than one Java array can hold (only a measured buffer can be). */
    public boolean exceedsArrayLimit() { return elements > Integer.MAX_VALUE; }

    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("buffer too large: " + Arrays.toString(shape));
        return (int) n;
    }

    @Override public String toString() { return name + Arrays.toString(shape); }
}
