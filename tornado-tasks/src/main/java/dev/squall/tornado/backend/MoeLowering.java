package dev.squall.tornado.backend;

import dev.squall.program.Task;

/** Lowering of the mixture-of-experts records (router, router losses, dispatch and combine, grouped matmuls, mix); false for any other record. */
final class MoeLowering {
    private MoeLowering() {}

    static boolean lower(Task task, StageGraph g) {
        return false;
    }
}
