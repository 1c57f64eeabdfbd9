package dev.squall.tornado;

import static dev.squall.tornado.OptimizerDevice.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.squall.kernels.NewtonSchulz;
import dev.squall.program.Buffer;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
import dev.squall.reference.NewtonSchulzRef;
import dev.squall.tornado.backend.TornadoBackend;
import dev.squall.tornado.kernels.NewtonSchulzKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * NS5 on the default TornadoVM device, lowered from its Task record by the backend, against the
 * double reference slice by slice: a 1x1 matrix, wide and tall (transposed) odd shapes, a realistic
 * wide one and a 3-slice stack. The output and the scratch start as NaN.
 */
class NewtonSchulzDeviceTest {

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1, 1, 1", "1, 7, 13", "1, 13, 7", "1, 32, 48", "3, 8, 12"})
    void matchesTheReferencePerSlice(int slices, int rows, int cols) {
        int size = rows * cols, n = slices * size, gramSize = NewtonSchulz.gramSize(rows, cols);
        StepProgram p = new StepProgram();
        Buffer g = random(p, "g", Role.ACTIVATION, 31L * n + rows, 0.02, slices, rows, cols);
        Buffer out = poisoned(p, "out", slices, rows, cols);
        Buffer x = poisoned(p, "x", size), next = poisoned(p, "next", size);
        Buffer gram = poisoned(p, "gram", gramSize), gramSquared = poisoned(p, "gram_sq", gramSize);
        Stage stage = new Stage("ns");
        stage.add(new Task.NewtonSchulzOrthogonalize(out, g, x, gram, gramSquared, next, slices, rows, cols));
        p.register(stage);
        float[] g0 = g.f.clone();
        try (TornadoBackend b = device()) {
            b.load(p);
            b.run(stage);
            b.download(out, g);
        }
        double[] want = new double[n];
        NewtonSchulzRef.orthogonalize(want, d(g0), slices, rows, cols);
        // Five float32 iterations of products over at most max(rows, cols) terms, each contracting
        // errors towards singular values near 1: ~1e-6 relative in practice; 1e-4 leaves room.
        for (int s = 0; s < slices; s++) normRelative("slice " + s, out.f, want, s * size, size, 1e-4);
        assertArrayEquals(g0, g.f, "the input is not modified");
    }

    @Test
    void coefficientsAreTheReferences() {
        for (int k = 0; k < NewtonSchulzRef.COEFFICIENTS.length; k++) {
            for (int j = 0; j < 3; j++) {
                assertEquals((float) NewtonSchulzRef.COEFFICIENTS[k][j], NewtonSchulzKernels.COEFFICIENTS[k][j]);
            }
        }
    }
}
