package dev.squall.program;

import dev.squall.kernels.Parallel;

/** The default backend: each task calls its JVM kernel, in order; kernels parallelise inside. */
public final class JvmBackend implements Backend {
    @Override public String name() { return "jvm (" + Parallel.THREADS + " threads)"; }

    @Override public void load(StepProgram program) {}

    @Override public void run(Stage stage) {
        for (Task t : stage.tasks) t.runJvm();
    }

    @Override public void download(Buffer... buffers) {}

    @Override public void upload(Buffer... buffers) {}
}
