package dev.squall.tornado;

import static dev.squall.tornado.OptimizerDevice.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squall.program.Buffer.Role;
import dev.squall.program.Buffer;
import dev.squall.program.Hyper;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.Task;
import dev.squall.reference.SphereRef;
import dev.squall.tornado.backend.TornadoBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MuonH and Adam on the Frobenius sphere on the default TornadoVM device, lowered from the Task
 * records HyperPOptimizer emits, against the double reference: the parameter, the moments, the
 * squared norms the device keeps, and the radius (one per tensor, a stack included), which a step
 * keeps exactly without weight decay and shrinks by (1 - lr wd) with it. Two steps per compiled
 * stage with different hyperparameters, so nothing per-step may be baked into a kernel.
 */
class SphereDeviceTest {

    /** The six sphere tasks of HyperPOptimizer.addSphereStep. */
    static void addSphereStep(Stage stage, Buffer param, Buffer direction, Buffer norms, Buffer hyper, int n) {
        stage.add(new Task.SphereDecay(param, hyper, n));
        stage.add(new Task.SphereSumSquares(norms, Hyper.SphereNorms.RADIUS_SQ, param, n));
        stage.add(new Task.SphereSumSquares(norms, Hyper.SphereNorms.DIRECTION_SQ, direction, n));
        stage.add(new Task.SphereStep(param, direction, norms, hyper, n));
        stage.add(new Task.SphereSumSquares(norms, Hyper.SphereNorms.STEPPED_SQ, param, n));
        stage.add(new Task.SphereRetract(param, norms, n));
    }

    /** ||param|| after the step equals R = ||param before|| (1 - lr wd), and norms[RADIUS_SQ] holds R². */
    static void radiusKept(String at, float[] before, float[] after, float[] norms, double lr, double wd) {
        double radius = norm(before) * (1 - lr * wd);
        double got = norm(after);
        // Float sums of squares (partials of 256, then blocks in order) and one float scaling: ~1e-7.
        assertTrue(Math.abs(got - radius) <= 1e-5 * radius, at + ": norm " + got + ", radius " + radius);
        double r2 = Math.sqrt(norms[Hyper.SphereNorms.RADIUS_SQ]);
        assertTrue(Math.abs(r2 - radius) <= 1e-5 * radius, at + ": norms[RADIUS_SQ] " + r2 + ", radius " + radius);
    }

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1, 7, 13", "3, 8, 12"})   // 32x48 NS5 is covered by NewtonSchulzDeviceTest
    void muonHStepsKeepTheRadiusAndMatchTheReference(int slices, int rows, int cols) {
        int n = slices * rows * cols;
        StepProgram p = new StepProgram();
        Stage stage = new Stage("muonh");
        MuonDirection muon = muonDirection(p, stage, 11L * n + cols, slices, rows, cols);
        Buffer param = muon.param(), grad = muon.grad(), momentum = muon.momentum(), hyper = muon.hyper();
        Buffer norms = poisoned(p, "norms", Hyper.SphereNorms.SIZE);
        addSphereStep(stage, param, muon.ortho(), norms, hyper, n);
        p.register(stage);
        double[] rp = d(param.f), rm = d(momentum.f), rg = d(grad.f);
        float[][] steps = {{0.02f, 0.95f, 0f, 1, 1f}, {0.01f, 0.9f, 0.1f, 2, 0.5f}};
        try (TornadoBackend b = device()) {
            b.load(p);
            for (float[] s : steps) {
                Hyper.setMuon(hyper.f, s[0], s[1], s[2], (int) s[3], s[4]);
                b.upload(hyper);
                float[] before = param.f.clone();
                b.run(stage);
                b.download(param, momentum, norms);
                SphereRef.muonStep(rp, rm, rg, d(hyper.f), slices, rows, cols);
                String at = "step " + (int) s[3];
                radiusKept(at, before, param.f, norms.f, s[0], s[2]);
                close("momentum at " + at, momentum.f, rm, 1e-6, 1e-9);
                // The step is lr = 1-2% of the radius; NS5's ~1e-6 relative error in it is ~1e-8 of param.
                normRelative("param at " + at, param.f, rp, 0, n, 1e-5);
            }
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 91, 70001})
    void adamStepsKeepTheRadiusAndMatchTheReference(int n) {
        long seed = 13L * n;
        StepProgram p = new StepProgram();
        Buffer param = random(p, "param", Role.PARAM, seed, 0.05, n);
        Buffer grad = random(p, "grad", Role.GRAD, seed + 1, 0.01, n);
        Buffer m = random(p, "m", Role.OPTIMIZER, seed + 2, 0.001, n);
        Buffer v = p.floats("v", Role.OPTIMIZER, n);
        float[] vr = DeviceArrays.normal(seed + 3, n, 0.001);
        for (int i = 0; i < n; i++) v.f[i] = vr[i] * vr[i];
        Buffer direction = poisoned(p, "direction", n), norms = poisoned(p, "norms", Hyper.SphereNorms.SIZE);
        Buffer hyper = p.floats("hyper", Role.INPUT, Hyper.SIZE);
        Stage stage = new Stage("adam_sphere");
        stage.add(new Task.SphereAdamDirection(direction, m, v, grad, hyper, n));
        addSphereStep(stage, param, direction, norms, hyper, n);
        p.register(stage);
        double[] rp = d(param.f), rm = d(m.f), rv = d(v.f), rg = d(grad.f);
        float[][] steps = {{0.01f, 0.9f, 0.95f, 1e-8f, 0f, 1, 1f}, {0.003f, 0.8f, 0.999f, 1e-6f, 0.1f, 1000, 0.25f}};
        try (TornadoBackend b = device()) {
            b.load(p);
            for (float[] s : steps) {
                Hyper.setAdamW(hyper.f, s[0], s[1], s[2], s[3], s[4], (int) s[5], s[6]);
                b.upload(hyper);
                float[] before = param.f.clone();
                b.run(stage);
                b.download(param, m, v, direction, norms);
                // The reference's direction before its step: Adam's moments from the same state.
                SphereRef.adamStep(rp, rm, rv, rg, d(hyper.f));
                String at = "step " + (int) s[5];
                radiusKept(at, before, param.f, norms.f, s[0], s[4]);
                // m, v: two roundings per step of terms of size 1e-3 (m) and 1e-6 (v): absolute floors at
                // ~10 ulps of the terms, where the sum cancels; the direction is O(1) (float pow, sqrt).
                close("m at " + at, m.f, rm, 1e-5, 1e-9);
                close("v at " + at, v.f, rv, 1e-5, 1e-12);
                normRelative("param at " + at, param.f, rp, 0, n, 1e-5);
                // norms[DIRECTION_SQ] = ||direction||² summed in float in a fixed order.
                double dsq = 0;
                for (float dv : direction.f) dsq += (double) dv * dv;
                assertTrue(Math.abs(norms.f[Hyper.SphereNorms.DIRECTION_SQ] - dsq) <= 1e-5 * dsq,
                        "norms[DIRECTION_SQ] " + norms.f[Hyper.SphereNorms.DIRECTION_SQ] + ", double " + dsq);
            }
        }
    }
}
