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
 * ({@code squall matrix}) as a test, at the matrix's default shape and at each of its odd shapes
 * (one token of width 3, small primes, sizes just past a power of two), so the real lowering and its
 * launch grids meet sizes that are no multiple of any work-group width.
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
        List<Cases.Shape> shapes = new java.util.ArrayList<>(List.of(Cases.DEFAULT));
        shapes.addAll(Cases.ODD);
        for (int d = 0; d < devices.size(); d++) {
            int device = d;
            var target = new MatrixRunner.Target("tornado/" + d, devices.get(d), () -> provider.create(device));
            for (Cases.Shape shape : shapes) {
                for (Cell c : runner.run(target, Cases.all(shape))) {
                    cells++;
                    if (!c.pass()) {
                        failures.append(String.format("%n  %s at %s on %s: %s", c.kernel(), shape, c.device(),
                                c.message() != null ? c.message() : c.worst() + " error " + c.error() + " > " + c.tol()));
                    }
                }
            }
        }
        System.out.printf("matrix on %d TornadoVM device(s) at %d shapes: %d cells%n", devices.size(), shapes.size(), cells);
        assertTrue(cells >= 51 * devices.size() * shapes.size(), "every kernel row ran on every device at every shape: "
                + cells + " cells");
        assertEquals("", failures.toString(), "kernels failing on a device:" + failures);
    }
}
