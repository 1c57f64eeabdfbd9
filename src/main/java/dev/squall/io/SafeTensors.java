package dev.squall.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * The safetensors checkpoint format: an 8-byte little-endian header length N, N bytes of JSON
 * header (padded with spaces so the data starts 8-byte aligned), then the raw little-endian tensor
 * data. The header maps each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}}
 * with offsets relative to the data section, plus an optional {@code "__metadata__"} object of
 * string to string. Squall reads and writes the dtypes F32, F64, I32, I64 and U8.
 *
 * <p>Reading ({@link #read}) validates the whole header up front: every tensor's bytes lie inside
 * the data section, match its dtype and shape, and the tensors tile the data section exactly (no
 * overlap, no gap, nothing left over), so a damaged file fails at once with one line naming the
 * file and the problem, never later with a wrong tensor. The data is memory-mapped, not copied to
 * the heap; {@link #floats} and friends convert straight from the mapping into a Java array.
 *
 * <p>Writing ({@link Writer#writeAtomically}) goes to a temporary file in the target's directory,
 * is forced to disk, then renamed over the target: a crash leaves either the old file or the new
 * one, never a half-written checkpoint.
 */
public final class SafeTensors {
    /** The Python library's limit: larger headers are corrupt or hostile, not checkpoints. */
    static final long MAX_HEADER_BYTES = 100_000_000;
    private static final String METADATA = "__metadata__";

    /** A file that is not a valid safetensors file; the message names the file and the problem. */
    public static final class FormatException extends IOException {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }

    private enum DType {
        F64(8), I64(8), F32(4), I32(4), U8(1);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    private record Entry(String name, DType dtype, int[] shape, long numel, long begin, long end) {}

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Map<String, String> metadata;
    private final Map<String, Entry> entries;
    private final MemorySegment data;

    private SafeTensors(Path file, Map<String, String> metadata, Map<String, Entry> entries, MemorySegment data) {
        this.file = file;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.entries = entries;
        this.data = data;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Opens and validates a safetensors file. The data section stays memory-mapped until this
     * object is garbage collected; the file itself is closed when this returns.
     *
     * @throws FormatException one line naming the file and what is wrong with it
     * @throws IOException the file cannot be opened or read (message names the file)
     */
    public static SafeTensors read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw bad(file, "truncated: " + size + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, prefix, 0);
            long n = prefix.getLong(0);
            if (n < 0 || n > size - 8) {
                throw bad(file, "header length " + Long.toUnsignedString(n) + " exceeds the " + (size - 8)
                        + " bytes after the length prefix (truncated, or not a safetensors file)");
            }
            if (n > MAX_HEADER_BYTES) {
                throw bad(file, "header length " + n + " is over the " + MAX_HEADER_BYTES + "-byte limit (corrupt file)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
            readFully(ch, headerBytes, 8);
            String header;
            try {
                header = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(headerBytes.flip()).toString();
            } catch (CharacterCodingException e) {
                throw bad(file, "header is not valid UTF-8 (not a safetensors file?)");
            }
            Object json;
            try {
                json = Json.parse(header, file + ": bad JSON header at ");
            } catch (Json.ParseException e) {
                throw new FormatException(e.getMessage());
            }
            long dataBytes = size - 8 - n;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(file, json, dataBytes, metadata);
            MemorySegment data = dataBytes == 0 ? MemorySegment.NULL
                    : ch.map(FileChannel.MapMode.READ_ONLY, 8 + n, dataBytes, Arena.ofAuto());
            return new SafeTensors(file, metadata, entries, data);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(file.toString(), null, "permission denied");
        }
    }

    private static Map<String, Entry> parseHeader(Path file, Object json, long dataBytes, Map<String, String> metadata)
            throws FormatException {
        if (!(json instanceof Map<?, ?> top)) throw bad(file, "header is not a JSON object");
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<?, ?> kv : top.entrySet()) {
            String name = (String) kv.getKey();
            if (name.equals(METADATA)) {
                if (!(kv.getValue() instanceof Map<?, ?> meta)) throw bad(file, "\"__metadata__\" is not a JSON object");
                for (Map.Entry<?, ?> m : meta.entrySet()) {
                    if (!(m.getValue() instanceof String v)) {
                        throw bad(file, "metadata \"" + m.getKey() + "\" is not a string");
                    }
                    metadata.put((String) m.getKey(), v);
                }
                continue;
            }
            entries.put(name, parseEntry(file, name, kv.getValue(), dataBytes));
        }
        checkTiling(file, entries.values(), dataBytes);
        return entries;
    }

    private static Entry parseEntry(Path file, String name, Object value, long dataBytes) throws FormatException {
        String what = "tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> m)) throw bad(file, what + ": header entry is not a JSON object");
        if (!(m.get("dtype") instanceof String dtypeName)) throw bad(file, what + ": missing string \"dtype\"");
        DType dtype;
        try {
            dtype = DType.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw bad(file, what + ": dtype " + dtypeName + " is not supported (supported: F32, F64, I32, I64, U8)");
        }
        if (!(m.get("shape") instanceof List<?> shapeList)) throw bad(file, what + ": missing \"shape\" list");
        int[] shape = new int[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw bad(file, what + ": shape " + shapeList + " is not a list of non-negative int dimensions");
            }
            shape[i] = (int) (long) d;
            numel = multiplyOrMax(numel, d);
        }
        if (!(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2
                || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)
                || begin < 0 || end < begin) {
            throw bad(file, what + ": \"data_offsets\" " + Json.write(m.get("data_offsets"))
                    + " is not [begin, end] with 0 <= begin <= end");
        }
        if (end > dataBytes) {
            throw bad(file, what + ": data_offsets [" + begin + ", " + end + "] reach past the end of the "
                    + dataBytes + "-byte data section (truncated file?)");
        }
        long need = multiplyOrMax(numel, dtype.bytes);
        if (need != end - begin) {
            throw bad(file, what + ": " + dtype + " shape " + Arrays.toString(shape) + " needs " + need
                    + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return new Entry(name, dtype, shape, numel, begin, end);
    }

    /** The tensors, sorted by offset, must cover [0, dataBytes) exactly once. */
    private static void checkTiling(Path file, java.util.Collection<Entry> entries, long dataBytes)
            throws FormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin < covered) {
                throw bad(file, "tensors '" + previous.name + "' [" + previous.begin + ", " + previous.end
                        + ") and '" + e.name + "' [" + e.begin + ", " + e.end + ") overlap");
            }
            if (e.begin > covered) {
                throw bad(file, "data bytes [" + covered + ", " + e.begin + ") belong to no tensor (gap before '"
                        + e.name + "')");
            }
            covered = e.end;
            previous = e;
        }
        if (covered != dataBytes) {
            throw bad(file, "data bytes [" + covered + ", " + dataBytes + ") belong to no tensor (trailing data)");
        }
    }

    private static long multiplyOrMax(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE; // cannot match any real byte count, so the size check reports it
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, position + dst.position());
            if (r < 0) throw new IOException("unexpected end of file");
        }
    }

    private static FormatException bad(Path file, String problem) {
        return new FormatException(file + ": " + problem);
    }

    public Path file() { return file; }

    // ---------------------------------------------------------------- checksums

    /**
     * Metadata key of the checksums a {@link Writer#withChecksums} file carries: a JSON object
     * mapping each tensor name to the CRC32C of its data bytes (8 lowercase hex digits), and
     * {@code "__metadata__"} to the CRC32C of the other metadata entries, sorted by key, each as
     * UTF-8 {@code key NUL value NUL}. It is ordinary string metadata, so any safetensors reader
     * still loads the file.
     */
    public static final String CHECKSUMS = "crc32c";

    /** Whether the file carries checksums (files written before checksums were added do not). */
    public boolean hasChecksums() { return metadata.containsKey(CHECKSUMS); }

    /**
     * Recomputes every checksum and compares it with the stored one. Throws one line naming the
     * file and the first tensor (or the metadata) whose bytes changed, or a tensor without a
     * checksum. A file without checksums passes ({@link #hasChecksums} tells them apart).
     */
    public void verifyChecksums() throws FormatException {
        String stored = metadata.get(CHECKSUMS);
        if (stored == null) return;
        Map<?, ?> sums;
        try {
            if (!(Json.parse(stored, file + ": metadata '" + CHECKSUMS + "' at ") instanceof Map<?, ?> m)) {
                throw bad(file, "metadata '" + CHECKSUMS + "' is not a JSON object of checksums (damaged header)");
            }
            sums = m;
        } catch (Json.ParseException e) {
            throw new FormatException(e.getMessage() + " (damaged header)");
        }
        check(METADATA, sums.get(METADATA), crc32c(canonicalMetadata(metadata)));
        for (Entry e : entries.values()) {
            CRC32C crc = new CRC32C();
            if (e.end > e.begin) crc.update(data.asSlice(e.begin, e.end - e.begin).asByteBuffer());
            check(e.name, sums.get(e.name), crc.getValue());
        }
        for (Object name : sums.keySet()) {
            if (!name.equals(METADATA) && !entries.containsKey(name)) {
                throw bad(file, "has a checksum for tensor '" + name + "' but no such tensor (damaged header)");
            }
        }
    }

    private void check(String name, Object stored, long computed) throws FormatException {
        String what = name.equals(METADATA) ? "the metadata" : "tensor '" + name + "'";
        if (!(stored instanceof String hex)) throw bad(file, what + " has no checksum in '" + CHECKSUMS + "' (damaged header)");
        if (!hex.equals(hex(computed))) {
            throw bad(file, what + " fails its CRC32C check (stored " + hex + ", computed " + hex(computed)
                    + "): the file is damaged; restore a copy of it or write it again");
        }
    }

    static String hex(long crc) { return String.format("%08x", crc); }

    private static long crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /** The metadata entries other than the checksums themselves, sorted by key, as {@code key NUL value NUL} in UTF-8. */
    static byte[] canonicalMetadata(Map<String, String> metadata) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(metadata).entrySet()) {
            if (e.getKey().equals(CHECKSUMS)) continue;
            out.writeBytes(e.getKey().getBytes(StandardCharsets.UTF_8));
            out.write(0);
            out.writeBytes(e.getValue().getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /**
     * The index of the first element of an F32 or F64 tensor that is NaN or infinite, or -1 when
     * all are finite.
     */
    public long firstNonFinite(String name) {
        Entry e = entry(name);
        if (e.dtype == DType.F32) {
            for (long i = 0; i < e.numel; i++) if (!Float.isFinite(data.get(F32_LE, e.begin + 4 * i))) return i;
        } else if (e.dtype == DType.F64) {
            for (long i = 0; i < e.numel; i++) if (!Double.isFinite(data.get(F64_LE, e.begin + 8 * i))) return i;
        }
        return -1;
    }

    /** String metadata in file order; empty when the file has none. */
    public Map<String, String> metadata() { return metadata; }

    /** Tensor names in header order (for files from {@link Writer}: the order they were added). */
    public List<String> names() { return List.copyOf(entries.keySet()); }

    public boolean contains(String name) { return entries.containsKey(name); }

    /** "F32", "F64", "I32", "I64" or "U8". */
    public String dtype(String name) { return entry(name).dtype.name(); }

    /** A copy of the shape; empty for a 0-d (scalar) tensor. */
    public int[] shape(String name) { return entry(name).shape.clone(); }

    /** Number of elements: the product of the shape (1 for a 0-d tensor). */
    public long numel(String name) { return entry(name).numel; }

    public float[] floats(String name) {
        Entry e = entry(name, DType.F32, "floats");
        float[] out = new float[arrayLength(e)];
        MemorySegment.copy(data, F32_LE, e.begin, out, 0, out.length);
        return out;
    }

    /** Loads an F32 tensor into an existing array (a model's parameter buffer) without allocating. */
    public void floats(String name, float[] into) {
        Entry e = entry(name, DType.F32, "floats");
        if (into.length != e.numel) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' has " + e.numel
                    + " elements (shape " + Arrays.toString(e.shape) + ") but the destination holds " + into.length);
        }
        MemorySegment.copy(data, F32_LE, e.begin, into, 0, into.length);
    }

    public double[] doubles(String name) {
        Entry e = entry(name, DType.F64, "doubles");
        double[] out = new double[arrayLength(e)];
        MemorySegment.copy(data, F64_LE, e.begin, out, 0, out.length);
        return out;
    }

    public int[] ints(String name) {
        Entry e = entry(name, DType.I32, "ints");
        int[] out = new int[arrayLength(e)];
        MemorySegment.copy(data, I32_LE, e.begin, out, 0, out.length);
        return out;
    }

    public long[] longs(String name) {
        Entry e = entry(name, DType.I64, "longs");
        long[] out = new long[arrayLength(e)];
        MemorySegment.copy(data, I64_LE, e.begin, out, 0, out.length);
        return out;
    }

    public byte[] bytes(String name) {
        Entry e = entry(name, DType.U8, "bytes");
        byte[] out = new byte[arrayLength(e)];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, e.begin, out, 0, out.length);
        return out;
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            List<String> names = names();
            String have = names.isEmpty() ? "it has no tensors"
                    : "it has " + names.size() + ": " + String.join(", ", names.subList(0, Math.min(names.size(), 10)))
                            + (names.size() > 10 ? ", ..." : "");
            throw new IllegalArgumentException(file + ": no tensor named '" + name + "' (" + have + ")");
        }
        return e;
    }

    private Entry entry(String name, DType wanted, String accessor) {
        Entry e = entry(name);
        if (e.dtype != wanted) {
            String right = switch (e.dtype) {
                case F32 -> "floats";
                case F64 -> "doubles";
                case I32 -> "ints";
                case I64 -> "longs";
                case U8 -> "bytes";
            };
            throw new IllegalArgumentException(file + ": tensor '" + name + "' is " + e.dtype + ", not " + wanted
                    + " (read it with " + right + "(), not " + accessor + "())");
        }
        return e;
    }

    private int arrayLength(Entry e) {
        if (e.numel > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(file + ": tensor '" + e.name + "' has " + e.numel
                    + " elements, more than a Java array holds");
        }
        return (int) e.numel;
    }

    // ---------------------------------------------------------------- writing

    /**
     * Collects named tensors and string metadata, then writes them as one safetensors file.
     * Arrays are held by reference and read only by {@link #writeAtomically}, so a checkpoint
     * writer can register the live parameter buffers once and write them at every save.
     */
    public static final class Writer {
        private record Pending(String name, DType dtype, int[] shape, Object array, long numel) {}

        private static final int CHUNK_BYTES = 1 << 20;

        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final Map<String, Pending> tensors = new LinkedHashMap<>();
        /** For tests: throw after this many bytes have gone to the temporary file (negative: never). */
        long failAfterBytes = -1;
        private boolean checksums;

        /** Stores a CRC32C of every tensor's bytes and of the other metadata (see {@link SafeTensors#CHECKSUMS}). */
        public Writer withChecksums() {
            checksums = true;
            return this;
        }

        /** Adds or replaces one metadata entry. */
        public Writer metadata(String key, String value) {
            metadata.put(java.util.Objects.requireNonNull(key), java.util.Objects.requireNonNull(value));
            return this;
        }

        public Writer add(String name, float[] data, int... shape) {
            return add(name, DType.F32, data, data.length, shape);
        }

        public Writer add(String name, double[] data, int... shape) {
            return add(name, DType.F64, data, data.length, shape);
        }

        public Writer add(String name, int[] data, int... shape) {
            return add(name, DType.I32, data, data.length, shape);
        }

        public Writer add(String name, long[] data, int... shape) {
            return add(name, DType.I64, data, data.length, shape);
        }

        /** Unsigned bytes (U8): byte {@code -1} is stored as 255. */
        public Writer add(String name, byte[] data, int... shape) {
            return add(name, DType.U8, data, data.length, shape);
        }

        private Writer add(String name, DType dtype, Object array, int length, int[] shape) {
            if (name.isEmpty() || name.equals(METADATA)) {
                throw new IllegalArgumentException("tensor name '" + name + "' is reserved or empty");
            }
            if (tensors.containsKey(name)) throw new IllegalArgumentException("tensor '" + name + "' added twice");
            long numel = 1;
            for (int d : shape) {
                if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape "
                        + Arrays.toString(shape));
                numel *= d;
            }
            if (numel != length) {
                throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has "
                        + numel + " elements but the array has " + length);
            }
            tensors.put(name, new Pending(name, dtype, shape.clone(), array, numel));
            return this;
        }

        /**
         * Writes the file to a temporary sibling, forces it to disk, renames it over {@code target}
         * atomically, then syncs the directory. On any failure the temporary file is removed and
         * {@code target} is exactly as before. A process killed mid-write may leave a hidden
         * {@code .<name>.*.tmp} file beside the target, never a damaged target.
         */
        public void writeAtomically(Path target) throws IOException {
            Path absolute = target.toAbsolutePath();
            Path dir = absolute.getParent();
            if (!Files.isDirectory(dir)) {
                throw new NoSuchFileException(target.toString(), null,
                        "cannot write: directory " + dir + " does not exist");
            }
            Path tmp = dir.resolve("." + absolute.getFileName() + "." + ProcessHandle.current().pid() + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            boolean moved = false;
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    writeTo(ch);
                    ch.force(true);
                }
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE);
                moved = true;
            } catch (IOException e) {
                throw new IOException(target + ": could not write (" + describe(e)
                        + "); the previous file, if any, is unchanged", e);
            } finally {
                if (!moved) Files.deleteIfExists(tmp);
            }
            syncDirectory(dir);
        }

        private void writeTo(FileChannel ch) throws IOException {
            List<Pending> order = new ArrayList<>(tensors.values());
            // Widest elements first (stable), so every tensor starts at a multiple of its element size.
            order.sort(Comparator.comparingInt((Pending p) -> -p.dtype.bytes));
            Map<String, long[]> offsets = new LinkedHashMap<>();
            long at = 0;
            for (Pending p : order) {
                long bytes = p.numel * p.dtype.bytes;
                offsets.put(p.name, new long[] {at, at + bytes});
                at += bytes;
            }
            Map<String, Object> header = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>(metadata);
            if (checksums) meta.put(CHECKSUMS, Json.write(checksums(order)));
            if (!meta.isEmpty()) header.put(METADATA, meta);
            for (Pending p : tensors.values()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("dtype", p.dtype.name());
                e.put("shape", p.shape);
                e.put("data_offsets", offsets.get(p.name));
                header.put(p.name, e);
            }
            byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
            int padded = (json.length + 7) & ~7;
            ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(CHUNK_BYTES, 8 + padded)).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(padded).put(json);
            while (buf.position() < 8 + padded) buf.put((byte) ' ');
            long[] written = {0};
            drain(ch, buf.flip(), written);
            ByteBuffer chunks = buf.clear().limit(CHUNK_BYTES).slice().order(ByteOrder.LITTLE_ENDIAN);
            for (Pending p : order) forEachChunk(p, chunks, chunk -> drain(ch, chunk, written));
        }

        /** The CRC32C of each tensor's little-endian bytes as they will be written, and of the metadata. */
        private Map<String, String> checksums(List<Pending> order) throws IOException {
            Map<String, String> sums = new LinkedHashMap<>();
            sums.put(METADATA, hex(crc32c(canonicalMetadata(metadata))));
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Pending p : order) {
                CRC32C crc = new CRC32C();
                forEachChunk(p, buf, chunk -> crc.update(chunk));
                sums.put(p.name, hex(crc.getValue()));
            }
            return sums;
        }

        /** Hands {@code p}'s data to {@code sink} as little-endian chunks of at most {@code buf}'s capacity. */
        private static void forEachChunk(Pending p, ByteBuffer buf, ChunkSink sink) throws IOException {
            int n = (int) p.numel, per = buf.capacity() / p.dtype.bytes;
            for (int off = 0; off < n; off += per) {
                int len = Math.min(per, n - off);
                buf.clear();
                switch (p.dtype) {
                    case F32 -> buf.asFloatBuffer().put((float[]) p.array, off, len);
                    case F64 -> buf.asDoubleBuffer().put((double[]) p.array, off, len);
                    case I32 -> buf.asIntBuffer().put((int[]) p.array, off, len);
                    case I64 -> buf.asLongBuffer().put((long[]) p.array, off, len);
                    case U8 -> buf.put((byte[]) p.array, off, len);
                }
                sink.accept(buf.position(0).limit(len * p.dtype.bytes));
            }
        }

        @FunctionalInterface
        private interface ChunkSink {
            void accept(ByteBuffer chunk) throws IOException;
        }

        private void drain(FileChannel ch, ByteBuffer buf, long[] written) throws IOException {
            if (failAfterBytes >= 0 && written[0] + buf.remaining() > failAfterBytes) {
                buf.limit(buf.position() + (int) (failAfterBytes - written[0]));
                while (buf.hasRemaining()) ch.write(buf);
                throw new IOException("simulated failure after " + failAfterBytes + " bytes");
            }
            written[0] += buf.remaining();
            while (buf.hasRemaining()) ch.write(buf);
        }

        private static String describe(IOException e) {
            if (e instanceof FileSystemException fse && fse.getReason() != null) return fse.getReason();
            if (e instanceof AccessDeniedException) return "permission denied";
            if (e instanceof FileSystemException) return e.getClass().getSimpleName();
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }

        /** Makes the rename itself durable; not every platform can open a directory, which is fine. */
        private static void syncDirectory(Path dir) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException unsupported) {
                // the file's own data is already on disk; only the rename's durability is best effort
            }
        }
    }
}
