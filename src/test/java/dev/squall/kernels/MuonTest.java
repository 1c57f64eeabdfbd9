package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.squall.program.Hyper;
import dev.squall.program.Task;
import dev.squall.reference.MuonRef;
import dev.squall.testing.Close;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MuonTest {

    /** Six steps of momentum, NS5 and update against the double reference, with changing hyperparameters. */
    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1,1,7", "1,7,3", "1,13,31", "1,48,96", "1,96,48", "1,64,64", "3,24,40", "2,40,24"})
    void kernelMatchesReferenceOverSteps(int slices, int rows, int cols) {
        int n = slices * rows * cols;
        long seed = 31L * n + rows;
        float[] param = normal(seed, n, 0.1), momentum = new float[n];
        double[] rParam = toDouble(param), rMomentum = new double[n];
        float[] start = param.clone();
        float[] hyper = new float[Hyper.SIZE];
        Scratch s = new Scratch(slices, rows, cols);
        for (int t = 1; t <= 6; t++) {
            Hyper.setMuon(hyper, 0.02f * (1f - 0.1f * t), 0.95f, t % 2 == 0 ? 0.1f : 0f, t, t % 3 == 0 ? 0.37f : 1f);
            float[] grad = normal(seed + t, n, 1.0), gradCopy = grad.clone();
            s.step(param, momentum, grad, hyper);
            assertArrayEquals(gradCopy, grad, "the gradient must not be modified");
            MuonRef.step(rParam, rMomentum, toDouble(grad), toDouble(hyper), slices, rows, cols);
        }
        // Momentum: one rounding per step of a two-term sum.
        Close.elementwise("momentum", momentum, rMomentum, 1e-5, 1e-6);
        // The change of the weights carries NS5's float error (1e-4 of the norm, see NewtonSchulzTest).
        double[] delta = new double[n];
        float[] gotDelta = new float[n];
        for (int i = 0; i < n; i++) {
            delta[i] = rParam[i] - start[i];
            gotDelta[i] = param[i] - start[i];
        }
        Close.normRelative("param - start", gotDelta, delta, 2e-4);
    }

    /** Muon's shape factor: sqrt(rows / cols) for tall matrices, 1 otherwise (MODEL.md "Optimizers"). */
    @Test
    void shapeFactor() {
        assertEquals(Math.sqrt(2), Task.MuonUpdate.shapeFactor(96, 48), 1e-7);
        assertEquals(1f, Task.MuonUpdate.shapeFactor(48, 96));
        assertEquals(1f, Task.MuonUpdate.shapeFactor(64, 64));
    }

    /** Without the reference: one step from zero momentum moves W by exactly -lr * shape * NS5(g) (plus the decay). */
    @Test
    void firstStepIsTheOrthogonalizedGradient() {
        int rows = 40, cols = 24, n = rows * cols;
        float[] param = normal(3, n, 1.0), start = param.clone(), momentum = new float[n], grad = normal(4, n, 1.0);
        float[] hyper = new float[Hyper.SIZE];
        Hyper.setMuon(hyper, 0.01f, 0.9f, 0.5f, 1, 1f);
        new Scratch(1, rows, cols).step(param, momentum, grad, hyper);
        // U = (1 + mu) g from zero momentum; NS5 is scale-invariant, so O = NS5(g).
        float[] o = NewtonSchulzTest.run(grad, 1, rows, cols);
        double shape = Math.sqrt(40.0 / 24.0);
        for (int i = 0; i < n; i++) {
            double want = (1 - 0.01 * 0.5) * start[i] - 0.01 * shape * o[i];
            assertEquals(want, param[i], 1e-6, "element " + i);
        }
    }

    /** The buffers of one tensor's Muon step, as the optimizer stage holds them. */
    static final class Scratch {
        final int slices, rows, cols, n;
        final float[] update, ortho, x, next, gram, gram2;

        Scratch(int slices, int rows, int cols) {
            this.slices = slices;
            this.rows = rows;
            this.cols = cols;
            n = slices * rows * cols;
            update = poisoned(n);
            ortho = poisoned(n);
            x = poisoned(rows * cols);
            next = poisoned(rows * cols);
            gram = poisoned(NewtonSchulz.gramSize(rows, cols));
            gram2 = poisoned(NewtonSchulz.gramSize(rows, cols));
        }

        /** Momentum, then ortho = NS5(update). */
        void direction(float[] momentum, float[] grad, float[] hyper) {
            Muon.momentum(update, momentum, grad, hyper, n);
            NewtonSchulz.orthogonalize(ortho, update, x, gram, gram2, next, slices, rows, cols);
        }

        void step(float[] param, float[] momentum, float[] grad, float[] hyper) {
            direction(momentum, grad, hyper);
            Muon.update(param, ortho, hyper, n, Task.MuonUpdate.shapeFactor(rows, cols));
        }
    }
}
