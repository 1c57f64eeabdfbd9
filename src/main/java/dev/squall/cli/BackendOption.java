package dev.squall.cli;

import dev.squall.program.Backend;
import picocli.CommandLine.Option;

/** {@code --backend} and {@code --device}, shared by the commands that run a model. */
final class BackendOption {
    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "jvm", description = "jvm | tornado (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--device", paramLabel = "N", defaultValue = "0",
            description = "Device index of the backend, as squall info lists them (default: ${DEFAULT-VALUE}).")
    int device;

    Backend create() { return Backends.create(name, device); }
}
