package dev.squall.cli;

import dev.squall.model.ConfigException;
import java.io.IOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code squall}: train, evaluate, sample from and inspect small Llama-style language models. */
@Command(name = "squall", mixinStandardHelpOptions = true, version = "squall 0.1.0",
        description = "Train small Llama-style language models on the JVM or, through TornadoVM, on accelerators.",
        subcommands = {TrainCommand.class, EvalCommand.class, GenerateCommand.class, InfoCommand.class,
                PlotCommand.class, CompareCommand.class, MatrixCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    /** Exit codes: 0 success, 1 bad input (message names it), 3 training diverged, 130 interrupted. */
    public static final int BAD_INPUT = 1, DIVERGED = 3;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line and returns its exit code (no System.exit, so tests can call it). */
    public static int run(String... args) {
        System.setProperty("java.awt.headless", "true");
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException || e instanceof IOException || e instanceof IllegalArgumentException) {
                cmd.getErr().println("squall: " + e.getMessage());
                return BAD_INPUT;
            }
            if (e instanceof dev.squall.train.Diverged) {
                cmd.getErr().println("squall: training stopped: " + e.getMessage());
                return DIVERGED;
            }
            throw e;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // The checks before a run estimate its buffers; this is what no estimate foresaw.
            System.err.println("squall: out of memory (the JVM may use " + Runtime.getRuntime().maxMemory() / (1 << 20)
                    + " MiB); lower batch, seq_len or data_cap_bytes, or raise the heap with SQUALL_JAVA_OPTS=-Xmx<size>");
            return BAD_INPUT;
        }
    }
}
