package dev.squall.tornado;

import static org.junit.jupiter.api.Assertions.*;

import dev.squall.matrix.Cases;
import dev.squall.matrix.Cell;
import dev.squall.matrix.MatrixRunner;
import dev.squall.tornado.backend.TornadoBackendProvider;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every kernel task, forward and backward, on every TornadoVM device this machine has, through the
 * backend training uses, against the double-precision references: the portability matrix
 * ({@code squall matrix}) as a test. The per-family device tests check more shapes on the default
 * device; this one makes sure no device is left out.
 */
class EveryDeviceMatrixTest {
    @Test
    void everyKernelPassesOnEveryDevice() {
        TornadoBackendProvider provider = new TornadoBackendProvider();
        List<String> devices = provider.devices();
        assertFalse(devices.isEmpty(), "TornadoVM reports no device");
        MatrixRunner runner = new MatrixRunner(1, null, null);
        StringBuilder failures = new StringBuilder();
        int cells = 0;
        for (int d = 0; d < devices.size(); d++) {
            int device = d;
            var target = new MatrixRunner.Target("tornado/" + d, devices.get(d), () -> provider.create(device));
            for (Cell c : runner.run(target, Cases.all())) {
                cells++;
                if (!c.pass()) {
                    failures.append(String.format("%n  %s on %s: %s", c.kernel(), c.device(),
                            c.message() != null ? c.message() : c.worst() + " error " + c.error() + " > " + c.tol()));
                }
            }
        }
        System.out.printf("matrix on %d TornadoVM device(s): %d cells%n", devices.size(), cells);
        assertTrue(cells >= 51 * devices.size(), "every kernel row ran on every device: " + cells + " cells");
        assertEquals("", failures.toString(), "kernels failing on a device:" + failures);
    }
}
