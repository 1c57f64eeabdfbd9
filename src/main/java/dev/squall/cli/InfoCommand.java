package dev.squall.cli;

import dev.squall.kernels.Parallel;
import dev.squall.model.ConfigFields;
import dev.squall.model.Transformer;
import dev.squall.program.BackendProvider;
import java.util.List;
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
        printProviders();
        // branch_scale as the trainer resolves it (1/sqrt(2L) under hyperp when unset).
        var model = options.model.withBranchScaleFor(options.train.optimizer == dev.squall.train.TrainConfig.OptimizerKind.HYPERP);
        System.out.println("model:");
        print(ConfigFields.toMap(model));
        System.out.println("train:");
        print(ConfigFields.toMap(options.train));
        // Measured, not allocated: info answers for configurations too large to train here.
        Transformer t = dev.squall.program.Buffer.measuring(() -> new Transformer(model, options.train.batch));
        System.out.printf("parameters: %,d%n", t.program.parameterCount());
        var m = t.cfg;
        if (m.experts > 0) {
            System.out.printf("moe: %d of %d blocks, %d experts of hidden %d, %d routed per token%s, router %s;"
                            + " %,d parameters in total, %,d active per token%n", m.moeBlocks(), m.nLayers, m.experts,
                    m.expertHiddenSize(), m.routedK(), m.sharedExpert ? " + 1 shared" : "", m.router,
                    t.program.parameterCount(), t.activeParameterCount());
        }
        if (t.branchScale != 1f) System.out.printf("branch_scale: %.4g%n", t.branchScale);
        System.out.println("placement: " + describePlacement(m));
        var need = dev.squall.train.MemoryEstimate.of(options.model, options.train);
        System.out.printf("step program: %d buffers, %.1f MiB (batch %d x %d tokens); with the optimizer's state and up to"
                        + " %.0f MiB of text, training needs about %.1f MiB of the JVM's %.0f MiB heap%n",
                t.program.buffers().size(), t.program.bytes() / 1048576.0, t.B, t.T, need.textBytes() / 1048576.0,
                need.total() / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0);
        System.out.printf("flops_per_token: %.3g (forward + backward)%n", t.flopsPerToken());
        return 0;
    }

    /** The placement with what it derives from the configuration (SPEC §1.4, §5.2, §11). */
    static String describePlacement(dev.squall.model.ModelConfig m) {
        return switch (m.placement) {
            case DEEPNORM -> String.format("deepnorm, every block Post-Norm with residual weight alpha = (2L)^(1/4) = %.4g;"
                    + " init gain beta = (8L)^(-1/4) = %.4g for V, O and the FFN", m.residualWeight(), m.deepnormInitGain());
            case MIXLN -> {
                int post = m.mixlnPostBlocks();
                yield String.format("mixln, %d of %d blocks Post-Norm (%s), the rest Pre-Norm", post, m.nLayers,
                        post == 0 ? "none" : post == 1 ? "block 0" : "blocks 0-" + (post - 1));
            }
            default -> m.placement.toString();
        };
    }

    /** Each external backend with its devices (--device N), or the one-line reason it cannot run. */
    static void printProviders() {
        boolean tornado = false;
        for (BackendProvider p : BackendProvider.installed()) {
            tornado |= p.name().equals("tornado");
            try {
                List<String> devices = p.devices();
                System.out.printf("  %-8s available: %d device(s)%n", p.name(), devices.size());
                for (int i = 0; i < devices.size(); i++) System.out.printf("    --device %d  %s%n", i, devices.get(i));
            } catch (RuntimeException e) {
                System.out.printf("  %-8s unusable: %s%n", p.name(), e.getMessage());
            }
        }
        if (!tornado) {
            System.out.println("  tornado  not on the class path (./setup-tornado.sh sets up an SDK; ./squall then adds it)");
        }
    }

    static void print(Map<String, Object> m) {
        m.forEach((k, v) -> System.out.printf("  %-20s %s%n", k, v));
    }
}
