package dev.squall.bench;

import dev.squall.jvm.JvmBackend;
import dev.squall.model.ModelConfig;
import dev.squall.model.NormKind;
import dev.squall.model.Transformer;
import dev.squall.program.Stage;
import dev.squall.train.AdamWOptimizer;
import dev.squall.train.TrainConfig;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * One whole training step (zero grad, forward, fused loss, backward, clipping, AdamW) of the
 * reference configuration: d=256, 4 layers, 4 heads, SwiGLU hidden 704, T=256, batch 8, byte vocab,
 * AdamW. tokens/s = 2048 / (seconds per step). The norm kind is a parameter so norms can be compared
 * inside one run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class TrainStepBench {
    @Param({"rmsnorm"}) String norm;

    Transformer model;
    AdamWOptimizer optimizer;
    JvmBackend jvm = new JvmBackend();
    int step;

    @Setup
    public void setup() {
        ModelConfig c = ModelConfig.small();
        c.norm = NormKind.parse(norm);
        TrainConfig t = TrainConfig.preset("small");
        model = new Transformer(c, t.batch);
        optimizer = new AdamWOptimizer(model.program, t);
        model.initialize();
        jvm.run(model.refreshConstants);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < model.program.tokens.i.length; i++) {
            model.program.tokens.i[i] = r.nextInt(256);
            model.program.targets.i[i] = r.nextInt(256);
        }
    }

    @Benchmark
    public float trainStep() {
        jvm.run(model.program.zeroGrad);
        for (Stage s : model.program.forward) jvm.run(s);
        jvm.run(model.program.trainLoss);
        for (Stage s : model.program.backward) jvm.run(s);
        optimizer.prepare(step++ % 1000);
        jvm.run(optimizer.stage);
        return model.program.loss.f[0];
    }

    @Benchmark
    public float forwardOnly() {
        for (Stage s : model.program.forward) jvm.run(s);
        jvm.run(model.program.evalLoss);
        return model.program.loss.f[0];
    }
}
