package dev.squall.train;

import dev.squall.program.Buffer;
import dev.squall.program.Buffer.Role;
import dev.squall.program.Stage;
import dev.squall.program.StepProgram;
import dev.squall.program.StepProgram.Param;
import dev.squall.program.Task;
import java.util.List;

/**
 * What Muon and MuonH share: per matrix a momentum buffer (optimizer state, so a checkpoint keeps
 * it), and the tasks momentum → NS5 writing the step direction into one scratch buffer. The scratch
 * is sized once for the largest tensor and reused by every matrix in turn, since the stage runs
 * its tasks in order.
 */
final class MuonDirections {
    final Buffer update, ortho, x, next, gram, gramSquared;

    /** {@code largest}: the most elements any tensor will put through {@link #ortho} (at least every matrix's size). */
    MuonDirections(StepProgram program, List<Param> matrices, int largest) {
        int n = largest, slice = 1, gramSize = 1;
        for (Param p : matrices) {
            int[] d = dims(p);
            n = Math.max(n, p.value().size());
            slice = Math.max(slice, d[1] * d[2]);
            gramSize = Math.max(gramSize, Task.NewtonSchulzOrthogonalize.gramSize(d[1], d[2]));
        }
        update = program.floats("optim.muon.update", Role.ACTIVATION, n);
        ortho = program.floats("optim.muon.ortho", Role.ACTIVATION, n);
        x = program.floats("optim.muon.ns_x", Role.ACTIVATION, slice);
        next = program.floats("optim.muon.ns_next", Role.ACTIVATION, slice);
        gram = program.floats("optim.muon.ns_gram", Role.ACTIVATION, gramSize);
        gramSquared = program.floats("optim.muon.ns_gram_squared", Role.ACTIVATION, gramSize);
    }

    /** Adds momentum and NS5 of {@code p} to the stage (the direction lands in {@link #ortho}); returns the momentum buffer. */
    Buffer addDirection(Stage stage, StepProgram program, Param p, Buffer hyper) {
        int[] d = dims(p);
        Buffer momentum = program.floats(p.name() + ".muon_momentum", Role.OPTIMIZER, p.value().shape);
        int n = p.value().size();
        stage.add(new Task.MuonMomentum(update, momentum, p.grad(), hyper, n));
        stage.add(new Task.NewtonSchulzOrthogonalize(ortho, update, x, gram, gramSquared, next, d[0], d[1], d[2]));
        return momentum;
    }

    /**
     * (slices, rows, cols) of a matrix parameter: a rank-2 tensor is one slice; a rank-3 expert
     * stack (E, rows, cols) is E slices (SPEC §6.1); any further leading axes also count as slices.
     */
    static int[] dims(Param p) {
        int[] s = p.value().shape;
        int rows = s[s.length - 2], cols = s[s.length - 1];
        return new int[] {p.value().size() / (rows * cols), rows, cols};
    }
}
