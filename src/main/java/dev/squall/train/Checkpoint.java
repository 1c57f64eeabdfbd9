package dev.squall.train;

import dev.squall.io.Json;
import dev.squall.io.SafeTensors;
import dev.squall.model.ConfigException;
import dev.squall.model.ConfigFields;
import dev.squall.model.ModelConfig;
import dev.squall.program.Buffer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Checkpoints as safetensors: parameters under their model names (loadable as a PyTorch state
 * dict), AdamW moments as {@code name.adam_m}/{@code name.adam_v}, Muon and MuonH momentum as
 * {@code name.muon_momentum}, model state such as BHyT's c_attn, and in the metadata the step, the batch sampler's state and both configurations as JSON.
 * Written atomically, so an interrupted save leaves the previous checkpoint intact.
 */
public final class Checkpoint {
    public static final String FORMAT = "squall-checkpoint-1";

    private Checkpoint() {}

    public static void save(Path file, Trainer t) throws IOException {
        t.backend.download(t.persistentBuffers().toArray(Buffer[]::new));
        SafeTensors.Writer w = new SafeTensors.Writer()
                .metadata("format", FORMAT)
                .metadata("step", Integer.toString(t.step()))
                .metadata("data_state", join(t.dataState()))
                .metadata("model_config", Json.write(ConfigFields.toMap(t.model.cfg)))
                .metadata("train_config", Json.write(ConfigFields.toMap(t.train)));
        for (Buffer b : t.persistentBuffers()) w.add(b.name, b.f, b.shape);
        w.writeAtomically(file);
    }

    /** The model configuration a checkpoint was written with. */
    @SuppressWarnings("unchecked")
    public static ModelConfig modelConfig(SafeTensors st) throws IOException {
        String json = st.metadata().get("model_config");
        if (!FORMAT.equals(st.metadata().get("format")) || json == null) {
            throw new IOException(st.file() + ": not a Squall checkpoint (no '" + FORMAT
                    + "' metadata); pass a file written by squall train");
        }
        ModelConfig c = new ModelConfig();
        ConfigFields.apply(c, (Map<String, Object>) Json.parse(json, st.file() + ": model_config"), st.file().toString());
        return c;
    }

    /** The training configuration a checkpoint was written with. */
    @SuppressWarnings("unchecked")
    public static dev.squall.train.TrainConfig trainConfig(SafeTensors st) throws IOException {
        modelConfig(st); // validates the format
        TrainConfig c = new TrainConfig();
        ConfigFields.apply(c, (Map<String, Object>) Json.parse(st.metadata().get("train_config"), st.file() + ": train_config"),
                st.file().toString());
        return c;
    }

    /** Loads weights, optimizer state and the step into {@code t}, after checking the file matches its model. */
    public static void load(Path file, Trainer t) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        ModelConfig saved = modelConfig(st);
        // Checkpoints from before branch_scale was recorded ran without one, i.e. with 1.
        if (saved.branchScale == null) saved.branchScale = 1.0;
        Map<String, Object> want = ConfigFields.toMap(t.model.cfg), have = ConfigFields.toMap(saved);
        for (String key : want.keySet()) {
            if (!java.util.Objects.equals(String.valueOf(want.get(key)), String.valueOf(have.get(key)))) {
                throw new ConfigException(file + ": checkpoint is for another model (" + key + " = " + have.get(key)
                        + ", this run has " + want.get(key) + "); use the same configuration or a new --out directory");
            }
        }
        for (Buffer b : t.persistentBuffers()) {
            if (!st.contains(b.name)) {
                throw new IOException(file + ": tensor '" + b.name + "' is missing (written by another "
                        + "optimizer or version?); start a new run in a new --out directory");
            }
            if (!Arrays.equals(st.shape(b.name), b.shape)) {
                throw new IOException(file + ": tensor '" + b.name + "' has shape "
                        + Arrays.toString(st.shape(b.name)) + ", expected " + Arrays.toString(b.shape));
            }
            st.floats(b.name, b.f);
        }
        int step = Integer.parseInt(st.metadata().getOrDefault("step", "0"));
        t.restore(step, split(st.metadata().getOrDefault("data_state", "")));
        t.backend.upload(t.persistentBuffers().toArray(Buffer[]::new));
    }

    static String join(long[] a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ",").append(a[i]);
        return sb.toString();
    }

    static long[] split(String s) {
        if (s.isEmpty()) return new long[0];
        return Arrays.stream(s.split(",")).mapToLong(Long::parseLong).toArray();
    }
}
