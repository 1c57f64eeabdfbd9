package dev.squall.cli;

import dev.squall.kernels.Parallel;
import dev.squall.model.ConfigFields;
import dev.squall.model.Transformer;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Backends and devices, the resolved configuration (every key --set and --config accept), "
                + "parameter count, memory and FLOPs per token.")
final class InfoCommand implements Callable<Integer> {
    @Mixin ModelOptions options;

    @Override
    public Integer call() throws Exception {
        options.resolve();
        System.out.println("backends:");
        System.out.printf("  jvm      available: %d threads, Vector API %d-bit (%s)%n", Parallel.THREADS,
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), System.getProperty("java.vm.version"));
        System.out.println("  tornado  not available in this version (device kernels exist in tornado-tasks/; the backend does not yet)");
        System.out.println("model:");
        print(ConfigFields.toMap(options.model));
        System.out.println("train:");
        print(ConfigFields.toMap(options.train));
        Transformer t = new Transformer(options.model, options.train.batch);
        System.out.printf("parameters: %,d%n", t.program.parameterCount());
        System.out.printf("step program: %d buffers, %.1f MiB (batch %d x %d tokens)%n", t.program.buffers().size(),
                t.program.bytes() / 1048576.0, t.B, t.T);
        System.out.printf("flops_per_token: %.3g (forward + backward)%n", t.flopsPerToken());
        return 0;
    }

    static void print(Map<String, Object> m) {
        m.forEach((k, v) -> System.out.printf("  %-18s %s%n", k, v));
    }
}
