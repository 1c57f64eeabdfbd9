package dev.squall.cli;

import dev.squall.model.ConfigException;
import dev.squall.program.Backend;
import dev.squall.program.JvmBackend;

/** Picks a backend by name. */
final class Backends {
    private Backends() {}

    static Backend create(String name) {
        return switch (name) {
            case "jvm" -> new JvmBackend();
            case "tornado" -> throw new ConfigException("--backend tornado: this version of Squall has no TornadoVM "
                    + "backend yet; use --backend jvm");
            default -> throw new ConfigException("--backend: unknown backend '" + name + "'; use jvm or tornado");
        };
    }
}
