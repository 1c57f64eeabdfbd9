package dev.squall.jvm;

import dev.squall.kernels.Parallel;
import dev.squall.program.Backend;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;

/** The default backend: each task calls its JVM kernel, in order; kernels parallelise inside. */
public final class JvmBackend implements Backend {
    @Override public String name() { return "jvm (" + Parallel.THREADS + " threads)"; }

    @Override public void load(StepProgram program) {}

    @Override public void run(Stage stage) {
        for (Task t : stage.tasks) JvmKernels.run(t);
    }

    @Override public void download(Buffer... buffers) {}

    @Override public void upload(Buffer... buffers) {}
}
