package dev.squall.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.jvm.JvmBackend;
import dev.squall.model.Transformer;
import dev.squall.program.Buffer;
import dev.squall.program.Stage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evaluation on any text against the loss of each window computed on its own (a batch-of-one model
 * per window): the windows' placement, the partial last batch and the even sample.
 */
class EvaluatorTest {
    @TempDir Path dir;

    @Test
    void lossOverEveryWindowAndOverASampleMatchesWindowByWindow() throws Exception {
        Trainer t = new Trainer(TinyRuns.model(), TinyRuns.train(4), new JvmBackend(), TinyRuns.corpus(dir));
        for (int i = 0; i < 3; i++) t.trainStep();
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.save(file, t);
        Checkpoint.Opened ckpt = Checkpoint.open(file);
        int T = ckpt.model().seqLen, B = ckpt.train().batch;
        long windows = 2L * B + 1; // the last batch holds one window
        byte[] text = new byte[(int) (windows * T + 1 + T / 2)]; // a trailing part shorter than a window is left out
        SplittableRandom rng = new SplittableRandom(5);
        String words = "the quick brown fox jumps over the lazy dog. ";
        for (int i = 0; i < text.length; i++) text[i] = (byte) (rng.nextInt(8) == 0 ? 'a' + rng.nextInt(26) : words.charAt(i % words.length()));

        double[] perWindow = windowLosses(ckpt, text, windows, T);
        Evaluator.Result all = Evaluator.onText(ckpt, text, null, new JvmBackend());
        assertEquals(windows, all.windows());
        assertEquals(windows, all.totalWindows());
        assertEquals(windows * T, all.tokens());
        double want = 0;
        for (double l : perWindow) want += l / windows;
        assertEquals(want, all.lossPerToken(), 1e-6 * want);
        assertEquals(all.lossPerToken(), all.lossPerByte(), 0, "byte tokens: per token is per byte");

        Evaluator.Result sample = Evaluator.onText(ckpt, text, 3L, new JvmBackend());
        assertEquals(3, sample.windows());
        double sampled = 0;
        for (int i = 0; i < 3; i++) sampled += perWindow[(int) (i * windows / 3)] / 3;
        assertEquals(sampled, sample.lossPerToken(), 1e-6 * sampled);
        assertNotEquals(all.lossPerToken(), sample.lossPerToken());
    }

    /** Each window through its own batch-of-one model, independent of the evaluator's batching. */
    static double[] windowLosses(Checkpoint.Opened ckpt, byte[] text, long windows, int T) throws Exception {
        Transformer one = new Transformer(ckpt.model(), 1);
        one.buildLoss(1);
        one.initialize();
        List<Buffer> weights = new ArrayList<>();
        for (Buffer b : one.program.buffers().values()) {
            if (b.role == Buffer.Role.PARAM || b.role == Buffer.Role.STATE) weights.add(b);
        }
        Checkpoint.loadTensors(ckpt, weights, false);
        JvmBackend jvm = new JvmBackend();
        double[] out = new double[(int) windows];
        for (int w = 0; w < windows; w++) {
            for (int i = 0; i < T; i++) {
                one.program.tokens.i[i] = text[w * T + i] & 0xFF;
                one.program.targets.i[i] = text[w * T + i + 1] & 0xFF;
            }
            for (Stage s : one.program.forward) jvm.run(s);
            jvm.run(one.program.evalLoss);
            out[w] = one.program.loss.f[0];
        }
        return out;
    }
}
