package dev.squall.program;

/**
 * Runs the stages of a step program. The model and the training loop only talk to this interface,
 * so the same loop drives the JVM or an accelerator.
 */
public interface Backend extends AutoCloseable {
    String name();

    /** Called once, after the program is built and its parameters initialised. */
    void load(StepProgram program);

    void run(Stage stage);

    /** Makes the host copies of these buffers current (a no-op where the host copy is the only copy). */
    void download(Buffer... buffers);

    /** Pushes host changes of these buffers to where the stages run (a no-op on the JVM). */
    void upload(Buffer... buffers);

    @Override default void close() {}
}
