package dev.squall.tornado.backend;

import dev.squall.program.Buffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.IdentityHashMap;
import java.util.Map;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The off-heap TornadoVM array behind each step-program {@link Buffer}. The host {@code float[]}
 * stays what checkpoints read and write; the mirror is what TornadoVM moves to and from the device.
 * Copies between the two are explicit, so every byte that crosses is one the backend asked for.
 */
final class DeviceMemory {
    private final Map<Buffer, Object> mirrors = new IdentityHashMap<>();

    /** The mirror of {@code b} (a {@link FloatArray} or an {@link IntArray}), created with the host's values. */
    Object of(Buffer b) {
        return mirrors.computeIfAbsent(b, key -> {
            Object m = key.f != null ? new FloatArray(key.size()) : new IntArray(key.size());
            copy(key, m, true);
            return m;
        });
    }

    FloatArray f(Buffer b) {
        if (b.f == null) throw new IllegalArgumentException(b + " holds ints, a float kernel argument was expected");
        return (FloatArray) of(b);
    }

    IntArray i(Buffer b) {
        if (b.i == null) throw new IllegalArgumentException(b + " holds floats, an int kernel argument was expected");
        return (IntArray) of(b);
    }

    /** Host array into its mirror. */
    void hostToMirror(Buffer b) { copy(b, of(b), true); }

    /** Mirror into the host array. */
    void mirrorToHost(Buffer b) { copy(b, of(b), false); }

    private static void copy(Buffer b, Object mirror, boolean toMirror) {
        if (b.f != null) {
            MemorySegment seg = ((FloatArray) mirror).getSegment();
            if (toMirror) MemorySegment.copy(b.f, 0, seg, ValueLayout.JAVA_FLOAT, 0, b.f.length);
            else MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, 0, b.f, 0, b.f.length);
        } else {
            MemorySegment seg = ((IntArray) mirror).getSegment();
            if (toMirror) MemorySegment.copy(b.i, 0, seg, ValueLayout.JAVA_INT, 0, b.i.length);
            else MemorySegment.copy(seg, ValueLayout.JAVA_INT, 0, b.i, 0, b.i.length);
        }
    }
}
