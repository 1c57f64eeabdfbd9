package dev.squall.model;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * The two placements of SPEC §11: DeepNorm's constants, its init and the absence of a final norm;
 * Mix-LN's split of Post-Norm and Pre-Norm blocks; and the configurations refused.
 */
class DeepNormMixLnTest {
    static ModelConfig config(Placement p, int layers) {
        ModelConfig c = ModelConfig.small();
        c.nLayers = layers;
        c.placement = p;
        return c;
    }

    @Test
    void deepNormConstantsFollowTheDecoderOnlyRow() {
        // DeepNet Table 1, decoder-only: alpha = (2N)^(1/4), beta = (8N)^(-1/4). N = 4: 8^(1/4), 32^(-1/4).
        ModelConfig c = config(Placement.DEEPNORM, 4);
        assertEquals(1.681793, c.residualWeight(), 1e-6);
        assertEquals(0.420448, c.deepnormInitGain(), 1e-6);
        assertEquals(1f, config(Placement.POST, 4).residualWeight());
        assertEquals(1f, config(Placement.MIXLN, 4).residualWeight());
    }

    @Test
    void deepNormInitIsXavierNormalWithGainBetaForValueOutputAndFfn() {
        ModelConfig c = config(Placement.DEEPNORM, 4);
        c.nKvHeads = 2;
        Transformer t = new Transformer(c, 1);
        t.initialize();
        double beta = c.deepnormInitGain();
        int C = c.dModel, q = t.H * t.hd, kv = t.Hkv * t.hd, f = c.ffnHidden;
        for (Transformer.Layer y : t.layers) {
            assertStd(Math.sqrt(2.0 / (C + q)), y.wq.value().f, "wq (gain 1)");
            assertStd(Math.sqrt(2.0 / (C + kv)), y.wk.value().f, "wk (gain 1)");
            assertStd(beta * Math.sqrt(2.0 / (C + kv)), y.wv.value().f, "wv");
            assertStd(beta * Math.sqrt(2.0 / (C + q)), y.wo.value().f, "wo");
            assertStd(beta * Math.sqrt(2.0 / (C + f)), y.wGateUp.value().f, "w_gate_up");
            assertStd(beta * Math.sqrt(2.0 / (C + f)), y.wDown.value().f, "w_down");
            assertTrue(y.postNorm && !y.preNorm);
            assertEquals(c.residualWeight(), y.residualWeight);
        }
        assertNull(t.finalNorm, "DeepNorm blocks end normalized: no final norm");
    }

    static void assertStd(double expected, float[] w, String what) {
        double s = 0;
        for (float v : w) s += (double) v * v;
        double std = Math.sqrt(s / w.length);
        assertEquals(expected, std, 0.03 * expected, what);
    }

    @Test
    void mixLnIsPostNormInTheFirstQuarterOfBlocksByDefault() {
        ModelConfig c = config(Placement.MIXLN, 8);
        Transformer t = new Transformer(c, 1);
        for (int l = 0; l < 8; l++) {
            assertEquals(l < 2, t.layers[l].postNorm, "block " + l + " Post-Norm");
            assertEquals(l >= 2, t.layers[l].preNorm, "block " + l + " Pre-Norm");
            assertEquals(1f, t.layers[l].residualWeight);
        }
        assertNotNull(t.finalNorm, "Mix-LN keeps the final norm of its Pre-Norm blocks");
    }

    @Test
    void mixLnPostBlocksAreTheFloorOfTheFractionTimesDepth() {
        ModelConfig c = config(Placement.MIXLN, 6);
        assertEquals(1, c.mixlnPostBlocks()); // floor(1.5)
        c.mixlnPostFraction = 0;
        assertEquals(0, c.mixlnPostBlocks());
        c.mixlnPostFraction = 1;
        assertEquals(6, c.mixlnPostBlocks());
        Transformer all = new Transformer(c, 1);
        for (Transformer.Layer y : all.layers) assertTrue(y.postNorm && !y.preNorm);
    }

    @Test
    void mixLnFractionOutsideTheUnitIntervalIsRefused() {
        for (double bad : new double[] {-0.1, 1.5}) {
            ModelConfig c = config(Placement.MIXLN, 4);
            c.mixlnPostFraction = bad;
            ConfigException e = assertThrows(ConfigException.class, c::validate);
            assertTrue(e.getMessage().startsWith("mixln_post_fraction: must be in [0, 1]"), e.getMessage());
        }
    }

    @Test
    void deepNormWithExpertsIsRefused() {
        ModelConfig c = config(Placement.DEEPNORM, 4);
        c.experts = 4;
        ConfigException e = assertThrows(ConfigException.class, c::validate);
        assertTrue(e.getMessage().contains("use experts 0"), e.getMessage());
    }

    @Test
    void everyNormKindBuildsUnderBothPlacements() {
        for (NormKind n : NormKind.values()) {
            for (Placement p : new Placement[] {Placement.DEEPNORM, Placement.MIXLN}) {
                ModelConfig c = config(p, 4);
                c.norm = n;
                assertDoesNotThrow(() -> new Transformer(c, 1), n + " " + p);
            }
        }
    }

    @Test
    void placementsParseByTheirCliSpelling() {
        assertEquals(Placement.DEEPNORM, Placement.parse("deepnorm"));
        assertEquals(Placement.MIXLN, Placement.parse("mixln"));
    }
}
