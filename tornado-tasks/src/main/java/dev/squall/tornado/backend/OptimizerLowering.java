package dev.squall.tornado.backend;

import dev.squall.program.Task;

/** Lowering of the Muon, Newton-Schulz and Frobenius-sphere records; false for any other record. */
final class OptimizerLowering {
    private OptimizerLowering() {}

    static boolean lower(Task task, StageGraph g) {
        return false;
    }
}
