package dev.squall.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
    static String error(Runnable r) {
        ConfigException e = assertThrows(ConfigException.class, r::run);
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void dModelNotDivisibleByHeadsNamesFieldAndFix() {
        ModelConfig c = ModelConfig.small();
        c.dModel = 250;
        c.nHeads = 4;
        String m = error(c::validate);
        assertTrue(m.startsWith("d_model:") && m.contains("n_heads") && m.contains("252"), m);
    }

    @Test
    void kvHeadsMustDivideHeads() {
        ModelConfig c = ModelConfig.small();
        c.nKvHeads = 3;
        String m = error(c::validate);
        assertTrue(m.startsWith("n_kv_heads:") && m.contains("divisor"), m);
    }

    @Test
    void zeroSizesAreRejected() {
        for (String field : new String[] {"vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "ffn_hidden", "seq_len"}) {
            ModelConfig c = ModelConfig.small();
            ConfigFields.set(c, field, "0");
            String m = error(c::validate);
            assertTrue(m.startsWith(field + ": must be a positive integer"), m);
        }
    }

    @Test
    void unknownNormListsTheValidOnes() {
        ModelConfig c = ModelConfig.small();
        String m = error(() -> ConfigFields.set(c, "norm", "batchnorm"));
        assertTrue(m.contains("batchnorm") && m.contains("rmsnorm") && m.contains("bhyt-star"), m);
    }

    @Test
    void unknownKeyInAFileIsAnError() {
        ModelConfig c = ModelConfig.small();
        String m = error(() -> ConfigFields.apply(c, Map.of("d_modle", 3L), "cfg.json"));
        assertTrue(m.contains("d_modle") && m.contains("d_model"), m);
    }

    @Test
    void invalidConfigFailsBeforeAllocating() {
        ModelConfig c = ModelConfig.small();
        // Buffers of this size would not fit in the test JVM: the error must come first.
        c.dModel = 1 << 20;
        c.nHeads = 3;
        String m = error(() -> new Transformer(c, 1 << 10));
        assertTrue(m.startsWith("d_model:"), m);
    }

    @Test
    void roundTripsThroughItsMap() {
        ModelConfig c = ModelConfig.tiny();
        c.norm = NormKind.BHYT_STAR;
        c.placement = Placement.HYBRID_STAR;
        c.attnNorm = AttnNorm.QKV;
        ModelConfig d = new ModelConfig();
        ConfigFields.apply(d, ConfigFields.toMap(c), "test");
        assertEquals(ConfigFields.toMap(c).toString(), ConfigFields.toMap(d).toString());
    }
}
