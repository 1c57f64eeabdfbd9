package dev.squall.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.data.ByteCorpus;
import dev.squall.jvm.JvmBackend;
import dev.squall.model.AttnNorm;
import dev.squall.model.ModelConfig;
import dev.squall.model.NormKind;
import dev.squall.model.Placement;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every norm kind x placement x attention norm trains 30 steps of a tiny model with finite, falling
 * loss. No pair of norm kind and placement is refused (deepnorm and mixln included): BHyT's variance
 * approximation only ever runs in a Pre-Norm block, whose residual is x + Attn, and Post-Norm blocks
 * give BHyT exact statistics.
 */
class TrainingCombinationsTest {
    static ByteCorpus corpus;

    @BeforeAll
    static void data(@TempDir Path dir) throws Exception {
        corpus = TinyRuns.corpus(dir);
    }

    static Stream<Arguments> combinations() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (NormKind n : NormKind.values())
            for (Placement p : Placement.values())
                for (AttnNorm a : AttnNorm.values()) b.add(Arguments.of(n, p, a));
        return b.build();
    }

    @ParameterizedTest(name = "{0} {1} attn-norm {2}")
    @MethodSource("combinations")
    void trainsWithFallingLoss(NormKind norm, Placement placement, AttnNorm attnNorm) {
        ModelConfig m = TinyRuns.model();
        m.norm = norm;
        m.placement = placement;
        m.attnNorm = attnNorm;
        // Two blocks: Mix-LN's default quarter would make both Pre-Norm; half makes block 0 Post-Norm.
        m.mixlnPostFraction = 0.5;
        Trainer t = new Trainer(m, TinyRuns.train(30), new JvmBackend(), corpus);
        double[] losses = new double[30];
        for (int i = 0; i < 30; i++) {
            losses[i] = t.trainStep().loss();
            assertTrue(Double.isFinite(losses[i]), "step " + (i + 1) + " loss " + losses[i]);
        }
        double first = (losses[0] + losses[1] + losses[2]) / 3, last = (losses[27] + losses[28] + losses[29]) / 3;
        // Half a nat in 30 steps is far beyond step-to-step noise; BHyT under Post-LN is the slowest (about 1 nat).
        assertTrue(last < first - 0.5, String.format("loss did not fall: first %.3f last %.3f", first, last));
    }
}
