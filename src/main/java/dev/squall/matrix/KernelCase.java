package dev.squall.matrix;

import dev.squall.program.StepProgram;
import java.util.List;
import java.util.function.Function;

/**
 * One kernel family of the matrix: a small step program with seeded inputs, and its rows (usually a
 * forward and a backward stage) built from the same task records the model uses, each with the
 * outputs the double-precision references expect.
 */
public record KernelCase(String name, Function<Fixture, List<Probe>> rows) {

    /** A fresh program and rows; the same seed every time, so every device sees the same inputs. */
    public Built build() {
        Fixture f = new Fixture(name.hashCode());
        List<Probe> probes = rows.apply(f);
        return new Built(f.program, probes);
    }

    public record Built(StepProgram program, List<Probe> probes) {}
}
