package dev.squall.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Kernels that do nothing but name their arguments. TornadoVM allocates a device buffer only for
 * an array some task uses, so the backend's first graph touches every array that lives on the
 * device; its first execution then allocates and uploads them all at once (weights, optimizer
 * state, activations), and every later graph consumes them from the device.
 *
 * <pre>
 * Shapes: each argument any length >= 1        Launch: a one-iteration @Parallel loop
 * </pre>
 *
 * <p>Element 0 is read and written back unchanged (indexed by the loop variable: a constant index
 * would read as a loop-carried dependency to the auto-paralleliser), so the kernel is a no-op that the compiler
 * cannot drop. One array may appear only once per task (a TornadoVM rule), so short lists are
 * padded with distinct one-element arrays.
 */
public final class TouchKernels {
    private TouchKernels() {}

    /** How many arrays one touch task names. */
    public static final int WIDTH = 8;

    public static void floats(FloatArray a0, FloatArray a1, FloatArray a2, FloatArray a3,
                              FloatArray a4, FloatArray a5, FloatArray a6, FloatArray a7) {
        for (@Parallel int i = 0; i < 1; i++) {
            a0.set(i, a0.get(i));
            a1.set(i, a1.get(i));
            a2.set(i, a2.get(i));
            a3.set(i, a3.get(i));
            a4.set(i, a4.get(i));
            a5.set(i, a5.get(i));
            a6.set(i, a6.get(i));
            a7.set(i, a7.get(i));
        }
    }

    public static void ints(IntArray a0, IntArray a1, IntArray a2, IntArray a3,
                            IntArray a4, IntArray a5, IntArray a6, IntArray a7) {
        for (@Parallel int i = 0; i < 1; i++) {
            a0.set(i, a0.get(i));
            a1.set(i, a1.get(i));
            a2.set(i, a2.get(i));
            a3.set(i, a3.get(i));
            a4.set(i, a4.get(i));
            a5.set(i, a5.get(i));
            a6.set(i, a6.get(i));
            a7.set(i, a7.get(i));
        }
    }
}
