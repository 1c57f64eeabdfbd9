package dev.squall.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A byte-level text corpus: every byte is a token (vocabulary 256), so no tokenizer is needed and
 * any text works.
 *
 * <p>Sources: by default the Java sources that ship with the running JDK ({@code lib/src.zip}),
 * every {@code .java} entry in name order; or a text file; or a directory of text files walked
 * recursively in path order, skipping hidden files and directories (names starting with '.') and
 * binary files (a NUL byte in the first 8 KiB). Documents are joined with a '\n' separator. The
 * total loaded is capped ({@link #DEFAULT_MAX_BYTES}): documents are taken in order until the cap,
 * the last one cut short.
 *
 * <p>Train/validation split, by whole documents so no file is in both: a document goes to
 * validation when a 64-bit hash of its name (its path relative to the source, '/'-separated) is 0
 * to 4 mod 100, about 5% of documents. The hash depends only on the name, so the split of a given
 * file never changes when the cap or the other files change. When that leaves one side empty (a
 * single file, or a handful), the last 5% of the bytes (at least one) become validation instead.
 */
public final class ByteCorpus {
    public static final int VOCAB_SIZE = 256;
    public static final long DEFAULT_MAX_BYTES = 64L << 20;
    public static final int VALIDATION_PERCENT = 5;
    static final int BINARY_SNIFF_BYTES = 8192;
    private static final byte SEPARATOR = '\n';
    /** Largest split a Java byte array holds, with headroom the JDK reserves. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 16;

    /** A problem with the input data; the message is one line naming the path and what to do. */
    public static final class DataException extends IOException {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        DataException(String message) {
            super(message);
        }

        DataException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String source;
    /** The --data path this corpus was loaded from; null for the JDK's sources. */
    private Path origin;
    private final byte[] train, validation;
    private final int documents, validationDocuments;
    private final boolean capped;

    private ByteCorpus(String source, byte[] train, byte[] validation, int documents, int validationDocuments,
                       boolean capped) {
        this.source = source;
        this.train = train;
        this.validation = validation;
        this.documents = documents;
        this.validationDocuments = validationDocuments;
        this.capped = capped;
    }

    /** {@code data == null}: the JDK's own sources; otherwise a text file or directory. */
    public static ByteCorpus load(Path data, long maxBytes) throws IOException {
        if (data == null) return fromJdkSources(maxBytes);
        ByteCorpus c = fromPath(data, maxBytes);
        c.origin = data.toAbsolutePath().normalize();
        return c;
    }

    /**
     * Every byte of a text file or directory (or the JDK's sources when {@code data} is null), up
     * to {@code maxBytes}, with no train/validation split: text to measure a trained model on. Each
     * document is whole and followed by a separator; a single file comes back in order.
     */
    public static byte[] allText(Path data, long maxBytes) throws IOException {
        ByteCorpus c = load(data, maxBytes);
        // The split kept documents whole (or, for one document, cut it once): train then validation is all of it.
        byte[] all = Arrays.copyOf(c.train, c.train.length + c.validation.length);
        System.arraycopy(c.validation, 0, all, c.train.length, c.validation.length);
        return all;
    }

    /** The {@code .java} files in the running JDK's {@code lib/src.zip}. */
    public static ByteCorpus fromJdkSources(long maxBytes) throws IOException {
        return fromJdkSources(Path.of(System.getProperty("java.home")), maxBytes);
    }

    static ByteCorpus fromJdkSources(Path javaHome, long maxBytes) throws IOException {
        checkCap(maxBytes);
        Path zip = javaHome.resolve("lib").resolve("src.zip");
        if (!Files.isRegularFile(zip)) {
            throw new DataException("no JDK sources at " + zip + " (this JDK ships without src.zip): pass --data PATH "
                    + "with a text file or a directory of text files");
        }
        Splitter out = new Splitter(maxBytes);
        try (ZipFile zf = new ZipFile(zip.toFile())) {
            List<? extends ZipEntry> entries = zf.stream()
                    .filter(e -> !e.isDirectory() && e.getName().endsWith(".java"))
                    .sorted((a, b) -> a.getName().compareTo(b.getName()))
                    .toList();
            for (ZipEntry e : entries) {
                if (out.full()) break;
                try (InputStream in = zf.getInputStream(e)) {
                    out.add(e.getName(), in.readNBytes(out.room()));
                }
            }
        } catch (IOException e) {
            throw new DataException(zip + ": cannot read JDK sources (" + reason(e) + "): pass --data PATH instead", e);
        }
        if (out.documents == 0) {
            throw new DataException(zip + ": contains no .java files: pass --data PATH with a text file or directory");
        }
        return out.finish("JDK sources " + zip);
    }

    /** A text file, or a directory of text files walked recursively. */
    public static ByteCorpus fromPath(Path path, long maxBytes) throws IOException {
        checkCap(maxBytes);
        if (!Files.exists(path)) {
            throw new DataException(path + ": no such file or directory: pass --data PATH with an existing text file "
                    + "or directory");
        }
        if (Files.isDirectory(path)) return fromDirectory(path, maxBytes);
        byte[] bytes = readText(path, Math.max(maxBytes, BINARY_SNIFF_BYTES));
        if (bytes.length == 0) throw new DataException(path + ": file is empty: pass a file with some text in it");
        if (isBinary(bytes)) {
            throw new DataException(path + ": looks binary (NUL byte in the first 8 KiB): pass a text file");
        }
        Splitter out = new Splitter(maxBytes);
        out.add(path.getFileName().toString(), bytes);
        return out.finish(path.toString());
    }

    private static ByteCorpus fromDirectory(Path dir, long maxBytes) throws IOException {
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    return !d.equals(dir) && hidden(d) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && !hidden(f)) files.add(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                    throw e;
                }
            });
        } catch (IOException e) {
            String where = e instanceof FileSystemException fse && fse.getFile() != null ? fse.getFile() : dir.toString();
            throw new DataException(where + ": cannot read (" + reason(e) + "): fix its permissions or pass another "
                    + "--data PATH", e);
        }
        List<String> names = new ArrayList<>(files.size());
        for (Path f : files) names.add(relativeName(dir, f));
        Integer[] order = new Integer[files.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> names.get(a).compareTo(names.get(b)));

        Splitter out = new Splitter(maxBytes);
        int binary = 0, empty = 0;
        for (int i : order) {
            if (out.full()) break;
            byte[] bytes = readText(files.get(i), Math.max(out.room(), BINARY_SNIFF_BYTES));
            if (isBinary(bytes)) {
                binary++;
            } else if (bytes.length == 0) {
                empty++;
            } else {
                out.add(names.get(i), bytes);
            }
        }
        if (out.documents == 0) {
            throw new DataException(dir + ": no text files found (" + files.size() + " files: " + binary + " binary, "
                    + empty + " empty; hidden ones skipped): pass a directory that contains text files");
        }
        return out.finish(dir.toString());
    }

    private static boolean hidden(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    private static String relativeName(Path root, Path file) {
        Path rel = root.relativize(file);
        StringBuilder sb = new StringBuilder();
        for (Path part : rel) {
            if (!sb.isEmpty()) sb.append('/');
            sb.append(part);
        }
        return sb.toString();
    }

    private static byte[] readText(Path file, long limit) throws DataException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes((int) Math.min(limit, MAX_ARRAY));
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + reason(e) + "): fix its permissions or pass another "
                    + "--data PATH", e);
        }
    }

    private static boolean isBinary(byte[] bytes) {
        int n = Math.min(bytes.length, BINARY_SNIFF_BYTES);
        for (int i = 0; i < n; i++) if (bytes[i] == 0) return true;
        return false;
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileSystemException fse && fse.getReason() != null) return fse.getReason();
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static void checkCap(long maxBytes) {
        if (maxBytes <= 0 || maxBytes > MAX_ARRAY) {
            throw new IllegalArgumentException("corpus size cap must be in [1, " + MAX_ARRAY + "] bytes, got " + maxBytes);
        }
    }

    /** True when a document name belongs to the validation split (see the class comment). */
    static boolean isValidation(String name) {
        long h = 0xcbf29ce484222325L; // FNV-1a over the UTF-8 name, then a SplitMix64 finalizer to mix all bits
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return Long.remainderUnsigned(h, 100) < VALIDATION_PERCENT;
    }

    /** Appends documents to the train or validation stream until the cap. */
    private static final class Splitter {
        private final long cap;
        private long total;
        private final Bytes train = new Bytes(), validation = new Bytes();
        int documents, validationDocuments;
        boolean capped;

        Splitter(long cap) {
            this.cap = cap;
        }

        boolean full() {
            return total >= cap;
        }

        int room() {
            return (int) (cap - total);
        }

        void add(String name, byte[] text) {
            int len = Math.min(text.length, room());
            if (len < text.length) capped = true;
            Bytes side = isValidation(name) ? validation : train;
            side.append(text, len);
            total += len;
            if (!full()) {
                side.append(new byte[] {SEPARATOR}, 1);
                total++;
            }
            documents++;
            if (side == validation) validationDocuments++;
        }

        ByteCorpus finish(String source) {
            byte[] t = train.toArray(), v = validation.toArray();
            int vDocs = validationDocuments;
            if (t.length == 0 || v.length == 0) {
                byte[] all = t.length == 0 ? v : t;
                int cut = all.length - Math.max(1, (int) ((long) all.length * VALIDATION_PERCENT / 100));
                t = Arrays.copyOfRange(all, 0, cut);
                v = Arrays.copyOfRange(all, cut, all.length);
                vDocs = 0; // a byte split, not a document split
            }
            return new ByteCorpus(source, t, v, documents, vDocs, capped || full());
        }
    }

    /** A growable byte array; ByteArrayOutputStream would add locking and a final copy of the same size. */
    private static final class Bytes {
        private byte[] a = new byte[1 << 16];
        private int n;

        void append(byte[] src, int len) {
            if (n + len > a.length) a = Arrays.copyOf(a, (int) Math.min(MAX_ARRAY, Math.max(n + (long) len, 2L * a.length)));
            System.arraycopy(src, 0, a, n, len);
            n += len;
        }

        byte[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    // ---------------------------------------------------------------- access

    /** Where the text came from, for logs: a path, or "JDK sources .../src.zip". */
    public String source() { return source; }

    /** The absolute path given as --data, or null for the JDK's sources (what a resumed run loads again). */
    public Path origin() { return origin; }

    /** The training split (not a copy: do not modify). */
    public byte[] train() { return train; }

    /** The validation split (not a copy: do not modify). */
    public byte[] validation() { return validation; }

    /** Documents loaded, including the one cut short by the cap. */
    public int documents() { return documents; }

    /** Documents in the validation split; 0 when the split fell back to the last bytes. */
    public int validationDocuments() { return validationDocuments; }

    /** True when loading stopped at the size cap (the source may hold more). */
    public boolean capped() { return capped; }

    public long totalBytes() { return (long) train.length + validation.length; }

    /** Random training windows (see {@link Batcher#random}). */
    public Batcher trainBatcher(int B, int T, long seed) {
        checkFits("training", train, T);
        return Batcher.random(train, B, T, seed);
    }

    /** Seed of the validation windows: fixed, so every evaluation (after {@link Batcher#reset}) sees the same text. */
    static final long VALIDATION_SEED = 0x5EED_0F_7A1DL;

    /**
     * Validation windows spread over the whole split: a seeded random batcher, reset before each
     * evaluation. Consecutive windows from the start would measure only the first few documents
     * (for the JDK sources, mostly their identical license headers, far easier than the average).
     */
    public Batcher validationBatcher(int B, int T) {
        checkFits("validation", validation, T);
        return Batcher.random(validation, B, T, VALIDATION_SEED);
    }

    private void checkFits(String split, byte[] data, int T) {
        if (T <= 0) throw new IllegalArgumentException("sequence length must be positive, got " + T);
        if (data.length < (long) T + 1) {
            throw new IllegalArgumentException(source + ": the " + split + " split has " + data.length
                    + " bytes, fewer than one window of T+1 = " + (T + 1) + ": pass more text with --data PATH or a "
                    + "shorter sequence length");
        }
    }

    @Override
    public String toString() {
        return "%s: %d documents, %d train + %d validation bytes%s".formatted(source, documents, train.length,
                validation.length, capped ? " (capped)" : "");
    }
}
