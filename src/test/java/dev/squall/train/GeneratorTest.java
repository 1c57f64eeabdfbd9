package dev.squall.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.jvm.JvmBackend;
import dev.squall.model.AttnNorm;
import dev.squall.model.ModelConfig;
import dev.squall.model.NormKind;
import dev.squall.model.Placement;
import dev.squall.model.Transformer;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Decoding with the KV cache gives, token by token, the logits of the full causal forward pass. */
class GeneratorTest {
    @ParameterizedTest(name = "{0} {1} {2} experts {3} {4} shared {5} s={6}")
    @CsvSource({"rmsnorm,pre,none,0,softmax-topk,false,1", "bhyt,pre,qk,0,softmax-topk,false,1",
            "derf,post,qkv,0,softmax-topk,false,1", "layernorm,hybridnorm-star,qkv,0,softmax-topk,false,1",
            "rmsnorm,pre,qk,4,sqrtgate,true,0.5", "rmsnorm,post,none,4,softmax-topk,false,0.7",
            "rmsnorm,hybridnorm,qkv,5,topk-softmax,true,1", "layernorm,deepnorm,qk,0,softmax-topk,false,0.7",
            "bhyt,mixln,none,0,softmax-topk,false,1"})
    void cachedDecodingMatchesTheFullForward(String norm, String placement, String attnNorm, int experts, String router,
                                             boolean shared, double branchScale) {
        ModelConfig c = TinyRuns.model();
        c.experts = experts;
        c.router = dev.squall.model.RouterKind.parse(router);
        c.sharedExpert = shared;
        c.topK = shared ? 3 : 2;
        c.branchScale = branchScale;
        c.norm = NormKind.parse(norm);
        c.placement = Placement.parse(placement);
        c.attnNorm = AttnNorm.parse(attnNorm);
        c.seqLen = 12;
        c.mixlnPostFraction = 0.5; // two blocks: one Post-Norm, one Pre-Norm
        Transformer full = new Transformer(c, 1);
        full.initialize();
        JvmBackend jvm = new JvmBackend();
        jvm.run(full.refreshConstants);
        SplittableRandom rng = new SplittableRandom(3);
        int[] tokens = full.program.tokens.i;
        for (int i = 0; i < tokens.length; i++) tokens[i] = rng.nextInt(256);
        for (Stage s : full.program.forward) jvm.run(s);

        Generator g = new Generator(c, jvm);
        for (Buffer b : full.program.buffers().values()) {
            if (b.role == Buffer.Role.PARAM || b.role == Buffer.Role.STATE) {
                System.arraycopy(b.f, 0, g.model.program.buffer(b.name).f, 0, b.size());
            }
        }
        int V = c.vocabSize;
        for (int t = 0; t < tokens.length; t++) {
            g.feed(tokens[t]);
            float[] got = g.model.logits().f;
            for (int v = 0; v < V; v++) {
                float want = full.logits().f[t * V + v];
                assertEquals(want, got[v], 1e-4 * (1 + Math.abs(want)), "position " + t + " logit " + v);
            }
        }
    }

    /**
     * Past the window, each token's logits are those of the full forward over the most recent
     * context: the newest seq_len - seq_len/8 tokens kept at every slide, then the tokens after them.
     */
    @ParameterizedTest(name = "seq_len {0}")
    @CsvSource({"16", "24", "5"})
    void pastTheWindowTheMostRecentContextIsKept(int T) {
        ModelConfig c = TinyRuns.model();
        c.seqLen = T;
        Transformer full = new Transformer(c, 1);
        full.initialize();
        JvmBackend jvm = new JvmBackend();
        Generator g = new Generator(c, jvm);
        for (Buffer b : full.program.buffers().values()) {
            if (b.role == Buffer.Role.PARAM || b.role == Buffer.Role.STATE) {
                System.arraycopy(b.f, 0, g.model.program.buffer(b.name).f, 0, b.size());
            }
        }
        int keep = T - Math.max(1, T / 8);
        assertTrue(keep >= 7 * T / 8 && keep < T, "keeps " + keep + " of " + T);
        SplittableRandom rng = new SplittableRandom(11);
        java.util.List<Integer> context = new java.util.ArrayList<>();
        int V = c.vocabSize;
        for (int step = 0; step < 3 * T + 2; step++) {
            int token = rng.nextInt(V);
            if (context.size() == T) context.subList(0, T - keep).clear();
            context.add(token);
            g.feed(token);
            java.util.Arrays.fill(full.program.tokens.i, 0);
            for (int t = 0; t < context.size(); t++) full.program.tokens.i[t] = context.get(t);
            for (Stage s : full.program.forward) jvm.run(s);
            int row = context.size() - 1;
            for (int v = 0; v < V; v++) {
                float want = full.logits().f[row * V + v];
                assertEquals(want, g.model.logits().f[v], 1e-4 * (1 + Math.abs(want)), "step " + step + " logit " + v);
            }
        }
    }
}
