package dev.squall.program;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A backend that lives outside the core jar (the TornadoVM backend in {@code tornado-tasks}), found
 * through {@link ServiceLoader} when its jar is on the class path. The core never depends on it, so
 * Squall builds and runs with nothing but a JDK.
 */
public interface BackendProvider {
    /** The {@code --backend} name. */
    String name();

    /**
     * One human-readable line per device, in {@code --device} order. Throws with a one-line reason
     * when the runtime behind the provider is unusable (no driver, no SDK flags on the JVM).
     */
    List<String> devices();

    /** A backend on device {@code device} (an index into {@link #devices()}). */
    Backend create(int device);

    /** Every provider on the class path, in class-path order. */
    static List<BackendProvider> installed() {
        List<BackendProvider> out = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(out::add);
        return out;
    }
}
