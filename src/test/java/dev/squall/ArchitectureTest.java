package dev.squall;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The seams the code relies on, checked on the sources: the step program is backend-neutral, the
 * references are independent of the kernels they check, and every backend's dispatch over the task
 * records is exhaustive (no default branch, so the compiler reports a record a backend cannot run).
 */
class ArchitectureTest {
    static final Path MAIN = Path.of("src", "main", "java", "dev", "squall");
    static final Path TORNADO_BACKEND = Path.of("tornado-tasks", "src", "main", "java", "dev", "squall", "tornado", "backend");
    static final Pattern SQUALL_REFERENCE = Pattern.compile("\\bdev\\.squall\\.([a-z]+)\\b");

    /** Every use of another Squall package in code (imports and qualified names, not comments). */
    static List<String> packagesUsed(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String code = withoutComments(Files.readString(f));
                Matcher m = SQUALL_REFERENCE.matcher(code);
                while (m.find()) found.add(f.getFileName() + " -> dev.squall." + m.group(1));
            }
        }
        return found;
    }

    static String withoutComments(String java) {
        return java.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
    }

    @Test
    void theStepProgramImportsNoKernelAndNoBackend() throws IOException {
        List<String> bad = packagesUsed(MAIN.resolve("program")).stream()
                .filter(s -> !s.endsWith("dev.squall.program")).toList();
        assertEquals(List.of(), bad, "program/ must depend on nothing but itself (kernels, backends and the model sit around it)");
    }

    @Test
    void referencesDependOnNothingTheyCheck() throws IOException {
        List<String> bad = packagesUsed(MAIN.resolve("reference")).stream()
                .filter(s -> s.endsWith("dev.squall.kernels") || s.endsWith("dev.squall.jvm")).toList();
        assertEquals(List.of(), bad, "a reference that reuses a kernel's code or constants cannot catch that kernel's mistakes");
    }

    @Test
    void theModelAndTrainingReachKernelsOnlyThroughTheProgram() throws IOException {
        List<String> bad = new ArrayList<>();
        for (String pkg : new String[] {"model", "train", "matrix"}) {
            packagesUsed(MAIN.resolve(pkg)).stream().filter(s -> s.endsWith("dev.squall.kernels")).forEach(bad::add);
        }
        assertEquals(List.of(), bad, "layouts and constants shared with kernels live in program/");
    }

    @Test
    void everyDispatchOverTasksIsExhaustive() throws IOException {
        List<Path> dispatchers = new ArrayList<>(List.of(MAIN.resolve("jvm").resolve("JvmKernels.java")));
        if (Files.isDirectory(TORNADO_BACKEND)) {
            for (String f : new String[] {"Lowering.java", "MoeLowering.java", "OptimizerLowering.java", "Norms.java"}) {
                dispatchers.add(TORNADO_BACKEND.resolve(f));
            }
        }
        for (Path f : dispatchers) {
            String code = withoutComments(Files.readString(f));
            assertFalse(Pattern.compile("\\bdefault\\s*->").matcher(code).find(),
                    f + " has a default branch: name every record so a new one fails to compile here");
        }
    }
}
