package dev.squall.train;

import dev.squall.io.Json;
import dev.squall.io.SafeTensors;
import dev.squall.model.ConfigException;
import dev.squall.model.ConfigFields;
import dev.squall.model.ModelConfig;
import dev.squall.program.Buffer;
import dev.squall.program.StepProgram;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Checkpoints as safetensors: parameters under their model names (loadable as a PyTorch state
 * dict), AdamW moments as {@code name.adam_m}/{@code name.adam_v}, Muon and MuonH momentum as
 * {@code name.muon_momentum}, model state such as BHyT's c_attn, and in the metadata the step, the
 * batch sampler's state, the training data and both configurations as JSON.
 *
 * <p>Integrity: every tensor and the metadata carry a CRC32C ({@link SafeTensors#CHECKSUMS}), and a
 * checkpoint holds finite numbers only. {@link #save} refuses to write non-finite weights (the
 * previous file stays the last good one); {@link #open} verifies the checksums, refuses non-finite
 * tensors and parses every metadata value, each failure one line naming the file and what is
 * wrong. Written atomically, so an interrupted save leaves the previous checkpoint intact.
 */
public final class Checkpoint {
    public static final String FORMAT = "squall-checkpoint-1";
    /** Metadata value of {@code data} for the default corpus, the JDK's own sources. */
    public static final String JDK_SOURCES = "jdk-sources";

    private static final String DAMAGED = "the checkpoint is damaged: restore a copy of it or start a new run with another --out";

    private Checkpoint() {}

    /**
     * A checkpoint file read and verified: its tensors (checksums checked, all finite), its
     * configurations, step, sampler state and data, and notes worth printing (an old file without
     * checksums).
     */
    public record Opened(Path file, SafeTensors tensors, ModelConfig model, TrainConfig train, int step,
                         long[] dataState, Path data, List<String> notes) {}

    /** Writes {@code t}'s persistent buffers, or throws {@link Diverged} and writes nothing if any is not finite. */
    public static void save(Path file, Trainer t) throws IOException {
        List<Buffer> buffers = t.persistentBuffers();
        t.backend.download(buffers.toArray(Buffer[]::new));
        for (Buffer b : buffers) {
            for (int i = 0; i < b.f.length; i++) {
                if (!Float.isFinite(b.f[i])) {
                    throw new Diverged(t.step() - 1, "'" + b.name + "' holds " + b.f[i] + " at element " + i + " after step "
                            + t.step() + ", so no checkpoint was written for it; lower --lr or raise warm-up");
                }
            }
        }
        SafeTensors.Writer w = new SafeTensors.Writer().withChecksums()
                .metadata("format", FORMAT)
                .metadata("step", Integer.toString(t.step()))
                .metadata("data_state", join(t.dataState()))
                .metadata("data", t.dataPath == null ? JDK_SOURCES : t.dataPath.toAbsolutePath().toString())
                .metadata("model_config", Json.write(ConfigFields.toMap(t.model.cfg)))
                .metadata("train_config", Json.write(ConfigFields.toMap(t.train)));
        for (Buffer b : buffers) w.add(b.name, b.f, b.shape);
        w.writeAtomically(file);
    }

    /** Reads and verifies a checkpoint (see {@link Opened}); every problem is one line naming the file. */
    public static Opened open(Path file) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        Map<String, String> meta = st.metadata();
        if (!FORMAT.equals(meta.get("format")) || meta.get("model_config") == null) {
            throw new IOException(file + ": not a Squall checkpoint (no '" + FORMAT
                    + "' metadata); pass a file written by squall train");
        }
        List<String> notes = new ArrayList<>();
        if (st.hasChecksums()) {
            st.verifyChecksums();
        } else {
            notes.add(file + " has no checksums (written before Squall stored them); loaded without verifying its bytes");
        }
        for (String name : st.names()) {
            long bad = st.firstNonFinite(name);
            if (bad >= 0) {
                throw new IOException(file + ": tensor '" + name + "' holds a NaN or infinite value at element " + bad
                        + "; a checkpoint of a diverged run cannot be used: restore an earlier copy or start a new run");
            }
        }
        ModelConfig model = new ModelConfig();
        applyConfig(file, meta, "model_config", model);
        TrainConfig train = new TrainConfig();
        if (meta.containsKey("train_config")) applyConfig(file, meta, "train_config", train);
        int step = (int) wholeNumber(file, meta, "step", 0, Integer.MAX_VALUE);
        long[] dataState = dataState(file, meta.getOrDefault("data_state", ""));
        String data = meta.get("data");
        Path dataPath = data == null || data.equals(JDK_SOURCES) ? null : Path.of(data);
        return new Opened(file, st, model, train, step, dataState, dataPath, List.copyOf(notes));
    }

    /** Loads weights, optimizer state and the step into {@code t}, after checking the file matches its model. */
    public static void load(Path file, Trainer t) throws IOException {
        load(open(file), t);
    }

    /** Loads a verified checkpoint's weights, optimizer state, step and sampler state into {@code t}. */
    public static void load(Opened ckpt, Trainer t) throws IOException {
        requireSameModel(ckpt, t.model.cfg);
        loadTensors(ckpt, t.persistentBuffers(), true);
        try {
            t.restore(ckpt.step(), ckpt.dataState());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(ckpt.file() + ": " + e.getMessage());
        }
        t.backend.upload(t.persistentBuffers().toArray(Buffer[]::new));
    }

    /**
     * Loads the model a checkpoint describes into {@code program}'s buffers, for evaluation or
     * generation: every parameter must be in the file; model state (BHyT's c_attn, RoPE tables) is
     * taken where the file has it. Optimizer state and the sampler are left alone.
     */
    public static void loadModel(Opened ckpt, StepProgram program) throws IOException {
        List<Buffer> params = new ArrayList<>(), state = new ArrayList<>();
        for (Buffer b : program.buffers().values()) {
            if (b.role == Buffer.Role.PARAM) params.add(b);
            if (b.role == Buffer.Role.STATE) state.add(b);
        }
        loadTensors(ckpt, params, true);
        loadTensors(ckpt, state, false);
    }

    /**
     * Copies the checkpoint's tensors into {@code buffers}. With {@code all}, every buffer must be
     * in the file (training state); without, buffers the file lacks keep their values (a model for
     * evaluation or generation needs no optimizer state).
     */
    public static void loadTensors(Opened ckpt, List<Buffer> buffers, boolean all) throws IOException {
        SafeTensors st = ckpt.tensors();
        for (Buffer b : buffers) {
            if (!st.contains(b.name)) {
                if (!all) continue;
                throw new IOException(ckpt.file() + ": tensor '" + b.name + "' is missing (written by another "
                        + "optimizer or version?); start a new run in a new --out directory");
            }
            if (!Arrays.equals(st.shape(b.name), b.shape)) {
                throw new IOException(ckpt.file() + ": tensor '" + b.name + "' has shape "
                        + Arrays.toString(st.shape(b.name)) + ", expected " + Arrays.toString(b.shape));
            }
            if (!st.dtype(b.name).equals("F32")) {
                throw new IOException(ckpt.file() + ": tensor '" + b.name + "' is " + st.dtype(b.name) + ", expected F32");
            }
            st.floats(b.name, b.f);
        }
    }

    /** A one-line error when the checkpoint's model is not {@code want}, naming the first key that differs. */
    public static void requireSameModel(Opened ckpt, ModelConfig want) {
        Map<String, Object> wanted = ConfigFields.toMap(want), have = ConfigFields.toMap(ckpt.model());
        for (String key : wanted.keySet()) {
            if (!java.util.Objects.equals(String.valueOf(wanted.get(key)), String.valueOf(have.get(key)))) {
                throw new ConfigException(ckpt.file() + ": checkpoint is for another model (" + key + " = " + have.get(key)
                        + ", this run has " + wanted.get(key) + "); use the same configuration or a new --out directory");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void applyConfig(Path file, Map<String, String> meta, String key, Object config) {
        String source = file + ": metadata '" + key + "'";
        Object parsed;
        try {
            parsed = Json.parse(meta.get(key), source + " at ");
        } catch (RuntimeException e) {
            throw new ConfigException(oneLine(e.getMessage()) + "; expected a JSON object of settings; " + DAMAGED);
        }
        if (!(parsed instanceof Map<?, ?> m)) {
            throw new ConfigException(source + " is not a JSON object of settings; " + DAMAGED);
        }
        try {
            ConfigFields.apply(config, (Map<String, Object>) m, source);
            if (config instanceof ModelConfig mc) {
                // Checkpoints from before branch_scale was recorded ran without one, i.e. with 1.
                if (mc.branchScale == null) mc.branchScale = 1.0;
                mc.validate();
            } else {
                ((TrainConfig) config).validate();
            }
        } catch (ConfigException e) {
            String msg = e.getMessage().startsWith(file.toString()) ? e.getMessage() : source + ": " + e.getMessage();
            throw new ConfigException(oneLine(msg) + "; " + DAMAGED);
        }
    }

    private static long wholeNumber(Path file, Map<String, String> meta, String key, long min, long max) {
        String text = meta.get(key);
        if (text == null) return min;
        try {
            long v = Long.parseLong(text.trim());
            if (v >= min && v <= max) return v;
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw new ConfigException(file + ": metadata '" + key + "' is '" + abbreviate(text) + "', expected a whole number in ["
                + min + ", " + max + "]; " + DAMAGED);
    }

    private static long[] dataState(Path file, String text) {
        try {
            long[] state = split(text);
            if (state.length == 0 || state.length == 2) return state;
        } catch (NumberFormatException notNumbers) {
            // reported below
        }
        throw new ConfigException(file + ": metadata 'data_state' is '" + abbreviate(text)
                + "', expected two whole numbers 'position,length'; " + DAMAGED);
    }

    private static String abbreviate(String s) {
        String flat = oneLine(s);
        return flat.length() <= 60 ? flat : flat.substring(0, 57) + "...";
    }

    private static String oneLine(String s) { return s.replaceAll("\\s*[\\r\\n]+\\s*", " "); }

    static String join(long[] a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ",").append(a[i]);
        return sb.toString();
    }

    static long[] split(String s) {
        if (s.isEmpty()) return new long[0];
        return Arrays.stream(s.split(",")).mapToLong(x -> Long.parseLong(x.trim())).toArray();
    }
}
