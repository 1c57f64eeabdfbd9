package dev.squall.matrix;

import dev.squall.program.Stage;
import java.util.List;

/** One row of the matrix: a stage of a case's program and the outputs it must produce. */
public record Probe(String kernel, Stage stage, List<Expect> expects) {}
