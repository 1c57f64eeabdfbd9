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

    @Test
    void moeKeysAreValidatedWithTheFix() {
        ModelConfig c = ModelConfig.tiny();
        c.experts = 4;
        c.topK = 1;
        c.sharedExpert = true;
        ConfigException e = assertThrows(ConfigException.class, c::validate);
        assertTrue(e.getMessage().startsWith("top_k:") && e.getMessage().contains("shared_expert"), e.getMessage());
        c.topK = 6;
        e = assertThrows(ConfigException.class, c::validate);
        assertTrue(e.getMessage().contains("1..4") && e.getMessage().contains("between 2 and 5"), e.getMessage());
        c.topK = 5;
        c.validate();
        c.moeEvery = 0;
        assertTrue(assertThrows(ConfigException.class, c::validate).getMessage().startsWith("moe_every:"));
        c.moeEvery = 2;
        c.auxWeight = -1;
        assertTrue(assertThrows(ConfigException.class, c::validate).getMessage().startsWith("aux_weight:"));
        c.auxWeight = 0;
        c.branchScale = 0.0;
        assertTrue(assertThrows(ConfigException.class, c::validate).getMessage().startsWith("branch_scale:"));
    }

    @Test
    void expertHiddenDefaultsToTheActiveSizeOfOneDenseFfn() {
        ModelConfig c = ModelConfig.tiny(); // ffn_hidden 176
        c.experts = 8;
        c.topK = 3;
        assertEquals(58, c.expertHiddenSize());
        c.expertHidden = 40;
        assertEquals(40, c.expertHiddenSize());
        c.nLayers = 4;
        c.moeEvery = 2;
        assertTrue(!c.isMoeBlock(0) && c.isMoeBlock(1) && !c.isMoeBlock(2) && c.isMoeBlock(3));
        assertEquals(1.0, c.withBranchScaleFor(false).branchScale);
        assertEquals(1 / Math.sqrt(8), c.withBranchScaleFor(true).branchScale, 1e-15);
        c.branchScale = 0.3;
        assertEquals(0.3, c.withBranchScaleFor(true).branchScale);
    }
}
