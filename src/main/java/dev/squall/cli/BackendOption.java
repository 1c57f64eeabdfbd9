package dev.squall.cli;

import dev.squall.program.Backend;
import picocli.CommandLine.Option;

/** {@code --backend}, shared by the commands that run a model. */
final class BackendOption {
    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "jvm", description = "jvm | tornado (default: ${DEFAULT-VALUE}).")
    String name;

    Backend create() { return Backends.create(name); }
}
