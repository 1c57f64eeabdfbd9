package dev.squall.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path dir;

    @Test
    void roundTripsEveryDtypeWithMetadata() throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        float[] w = new float[3 * 5];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        w[0] = Float.NaN;
        w[1] = Float.NEGATIVE_INFINITY;
        w[2] = -0.0f;
        w[3] = Float.MIN_VALUE;
        double[] d = {Math.PI, -1e300, Double.MIN_VALUE};
        int[] ids = {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE};
        long[] state = {Long.MIN_VALUE, 42, Long.MAX_VALUE};
        byte[] u8 = {0, 1, (byte) 255, (byte) 128};
        Path f = dir.resolve("ckpt.safetensors");
        new SafeTensors.Writer()
                .metadata("step", "1200")
                .metadata("config", "{\"dim\": 64}")
                .metadata("unicode", "héllo ✓")
                .add("wte", w, 3, 5)
                .add("ids", ids, 2, 2)
                .add("d", d, 3)
                .add("rng", state, 3)
                .add("u8", u8, 4)
                .add("scalar", new float[] {2.5f})
                .add("one", new long[] {9}, 1)
                .add("empty", new float[0], 0, 4)
                .writeAtomically(f);

        SafeTensors st = SafeTensors.read(f);
        assertEquals(Map.of("step", "1200", "config", "{\"dim\": 64}", "unicode", "héllo ✓"), st.metadata());
        assertEquals(List.of("wte", "ids", "d", "rng", "u8", "scalar", "one", "empty"), st.names());
        assertArrayEquals(new int[] {3, 5}, st.shape("wte"));
        assertArrayEquals(w, st.floats("wte"));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(st.floats("wte")[2]));
        assertArrayEquals(ids, st.ints("ids"));
        assertArrayEquals(d, st.doubles("d"));
        assertArrayEquals(state, st.longs("rng"));
        assertArrayEquals(u8, st.bytes("u8"));
        assertArrayEquals(new int[0], st.shape("scalar"), "0-d tensor keeps its empty shape");
        assertEquals(1, st.numel("scalar"));
        assertArrayEquals(new float[] {2.5f}, st.floats("scalar"));
        assertArrayEquals(new int[] {1}, st.shape("one"));
        assertArrayEquals(new long[] {9}, st.longs("one"));
        assertArrayEquals(new int[] {0, 4}, st.shape("empty"));
        assertEquals(0, st.floats("empty").length);
        assertEquals("I64", st.dtype("rng"));

        float[] into = new float[15];
        st.floats("wte", into);
        assertArrayEquals(w, into);
    }

    @Test
    void roundTripsEmptyMetadataAndNoTensors() throws IOException {
        Path f = dir.resolve("empty.safetensors");
        new SafeTensors.Writer().writeAtomically(f);
        SafeTensors st = SafeTensors.read(f);
        assertEquals(Map.of(), st.metadata());
        assertEquals(List.of(), st.names());
        assertEquals(16, Files.size(f), "8-byte length + \"{}\" padded to 8");

        new SafeTensors.Writer().add("x", new int[] {1, 2}, 2).writeAtomically(f);
        assertEquals(Map.of(), SafeTensors.read(f).metadata());
        assertFalse(new String(Files.readAllBytes(f), StandardCharsets.UTF_8).contains("__metadata__"));
    }

    @Test
    void roundTripsLargeTensorsAcrossWriteChunks() throws IOException {
        float[] big = new float[(1 << 18) * 3 + 17]; // 3 MiB: several 1 MiB write chunks plus a tail
        for (int i = 0; i < big.length; i++) big[i] = i * 0.5f - 7;
        Path f = dir.resolve("big.safetensors");
        new SafeTensors.Writer().add("big", big, big.length).add("tail", new byte[] {5}, 1).writeAtomically(f);
        SafeTensors st = SafeTensors.read(f);
        assertArrayEquals(big, st.floats("big"));
        assertArrayEquals(new byte[] {5}, st.bytes("tail"));
    }

    /** The exact bytes of a tiny file, checked by hand against the format description. */
    @Test
    void writesTheSafetensorsLayoutByteForByte() throws IOException {
        Path f = dir.resolve("tiny.safetensors");
        new SafeTensors.Writer()
                .metadata("k", "v")
                .add("a", new float[] {1.0f, -2.0f}, 2)
                .add("b", new int[] {7})
                .add("c", new byte[] {(byte) 200}, 1, 1)
                .add("e", new double[] {0.5}, 1)
                .writeAtomically(f);
        byte[] bytes = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        assertEquals(0, n % 8, "header padded to a multiple of 8 bytes");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        // F64 "e" goes first in the data so every tensor is aligned to its element size.
        String json = "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[16,20]},"
                + "\"c\":{\"dtype\":\"U8\",\"shape\":[1,1],\"data_offsets\":[20,21]},"
                + "\"e\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        assertEquals(json + " ".repeat((int) n - json.length()), header);
        assertTrue(n - json.length() < 8);
        int data = 8 + (int) n;
        assertEquals(data + 21, bytes.length);
        assertEquals(0x3FE0000000000000L, bb.getLong(data), "0.5 as little-endian F64");
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F}, slice(bytes, data + 8, 4), "1.0f little-endian");
        assertArrayEquals(new byte[] {0, 0, 0, (byte) 0xC0}, slice(bytes, data + 12, 4), "-2.0f little-endian");
        assertArrayEquals(new byte[] {7, 0, 0, 0}, slice(bytes, data + 16, 4), "int 7 little-endian");
        assertEquals((byte) 200, bytes[data + 20]);
    }

    private static byte[] slice(byte[] a, int from, int len) {
        return java.util.Arrays.copyOfRange(a, from, from + len);
    }

    // ------------------------------------------------------------ corrupt files

    /** Builds a file from a header string and a data section, padding the header as the format requires. */
    private Path file(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        int n = (json.length + 7) & ~7;
        ByteBuffer bb = ByteBuffer.allocate(8 + n + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(n).put(json);
        while (bb.position() < 8 + n) bb.put((byte) ' ');
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, bb.array());
        return f;
    }

    private static String message(Path f) {
        SafeTensors.FormatException e = assertThrows(SafeTensors.FormatException.class, () -> SafeTensors.read(f));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f + ": "), "names the file: " + e.getMessage());
        return e.getMessage().substring(f.toString().length() + 2);
    }

    @Test
    void truncatedPrefix() throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertEquals("truncated: 3 bytes, too short for the 8-byte header length", message(f));
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertEquals("header length 1000 exceeds the 12 bytes after the length prefix (truncated, or not a "
                + "safetensors file)", message(f));
        Files.write(f, ByteBuffer.allocate(8).putLong(-1).array());
        assertEquals("header length 18446744073709551615 exceeds the 0 bytes after the length prefix (truncated, "
                + "or not a safetensors file)", message(f));
    }

    @Test
    void truncatedData() throws IOException {
        Path good = dir.resolve("good.safetensors");
        new SafeTensors.Writer().add("w", new float[10], 10).writeAtomically(good);
        byte[] all = Files.readAllBytes(good);
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 3));
        assertEquals("tensor 'w': data_offsets [0, 40] reach past the end of the 37-byte data section "
                + "(truncated file?)", message(f));
    }

    @Test
    void badJsonHeader() throws IOException {
        Path f = file("{\"w\": {\"dtype\": \"F32\" \"shape\": [1]}}", 4);
        assertEquals("bad JSON header at line 1, column 23: expected ',' or '}' in object, found '\"'", message(f));
        assertEquals("header is not a JSON object", message(file("[1, 2]", 0)));
        Path bin = dir.resolve("bad.safetensors");
        Files.write(bin, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8).putLong(-1).array());
        assertEquals("header is not valid UTF-8 (not a safetensors file?)", message(bin));
    }

    @Test
    void malformedEntries() throws IOException {
        assertEquals("tensor 'w': header entry is not a JSON object", message(file("{\"w\": 3}", 0)));
        assertEquals("tensor 'w': missing string \"dtype\"",
                message(file("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4)));
        assertEquals("tensor 'w': dtype BF16 is not supported (supported: F32, F64, I32, I64, U8)",
                message(file("{\"w\": {\"dtype\": \"BF16\", \"shape\": [1], \"data_offsets\": [0, 2]}}", 2)));
        assertEquals("tensor 'w': shape [2, -1] is not a list of non-negative int dimensions",
                message(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -1], \"data_offsets\": [0, 4]}}", 4)));
        assertEquals("tensor 'w': \"data_offsets\" [4,0] is not [begin, end] with 0 <= begin <= end",
                message(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", 4)));
        assertEquals("\"__metadata__\" is not a JSON object", message(file("{\"__metadata__\": []}", 0)));
        assertEquals("metadata \"step\" is not a string", message(file("{\"__metadata__\": {\"step\": 3}}", 0)));
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        assertEquals("tensor 'w': data_offsets [0, 12] reach past the end of the 8-byte data section "
                + "(truncated file?)",
                message(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 12]}}", 8)));
    }

    @Test
    void dtypeShapeSizeMismatch() throws IOException {
        assertEquals("tensor 'w': F32 shape [2, 3] needs 24 bytes but data_offsets [0, 20] hold 20",
                message(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}", 20)));
        assertEquals("tensor 'w': I64 shape [2147483647, 2147483647, 2147483647] needs 9223372036854775807 bytes "
                + "but data_offsets [0, 8] hold 8", message(file("{\"w\": {\"dtype\": \"I64\", \"shape\": "
                + "[2147483647, 2147483647, 2147483647], \"data_offsets\": [0, 8]}}", 8)));
    }

    @Test
    void overlappingGappedAndUncoveredData() throws IOException {
        assertEquals("tensors 'a' [0, 8) and 'b' [4, 8) overlap", message(file(
                "{\"b\": {\"dtype\": \"I32\", \"shape\": [], \"data_offsets\": [4, 8]},"
                        + "\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8)));
        assertEquals("data bytes [4, 8) belong to no tensor (gap before 'b')", message(file(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
                        + "\"b\": {\"dtype\": \"I32\", \"shape\": [], \"data_offsets\": [8, 12]}}", 12)));
        assertEquals("data bytes [0, 4) belong to no tensor (gap before 'a')", message(file(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8)));
        assertEquals("data bytes [4, 9) belong to no tensor (trailing data)", message(file(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 9)));
        assertEquals("data bytes [0, 3) belong to no tensor (trailing data)", message(file("{}", 3)));
    }

    @Test
    void lookupErrorsNameFileTensorAndFix() throws IOException {
        Path f = dir.resolve("m.safetensors");
        new SafeTensors.Writer().add("a", new float[] {1}, 1).add("b", new int[] {1}, 1).writeAtomically(f);
        SafeTensors st = SafeTensors.read(f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> st.floats("wte"));
        assertEquals(f + ": no tensor named 'wte' (it has 2: a, b)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> st.shape("nope"));
        assertEquals(f + ": no tensor named 'nope' (it has 2: a, b)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> st.floats("b"));
        assertEquals(f + ": tensor 'b' is I32, not F32 (read it with ints(), not floats())", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> st.floats("a", new float[2]));
        assertEquals(f + ": tensor 'a' has 1 elements (shape [1]) but the destination holds 2", e.getMessage());

        IOException missing = assertThrows(NoSuchFileException.class,
                () -> SafeTensors.read(dir.resolve("absent.safetensors")));
        assertEquals(dir.resolve("absent.safetensors") + ": no such file", missing.getMessage());
    }

    @Test
    void writerRejectsInconsistentTensors() {
        SafeTensors.Writer w = new SafeTensors.Writer().add("a", new float[6], 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.add("a", new float[1]));
        assertEquals("tensor 'a' added twice", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> w.add("b", new float[5], 2, 3));
        assertEquals("tensor 'b': shape [2, 3] has 6 elements but the array has 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> w.add("c", new float[2]));
        assertEquals("tensor 'c': shape [] has 1 elements but the array has 2", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", new float[1]));
    }

    // ------------------------------------------------------------ atomic writes

    private List<Path> directoryListing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void atomicWriteLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        new SafeTensors.Writer().add("a", new float[] {1}, 1).writeAtomically(f);
        new SafeTensors.Writer().add("a", new float[] {2}, 1).writeAtomically(f); // replaces
        assertEquals(List.of(f), directoryListing());
        assertArrayEquals(new float[] {2}, SafeTensors.read(f).floats("a"));
    }

    @Test
    void failureMidWriteKeepsTheOldFileIntact() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        new SafeTensors.Writer().metadata("step", "100").add("a", new float[] {1, 2, 3}, 3).writeAtomically(f);
        byte[] before = Files.readAllBytes(f);

        float[] big = new float[1 << 19]; // 2 MiB: fail in the second data chunk
        for (long failAt : new long[] {0, 5, 100, (1 << 20) + 123}) {
            SafeTensors.Writer w = new SafeTensors.Writer().metadata("step", "200").add("a", big, big.length);
            w.failAfterBytes = failAt;
            IOException e = assertThrows(IOException.class, () -> w.writeAtomically(f));
            assertEquals(f + ": could not write (simulated failure after " + failAt + " bytes); the previous file, "
                    + "if any, is unchanged", e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(f), "old checkpoint untouched after failing at " + failAt);
            assertEquals(List.of(f), directoryListing(), "temporary file removed");
        }
        assertEquals("100", SafeTensors.read(f).metadata().get("step"));

        // A first save that fails leaves nothing at all.
        Path fresh = dir.resolve("fresh.safetensors");
        SafeTensors.Writer w = new SafeTensors.Writer().add("a", big, big.length);
        w.failAfterBytes = 64;
        assertThrows(IOException.class, () -> w.writeAtomically(fresh));
        assertFalse(Files.exists(fresh));
        assertEquals(List.of(f), directoryListing());
    }

    @Test
    void missingDirectoryIsOneClearLine() {
        Path f = dir.resolve("no/such/dir/ckpt.safetensors");
        IOException e = assertThrows(IOException.class, () -> new SafeTensors.Writer().writeAtomically(f));
        assertEquals(f + ": cannot write: directory " + f.getParent() + " does not exist", e.getMessage());
    }
}
