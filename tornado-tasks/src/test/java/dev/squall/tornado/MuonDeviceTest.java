package dev.squall.tornado;

import static dev.squall.tornado.OptimizerDevice.*;

import dev.squall.kernels.Muon;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Buffer;
import dev.squall.program.Hyper;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
import dev.squall.reference.MuonRef;
import dev.squall.tornado.backend.TornadoBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Muon on the default TornadoVM device, lowered from its Task records by the backend, against the
 * double reference. Each compiled stage runs two steps with a different learning rate, momentum,
 * decay and gradient scale (all read from hyper), so a value baked in at compile time fails.
 */
class MuonDeviceTest {
    /** (lr, momentum, weightDecay, step, gradScale) of the two steps. */
    static final float[][] STEPS = {{0.02f, 0.95f, 0f, 1, 1f}, {0.005f, 0.9f, 0.1f, 2, 0.5f}};

    static void setHyper(Buffer hyper, float[] s) {
        Hyper.setMuon(hyper.f, s[0], s[1], s[2], (int) s[3], s[4]);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 91, 2145})
    void momentumAndUpdateMatchTheReference(int n) {
        long seed = 53L * n;
        float shapeFactor = Task.MuonUpdate.shapeFactor(13, 7);
        StepProgram p = new StepProgram();
        Buffer param = random(p, "param", Role.PARAM, seed, 1.0, n);
        Buffer grad = random(p, "grad", Role.GRAD, seed + 1, 0.1, n);
        Buffer momentum = random(p, "momentum", Role.OPTIMIZER, seed + 2, 0.1, n);
        Buffer ortho = random(p, "ortho", Role.ACTIVATION, seed + 3, 0.3, n);
        Buffer update = poisoned(p, "update", n);
        Buffer hyper = p.floats("hyper", Role.INPUT, Hyper.SIZE);
        Stage stage = new Stage("muon");
        stage.add(new Task.MuonMomentum(update, momentum, grad, hyper, n));
        stage.add(new Task.MuonUpdate(param, ortho, hyper, n, shapeFactor));
        p.register(stage);
        double[] rp = d(param.f), rm = d(momentum.f), rg = d(grad.f), ro = d(ortho.f);
        try (TornadoBackend b = device()) {
            b.load(p);
            for (float[] s : STEPS) {
                setHyper(hyper, s);
                b.upload(hyper);
                b.run(stage);
                b.download(update, momentum, param);
                double[] h = d(hyper.f);
                double[] ru = MuonRef.nesterov(rm, rg, h);
                double keep = 1 - h[Hyper.LR] * h[Hyper.WEIGHT_DECAY];
                for (int i = 0; i < n; i++) rp[i] = keep * rp[i] - h[Hyper.LR] * shapeFactor * ro[i];
                String at = " at step " + (int) s[3];
                // A few float roundings of O(1) products per element.
                close("momentum" + at, momentum.f, rm, 1e-6, 1e-7);
                close("update" + at, update.f, ru, 1e-6, 1e-7);
                close("param" + at, param.f, rp, 1e-6, 1e-7);
            }
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1, 13, 7", "3, 8, 12"})
    void stepsMatchTheReference(int slices, int rows, int cols) {
        int n = slices * rows * cols;
        StepProgram p = new StepProgram();
        Stage stage = new Stage("muon");
        MuonDirection muon = muonDirection(p, stage, 7L * n + rows, slices, rows, cols);
        Buffer param = muon.param(), grad = muon.grad(), momentum = muon.momentum(), hyper = muon.hyper();
        stage.add(new Task.MuonUpdate(param, muon.ortho(), hyper, n, Task.MuonUpdate.shapeFactor(rows, cols)));
        p.register(stage);
        double[] rp = d(param.f), rm = d(momentum.f), rg = d(grad.f);
        try (TornadoBackend b = device()) {
            b.load(p);
            for (float[] s : STEPS) {
                setHyper(hyper, s);
                b.upload(hyper);
                double[] before = rp.clone();
                float[] deviceBefore = param.f.clone();
                b.run(stage);
                b.download(param, momentum);
                MuonRef.step(rp, rm, rg, d(hyper.f), slices, rows, cols);
                String at = " at step " + (int) s[3];
                close("momentum" + at, momentum.f, rm, 1e-6, 1e-9);
                // The step itself, lr * shapeFactor * O (+ decay), carries NS5's float error: ~1e-6 relative.
                float[] got = new float[n];
                double[] want = new double[n];
                for (int i = 0; i < n; i++) {
                    got[i] = param.f[i] - deviceBefore[i];
                    want[i] = rp[i] - before[i];
                }
                normRelative("param step" + at, got, want, 0, n, 1e-4);
            }
        }
    }
}
