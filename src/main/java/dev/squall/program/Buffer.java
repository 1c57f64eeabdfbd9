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

    public final String name;
    public final int[] shape;
    public final Role role;
    /** Exactly one of these is non-null. */
    public final float[] f;
    public final int[] i;

    private Buffer(String name, int[] shape, Role role, boolean ints) {
        this.name = name;
        this.shape = shape.clone();
        this.role = role;
        int n = size(shape);
        this.f = ints ? null : new float[n];
        this.i = ints ? new int[n] : null;
    }

    public static Buffer floats(String name, Role role, int... shape) { return new Buffer(name, shape, role, false); }

    public static Buffer ints(String name, Role role, int... shape) { return new Buffer(name, shape, role, true); }

    public int size() { return f != null ? f.length : i.length; }

    public long bytes() { return 4L * size(); }

    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("buffer too large: " + Arrays.toString(shape));
        return (int) n;
    }

    @Override public String toString() { return name + Arrays.toString(shape); }
}
