package dev.squall.train;

import dev.squall.model.ConfigException;
import dev.squall.model.ModelConfig;
import dev.squall.model.Transformer;
import dev.squall.program.Buffer;
import dev.squall.program.StepProgram;

/**
 * The host memory a training configuration needs, known before any of it is allocated: the step
 * program (parameters, gradients, optimizer state, activations) built in measuring mode
 * ({@link Buffer#measuring}), plus the training text up to its size cap. {@link #require} refuses a
 * configuration that cannot fit in this JVM's heap with the estimate and the fix, instead of an
 * {@code OutOfMemoryError} minutes later.
 */
public final class MemoryEstimate {
    /** Heap left for everything that is not a buffer (the JIT, plots, the checkpoint writer's chunks). */
    static final long HEADROOM_BYTES = 256L << 20;

    /** Bytes of the step program's buffers, the text, and the largest single buffer's name if it exceeds a Java array. */
    public record Need(long programBytes, long textBytes, String oversizedBuffer) {
        public long total() { return programBytes + textBytes; }
    }

    private MemoryEstimate() {}

    /** Measures the program {@code model} and {@code train} would build, without allocating it. */
    public static Need of(ModelConfig model, TrainConfig train) {
        ModelConfig m = model.withBranchScaleFor(train.optimizer == TrainConfig.OptimizerKind.HYPERP);
        StepProgram program = Buffer.measuring(() -> {
            Transformer t = new Transformer(m, train.batch);
            t.buildLoss(train.accumSteps);
            Optimizer.create(t.program, train, t.cfg);
            return t.program;
        });
        String oversized = null;
        for (Buffer b : program.buffers().values()) {
            if (b.exceedsArrayLimit()) {
                oversized = b.toString();
                break;
            }
        }
        return new Need(program.bytes(), train.dataCapBytes, oversized);
    }

    /** Throws a one-line {@link ConfigException} with the estimate and the fix when the configuration cannot fit. */
    public static void require(ModelConfig model, TrainConfig train) {
        Need need = of(model, train);
        String shape = "batch " + train.batch + " x seq_len " + model.seqLen + ", d_model " + model.dModel + ", "
                + model.nLayers + " layers";
        if (need.oversizedBuffer() != null) {
            throw new ConfigException("buffer " + need.oversizedBuffer() + " has more than 2^31 elements, more than a Java"
                    + " array holds (" + shape + "); lower batch or seq_len");
        }
        long heap = Runtime.getRuntime().maxMemory();
        if (need.total() + HEADROOM_BYTES > heap) {
            throw new ConfigException(String.format("this configuration needs about %s (%s of buffers for %s, plus up to %s"
                            + " of text) but the JVM may use %s; lower batch, seq_len or data_cap_bytes, or raise the heap"
                            + " with SQUALL_JAVA_OPTS=-Xmx<size> (this machine has %s)",
                    gib(need.total() + HEADROOM_BYTES), gib(need.programBytes()), shape, gib(need.textBytes()), gib(heap),
                    gib(physicalMemory())));
        }
    }

    static String gib(long bytes) {
        return bytes >= (1L << 30) ? String.format("%.1f GiB", bytes / (double) (1L << 30))
                : String.format("%.0f MiB", bytes / (double) (1L << 20));
    }

    private static long physicalMemory() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }
}
