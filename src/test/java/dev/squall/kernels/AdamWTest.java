package dev.squall.kernels;

import static dev.squall.testing.Arrays2.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.squall.program.Hyper;
import dev.squall.reference.AdamWRef;
import dev.squall.testing.Close;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdamWTest {

    /** Ten steps with a changing learning rate and clipping factor, fresh gradients each step. */
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3, 7, 13, 31, 65, 127, 1000, 100_003})
    void kernelMatchesReferenceOverSteps(int n) {
        long seed = 101L * n;
        float[] param = normal(seed, n, 1.0), m = new float[n], v = new float[n];
        double[] rParam = toDouble(param), rm = new double[n], rv = new double[n];
        float[] hyper = new float[Hyper.SIZE];
        for (int t = 1; t <= 10; t++) {
            float lr = 1e-2f * (1f - 0.05f * t), gradScale = t % 3 == 0 ? 0.37f : 1f;
            Hyper.setAdamW(hyper, lr, 0.9f, 0.95f, 1e-8f, 0.1f, t, gradScale);
            // Gradients of varied magnitude per element, so sqrt(v) spans several decades.
            float[] grad = normal(seed + t, n, 1.0);
            for (int i = 0; i < n; i++) grad[i] *= (float) gradMagnitude(i);
            float[] gradCopy = grad.clone();
            AdamW.update(param, grad, m, v, hyper, n);
            AdamWRef.update(rParam, toDouble(grad), rm, rv, toDouble(hyper), n);
            assertArrayEquals(gradCopy, grad, "the gradient must not be modified");
        }
        // Ten steps of float state: each step rounds m, v and p once (6e-8 relative), and the
        // update m-hat / sqrt(v-hat) carries a few more roundings; 1e-5 leaves a wide margin.
        // m averages signed gradients and may cancel towards 0: its error scales with |g|, not |m|.
        for (int i = 0; i < n; i++) {
            double tol = 1e-5 * gradMagnitude(i);
            if (!(Math.abs(m[i] - rm[i]) <= tol)) fail(String.format("m[%d]: got %.9g, reference %.9g", i, m[i], rm[i]));
        }
        Close.elementwise("v", v, rv, 1e-5, 0);
        Close.elementwise("param", param, rParam, 1e-5, 1e-7);
    }

    static double gradMagnitude(int i) {
        return Math.pow(10, (i % 5) - 3);
    }

    /** Without the reference: at step 1 the bias-corrected update is lr * g / (|g| + eps), i.e. about lr against g. */
    @Test
    void firstStepMovesEachParameterByTheLearningRate() {
        int n = 37;
        float[] param = new float[n], m = new float[n], v = new float[n], grad = normal(1, n, 1.0);
        float[] hyper = new float[Hyper.SIZE];
        Hyper.setAdamW(hyper, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1, 1f);
        AdamW.update(param, grad, m, v, hyper, n);
        for (int i = 0; i < n; i++) assertEquals(-1e-3 * Math.signum(grad[i]), param[i], 1e-8);
    }

    /** Decoupled weight decay shrinks p by lr * wd * p even with a zero gradient. */
    @Test
    void weightDecayIsDecoupled() {
        float[] param = {2f, -4f}, m = new float[2], v = new float[2], grad = new float[2];
        float[] hyper = new float[Hyper.SIZE];
        Hyper.setAdamW(hyper, 0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, 1, 1f);
        AdamW.update(param, grad, m, v, hyper, 2);
        assertEquals(2f * (1 - 0.05f), param[0], 1e-6);
        assertEquals(-4f * (1 - 0.05f), param[1], 1e-6);
    }
}
