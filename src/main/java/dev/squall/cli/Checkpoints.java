package dev.squall.cli;

import dev.squall.train.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint opened for a command: verified, with what the user should hear about it (an old file without checksums) on stderr. */
final class Checkpoints {
    private Checkpoints() {}

    static Checkpoint.Opened open(Path file) throws IOException {
        Checkpoint.Opened ckpt = Checkpoint.open(file);
        for (String note : ckpt.notes()) System.err.println("squall: note: " + note);
        return ckpt;
    }
}
