package dev.squall.parity;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch reference's own checks ({@code tools/reference/test_squall_ref.py}): its MoE sublayer
 * by gradcheck and against a token-by-token loop, SqrtGate's RMS property (SPEC §6.6), the NS5
 * band (SPEC §6.3), MuonH keeping every radius (SPEC §6.2), and whole cases written by its own
 * helpers. The parity tests trust the reference, so it is checked where Squall has no say.
 *
 * <p>Needs Debian's python3-torch like {@link PyTorchParityTest}: without it this fails, never skips.
 */
class ReferenceSelfTest {
    static final Path SELF_TEST = Path.of("tools", "reference", "test_squall_ref.py");

    @Test
    void referenceSelfChecksPass() throws Exception {
        PyTorchParityTest.requirePyTorch();
        assertTrue(Files.exists(SELF_TEST), SELF_TEST + " is missing");
        Process p = new ProcessBuilder(PyTorchParityTest.PYTHON, "-B", SELF_TEST.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the reference self-checks did not finish in 5 minutes");
        assertEquals(0, p.exitValue(), "the reference self-checks failed:\n" + out);
    }
}
