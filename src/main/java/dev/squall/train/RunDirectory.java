package dev.squall.train;

import dev.squall.model.ConfigException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A run directory held by one writer. {@link #lock} takes an operating-system lock on
 * {@code RUN_DIR/run.lock} before anything else in the directory is written, so a second
 * {@code train} (or {@code --resume}) into the same directory fails at once and names the process
 * that holds it. The lock belongs to the process: when that process dies, even by {@code kill -9},
 * the kernel releases it, so a lock file left behind never blocks a later run. Under the lock, the
 * temporary files of a save that a killed process left behind are removed.
 *
 * <p>Files: {@code config.json}, {@code metrics.jsonl}, {@code checkpoint.safetensors},
 * {@code summary.json}, the plots, and {@code run.lock} (who holds the directory, for the error
 * message; its content means nothing once the lock is free).
 */
public final class RunDirectory implements AutoCloseable {
    public static final String LOCK = "run.lock";
    public static final String CHECKPOINT = "checkpoint.safetensors";
    public static final String CONFIG = "config.json";
    public static final String SUMMARY = "summary.json";

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;
    private final List<String> notes = new ArrayList<>();

    private RunDirectory(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates {@code dir} if needed and takes its lock, or throws a one-line {@link ConfigException}
     * naming the process that holds it.
     */
    public static RunDirectory lock(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(LOCK);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException sameProcess) {
            lock = null;
        } catch (IOException e) {
            ch.close();
            throw new IOException(file + ": cannot lock the run directory (" + e.getMessage()
                    + "); use a local directory for --out", e);
        }
        if (lock == null) {
            String holder = holder(ch);
            ch.close();
            throw new ConfigException(dir + " is in use by another squall process (" + holder
                    + "); wait for it to finish, stop it, or choose another --out");
        }
        RunDirectory run = new RunDirectory(dir, ch, lock);
        run.writeHolder();
        run.removeInterruptedSaves();
        return run;
    }

    public Path path() { return dir; }

    public Path checkpoint() { return dir.resolve(CHECKPOINT); }

    public Path config() { return dir.resolve(CONFIG); }

    public Path summary() { return dir.resolve(SUMMARY); }

    public boolean hasCheckpoint() { return Files.exists(checkpoint()); }

    /** What taking the directory did that the user should hear about (stale temporary files removed). */
    public List<String> notes() { return List.copyOf(notes); }

    /**
     * The files an earlier run left here, for the "already holds a run" check: a checkpoint, or the
     * metrics and configuration of a run killed before its first save. Empty for a fresh directory.
     */
    public List<String> earlierRunFiles() {
        List<String> found = new ArrayList<>();
        for (String name : new String[] {CHECKPOINT, MetricsLog.FILE, SUMMARY, CONFIG}) {
            if (Files.exists(dir.resolve(name))) found.add(name);
        }
        return found;
    }

    private void writeHolder() throws IOException {
        String runtime = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
        String text = "pid " + ProcessHandle.current().pid() + " (" + runtime + "), since " + Instant.now() + "\n";
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
        channel.force(false);
    }

    private static String holder(FileChannel ch) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(512);
            ch.read(buf, 0);
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "process unknown" : text;
        } catch (IOException e) {
            return "process unknown";
        }
    }

    /**
     * A save writes {@code .NAME.PID.RANDOM.tmp} and renames it over NAME; a process killed in
     * between leaves the temporary file. Under the lock no save is running, so any such file is a
     * leftover.
     */
    private void removeInterruptedSaves() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path f : files) {
                if (!Files.isRegularFile(f)) continue;
                long bytes = Files.size(f);
                Files.delete(f);
                notes.add("removed " + f.getFileName() + " (" + bytes + " bytes), left by an interrupted save");
            }
        }
    }

    /** Releases the lock; the lock file stays (removing it would race with a process about to lock it). */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
