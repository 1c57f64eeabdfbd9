package dev.squall.data;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteCorpusTest {
    @TempDir Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void singleFileSplitsItsLastBytesForValidation() throws IOException {
        Path f = dir.resolve("tiny.txt");
        String content = "hello world, this is exactly forty bytes";
        Files.writeString(f, content);
        ByteCorpus c = ByteCorpus.fromPath(f, ByteCorpus.DEFAULT_MAX_BYTES);
        assertEquals(1, c.documents());
        assertEquals(0, c.validationDocuments(), "one document: byte split");
        assertFalse(c.capped());
        // 41 bytes with the separator: 5% is 2 bytes of validation.
        assertEquals(content.substring(0, 39), text(c.train()));
        assertEquals("s\n", text(c.validation()));
        assertEquals(f.toString(), c.source());
        assertEquals(256, ByteCorpus.VOCAB_SIZE);
    }

    @Test
    void directoryIsWalkedInPathOrderSkippingHiddenAndBinary() throws IOException {
        Files.createDirectories(dir.resolve("b/sub"));
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve("b/sub/z.txt"), "Z");
        Files.writeString(dir.resolve("b/a.txt"), "BA");
        Files.writeString(dir.resolve("a.txt"), "A");
        Files.writeString(dir.resolve("c.md"), "C");
        Files.writeString(dir.resolve(".hidden.txt"), "HIDDEN");
        Files.writeString(dir.resolve(".git/config"), "GIT");
        Files.write(dir.resolve("image.bin"), new byte[] {'P', 'N', 'G', 0, 1, 2});
        Files.write(dir.resolve("empty.txt"), new byte[0]);
        byte[] lateNul = new byte[ByteCorpus.BINARY_SNIFF_BYTES + 10];
        java.util.Arrays.fill(lateNul, (byte) 'x');
        lateNul[lateNul.length - 1] = 0; // past the sniffed prefix: counts as text
        Files.write(dir.resolve("d.log"), lateNul);

        ByteCorpus c = ByteCorpus.fromPath(dir, ByteCorpus.DEFAULT_MAX_BYTES);
        assertEquals(5, c.documents());
        // Order: a.txt, b/a.txt, b/sub/z.txt, c.md, d.log; none of these names hashes into validation,
        // so the last 5% of the bytes are validation.
        String all = "A\nBA\nZ\nC\n" + text(lateNul) + "\n";
        assertEquals(all, text(c.train()) + text(c.validation()));
        assertEquals(all.length() * 5 / 100, c.validation().length);
    }

    @Test
    void documentSplitIsAFixedFunctionOfTheName() throws IOException {
        List<String> validation = new ArrayList<>();
        StringBuilder expectTrain = new StringBuilder(), expectVal = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            String name = "doc%03d.txt".formatted(i);
            Files.writeString(dir.resolve(name), "<" + i + ">");
            if (ByteCorpus.isValidation(name)) {
                validation.add(name);
                expectVal.append("<").append(i).append(">\n");
            } else {
                expectTrain.append("<").append(i).append(">\n");
            }
        }
        // Pinned: changing the hash would silently move files between splits across versions.
        assertEquals(List.of("doc005.txt", "doc056.txt", "doc078.txt"), validation);
        ByteCorpus c = ByteCorpus.fromPath(dir, ByteCorpus.DEFAULT_MAX_BYTES);
        assertEquals(100, c.documents());
        assertEquals(3, c.validationDocuments());
        assertEquals(expectTrain.toString(), text(c.train()));
        assertEquals(expectVal.toString(), text(c.validation()));

        ByteCorpus again = ByteCorpus.fromPath(dir, ByteCorpus.DEFAULT_MAX_BYTES);
        assertArrayEquals(c.train(), again.train());
        assertArrayEquals(c.validation(), again.validation());

        // Roughly 5% over many names.
        int hits = 0;
        for (int i = 0; i < 100_000; i++) if (ByteCorpus.isValidation("src/file" + i + ".java")) hits++;
        assertTrue(hits > 4_700 && hits < 5_300, "validation fraction " + hits / 1e5);
    }

    @Test
    void capCutsTheLastDocument() throws IOException {
        Files.writeString(dir.resolve("a.txt"), "aaaaaaaaaa");
        Files.writeString(dir.resolve("b.txt"), "bbbbbbbbbb");
        Files.writeString(dir.resolve("c.txt"), "cccccccccc");
        ByteCorpus c = ByteCorpus.fromPath(dir, 15);
        assertTrue(c.capped());
        assertEquals(2, c.documents());
        assertEquals(15, c.totalBytes());
        assertEquals("aaaaaaaaaa\nbbbb", text(c.train()) + text(c.validation()));

        Path big = dir.resolve("a.txt");
        ByteCorpus one = ByteCorpus.fromPath(big, 4);
        assertEquals("aaaa", text(one.train()) + text(one.validation()));
        assertThrows(IllegalArgumentException.class, () -> ByteCorpus.fromPath(big, 0));
    }

    // ------------------------------------------------------------ errors

    private static String message(ThrowingRunnable r) {
        Exception e = assertThrows(Exception.class, r::run);
        assertTrue(e instanceof ByteCorpus.DataException || e instanceof IllegalArgumentException, e.toString());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void missingPath() {
        Path p = dir.resolve("nope");
        assertEquals(p + ": no such file or directory: pass --data PATH with an existing text file or directory",
                message(() -> ByteCorpus.fromPath(p, 100)));
        assertEquals(p + ": no such file or directory: pass --data PATH with an existing text file or directory",
                message(() -> ByteCorpus.load(p, 100)));
    }

    @Test
    void emptyFileAndBinaryFile() throws IOException {
        Path e = dir.resolve("empty.txt");
        Files.write(e, new byte[0]);
        assertEquals(e + ": file is empty: pass a file with some text in it",
                message(() -> ByteCorpus.fromPath(e, 100)));
        Path b = dir.resolve("data.bin");
        Files.write(b, new byte[] {1, 0, 2});
        assertEquals(b + ": looks binary (NUL byte in the first 8 KiB): pass a text file",
                message(() -> ByteCorpus.fromPath(b, 100)));
    }

    @Test
    void directoryWithoutTextFiles() throws IOException {
        Path d = Files.createDirectories(dir.resolve("d"));
        assertEquals(d + ": no text files found (0 files: 0 binary, 0 empty; hidden ones skipped): pass a directory "
                + "that contains text files", message(() -> ByteCorpus.fromPath(d, 100)));
        Files.write(d.resolve("x.bin"), new byte[] {0});
        Files.write(d.resolve("y.txt"), new byte[0]);
        Files.writeString(d.resolve(".notes"), "hidden text");
        assertEquals(d + ": no text files found (2 files: 1 binary, 1 empty; hidden ones skipped): pass a directory "
                + "that contains text files", message(() -> ByteCorpus.fromPath(d, 100)));
    }

    @Test
    void unreadableFile() throws IOException {
        Path f = dir.resolve("secret.txt");
        Files.writeString(f, "text");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
        if (Files.isReadable(f)) {
            // Root reads any file, so no permission error can be made; /proc/self/mem exists but fails
            // to read at offset 0 for everyone, which takes the same path through the loader.
            Path mem = Path.of("/proc/self/mem");
            String m = message(() -> ByteCorpus.fromPath(mem, 100));
            assertTrue(m.startsWith(mem + ": cannot read (") && m.endsWith("): fix its permissions or pass another --data PATH")
                    && !m.contains("\n"), m);
            return;
        }
        assertEquals(f + ": cannot read (permission denied): fix its permissions or pass another --data PATH",
                message(() -> ByteCorpus.fromPath(f, 100)));
        assertEquals(f + ": cannot read (permission denied): fix its permissions or pass another --data PATH",
                message(() -> ByteCorpus.fromPath(dir, 100)));
    }

    @Test
    void missingJdkSources() throws IOException {
        Path fakeHome = Files.createDirectories(dir.resolve("jdk/lib")).getParent();
        assertEquals("no JDK sources at " + fakeHome.resolve("lib/src.zip") + " (this JDK ships without src.zip): "
                + "pass --data PATH with a text file or a directory of text files",
                message(() -> ByteCorpus.fromJdkSources(fakeHome, 100)));
    }

    @Test
    void jdkSourcesWithoutJavaFiles() throws IOException {
        Path home = Files.createDirectories(dir.resolve("jdk/lib")).getParent();
        var bytes = new ByteArrayOutputStream();
        try (var zip = new java.util.zip.ZipOutputStream(bytes)) {
            zip.putNextEntry(new java.util.zip.ZipEntry("README"));
            zip.write(utf8("no sources"));
            zip.closeEntry();
        }
        Files.write(home.resolve("lib/src.zip"), bytes.toByteArray());
        assertEquals(home.resolve("lib/src.zip") + ": contains no .java files: pass --data PATH with a text file or "
                + "directory", message(() -> ByteCorpus.fromJdkSources(home, 100)));
        Files.write(home.resolve("lib/src.zip"), utf8("not a zip"));
        assertTrue(message(() -> ByteCorpus.fromJdkSources(home, 100))
                .startsWith(home.resolve("lib/src.zip") + ": cannot read JDK sources ("));
    }

    @Test
    void jdkSourcesFromASmallZipAreSortedByName() throws IOException {
        Path home = Files.createDirectories(dir.resolve("jdk/lib")).getParent();
        var bytes = new ByteArrayOutputStream();
        try (var zip = new java.util.zip.ZipOutputStream(bytes)) {
            for (String name : List.of("java.base/java/lang/Z.java", "java.base/java/lang/A.java", "x/notes.txt",
                    "java.base/java/io/B.java")) {
                zip.putNextEntry(new java.util.zip.ZipEntry(name));
                zip.write(utf8("class " + name.charAt(name.length() - 6) + " {}"));
                zip.closeEntry();
            }
        }
        Files.write(home.resolve("lib/src.zip"), bytes.toByteArray());
        ByteCorpus c = ByteCorpus.fromJdkSources(home, 1000);
        assertEquals(3, c.documents());
        assertEquals("class B {}\nclass A {}\nclass Z {}\n", text(c.train()) + text(c.validation()));
    }

    @Test
    void corpusSmallerThanOneWindow() throws IOException {
        Path f = dir.resolve("short.txt");
        Files.writeString(f, "x".repeat(99)); // 100 bytes with separator: 95 train, 5 validation
        ByteCorpus c = ByteCorpus.fromPath(f, 1000);
        assertEquals(f + ": the training split has 95 bytes, fewer than one window of T+1 = 129: pass more text with "
                + "--data PATH or a shorter sequence length", message(() -> c.trainBatcher(4, 128, 1)));
        assertEquals(f + ": the validation split has 5 bytes, fewer than one window of T+1 = 9: pass more text with "
                + "--data PATH or a shorter sequence length", message(() -> c.validationBatcher(4, 8)));
        assertNotNull(c.trainBatcher(4, 94, 1));
        assertNotNull(c.validationBatcher(4, 4));
    }

    /** The default source; skipped only when this JDK really has no src.zip. */
    @Test
    void loadsTheJdksOwnSources() throws IOException {
        Path zip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        assumeTrue(Files.isRegularFile(zip), "this JDK has no lib/src.zip (the default corpus needs --data PATH)");
        long t0 = System.nanoTime();
        ByteCorpus c = ByteCorpus.load(null, 8L << 20);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("src.zip: %d documents, %d train + %d validation bytes (8 MiB cap) in %.2f s%n",
                c.documents(), c.train().length, c.validation().length, seconds);
        assertTrue(c.capped());
        assertEquals(8L << 20, c.totalBytes());
        assertTrue(c.documents() > 100);
        assertTrue(c.validationDocuments() > 0);
        assertTrue(c.validation().length > 100_000 && c.validation().length < 1_000_000, "~5%");
        assertTrue(text(java.util.Arrays.copyOf(c.train(), 2000)).contains("\npackage "));
    }

    @Test
    void validationWindowsSpreadOverTheSplitAndRepeatAfterReset(@TempDir Path dir) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 4000; i++) text.append((char) ('a' + i % 26));
        Path f = dir.resolve("one.txt");
        Files.writeString(f, text.toString());
        ByteCorpus c = ByteCorpus.fromPath(f, 1 << 20);
        Batcher v = c.validationBatcher(8, 4);
        int[] in = new int[32], tg = new int[32], again = new int[32];
        v.next(in, tg);
        v.reset();
        v.next(again, tg);
        assertArrayEquals(in, again, "the same windows after reset");
        // Not the consecutive windows from the start of the split.
        byte[] val = c.validation();
        boolean allFromStart = true;
        for (int b = 0; b < 8; b++) for (int t = 0; t < 4; t++) allFromStart &= in[b * 4 + t] == (val[b * 4 + t] & 0xFF);
        assertFalse(allFromStart);
    }
}
