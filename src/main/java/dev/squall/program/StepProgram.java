package dev.squall.program;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model compiled once into buffers and stages (docs/DESIGN.md, "The step program"). Buffers are
 * allocated here and never again; a training step only runs stages over them. The model code fills
 * the stages; a {@link Backend} runs them.
 */
public final class StepProgram {

    /** A trainable tensor, its gradient, and whether weight decay applies (matrices yes, gains and scalars no). */
    public record Param(Buffer value, Buffer grad, boolean decay) {
        public String name() { return value.name; }
    }

    private final Map<String, Buffer> buffers = new LinkedHashMap<>();
    private final List<Param> params = new ArrayList<>();

    /** Token ids in and next-token targets, (B, T). */
    public Buffer tokens, targets;
    /** Per-token losses (B*T) and their mean in {@code loss[0]}. */
    public Buffer losses, loss;
    /** Stability indicators per layer, see {@code metricNames}. */
    public Buffer metrics;
    public final List<String> metricNames = new ArrayList<>();

    /** Embedding, one stage per block, final norm and logits. */
    public final List<Stage> forward = new ArrayList<>();
    /** Cross-entropy fused with its gradient, then the head's backward. */
    public final Stage trainLoss = new Stage("loss.train");
    /** Cross-entropy only, for validation. */
    public final Stage evalLoss = new Stage("loss.eval");
    /** One stage per block in reverse order, then the embedding. */
    public final List<Stage> backward = new ArrayList<>();
    /** Clears every gradient before a step's first micro-batch. */
    public final Stage zeroGrad = new Stage("zero_grad");
    /** Stages built outside the model (the optimizer, constant refreshes), registered so a backend can prepare them with the rest. */
    private final List<Stage> extraStages = new ArrayList<>();

    public Buffer floats(String name, Buffer.Role role, int... shape) {
        return add(Buffer.floats(name, role, shape));
    }

    public Buffer ints(String name, Buffer.Role role, int... shape) {
        return add(Buffer.ints(name, role, shape));
    }

    private Buffer add(Buffer b) {
        if (buffers.putIfAbsent(b.name, b) != null) throw new IllegalStateException("duplicate buffer " + b.name);
        return b;
    }

    /** Registers a trainable tensor with its gradient buffer ("name.grad"), zeroed by {@link #zeroGrad}. */
    public Param param(String name, boolean decay, int... shape) {
        Buffer v = floats(name, Buffer.Role.PARAM, shape);
        Buffer g = floats(name + ".grad", Buffer.Role.GRAD, shape);
        Param p = new Param(v, g, decay);
        params.add(p);
        zeroGrad.add(new Task.Zero(g));
        return p;
    }

    /** Adds a stage that runs over this program's buffers but is not one of the model's own. */
    public void register(Stage stage) {
        if (!extraStages.contains(stage)) extraStages.add(stage);
    }

    /** Every stage a step can run, in a stable order: what a backend compiles up front. */
    public List<Stage> stages() {
        List<Stage> all = new ArrayList<>();
        all.add(zeroGrad);
        all.addAll(forward);
        all.add(trainLoss);
        all.add(evalLoss);
        all.addAll(backward);
        all.addAll(extraStages);
        return all;
    }

    public List<Param> params() { return Collections.unmodifiableList(params); }

    public Map<String, Buffer> buffers() { return Collections.unmodifiableMap(buffers); }

    public Buffer buffer(String name) {
        Buffer b = buffers.get(name);
        if (b == null) throw new IllegalArgumentException("no buffer named " + name);
        return b;
    }

    public long parameterCount() {
        long n = 0;
        for (Param p : params) n += p.value.size();
        return n;
    }

    public long bytes() {
        long n = 0;
        for (Buffer b : buffers.values()) n += b.bytes();
        return n;
    }
}
