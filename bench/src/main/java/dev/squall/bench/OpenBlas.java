package dev.squall.bench;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenBLAS's {@code cblas_sgemm}, bound through the FFM API, as the native anchor {@link MatmulBench}
 * measures Squall's products against. Only the four symbols the benchmark needs are bound: sgemm, the
 * thread count (set and read back) and the name of the kernel core OpenBLAS picked for this processor.
 *
 * <p>The library is looked up as {@code SQUALL_OPENBLAS=PATH} (an environment variable, so the
 * launcher's JVM and JMH's forks see the same one), else Debian's
 * {@code libopenblas.so.0} (package {@code libopenblas0-pthread}), else whatever {@code libopenblas.so.0}
 * the dynamic loader finds. It is never unloaded: OpenBLAS starts worker threads on first use.
 */
public final class OpenBlas {
    // CBLAS's enum values (cblas.h), passed as C ints.
    static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private static final String DEBIAN_PATH = "/usr/lib/x86_64-linux-gnu/libopenblas.so.0";

    private final String library;
    private final MethodHandle sgemm, setNumThreads, getNumThreads, getCorename;

    private OpenBlas(String library, SymbolLookup lookup) {
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT;
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT;
        AddressLayout ptr = ValueLayout.ADDRESS;
        this.library = library;
        // void cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
        this.sgemm = linker.downcallHandle(lookup.findOrThrow("cblas_sgemm"), FunctionDescriptor.ofVoid(
                i32, i32, i32, i32, i32, i32, f32, ptr, i32, ptr, i32, f32, ptr, i32));
        this.setNumThreads = linker.downcallHandle(lookup.findOrThrow("openblas_set_num_threads"), FunctionDescriptor.ofVoid(i32));
        this.getNumThreads = linker.downcallHandle(lookup.findOrThrow("openblas_get_num_threads"), FunctionDescriptor.of(i32));
        this.getCorename = linker.downcallHandle(lookup.findOrThrow("openblas_get_corename"), FunctionDescriptor.of(ptr));
    }

    /** The library, or a one-line reason why there is none. */
    public sealed interface Loaded permits Found, Missing {}
    public record Found(OpenBlas blas) implements Loaded {}
    public record Missing(String reason) implements Loaded {}

    /** Looks for OpenBLAS in the places the class comment lists; the first that binds wins. */
    public static Loaded load() {
        List<String> tried = new ArrayList<>();
        String configured = System.getenv("SQUALL_OPENBLAS");
        List<String> candidates = configured != null ? List.of(configured) : List.of(DEBIAN_PATH, "libopenblas.so.0");
        for (String candidate : candidates) {
            try {
                // A path is opened as given; a bare name goes through the loader's search (ld.so.cache).
                SymbolLookup lookup = candidate.contains("/")
                        ? SymbolLookup.libraryLookup(Path.of(candidate), Arena.global())
                        : SymbolLookup.libraryLookup(candidate, Arena.global());
                return new Found(new OpenBlas(candidate.contains("/") ? resolved(candidate) : candidate, lookup));
            } catch (IllegalArgumentException | java.util.NoSuchElementException notThere) {
                tried.add(candidate + " (" + notThere.getMessage() + ")");
            }
        }
        return new Missing("OpenBLAS not found: tried " + String.join(", ", tried)
                + "; install it with 'apt-get install libopenblas0-pthread' or set SQUALL_OPENBLAS=PATH");
    }

    /** The file behind Debian's alternatives symlinks, so the report names the real build. */
    private static String resolved(String path) {
        try {
            return Path.of(path).toRealPath().toString();
        } catch (java.io.IOException e) {
            return path;
        }
    }

    public String library() { return library; }

    public void setThreads(int threads) {
        try {
            setNumThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed", t);
        }
    }

    public int threads() {
        try {
            return (int) getNumThreads.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_get_num_threads failed", t);
        }
    }

    /** The kernel family OpenBLAS chose at load time (e.g. SkylakeX, Zen, Haswell). */
    public String coreName() {
        try {
            MemorySegment name = (MemorySegment) getCorename.invokeExact();
            return name.reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_get_corename failed", t);
        }
    }

    /**
     * C = alpha·op(A)·op(B) + beta·C, all row-major: op(A) is M x K, op(B) is K x N, C is M x N, and
     * lda, ldb, ldc are the row strides of A, B and C as stored (before any transpose).
     */
    public void sgemm(boolean transA, boolean transB, int M, int N, int K, float alpha,
                      MemorySegment a, int lda, MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        try {
            sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, M, N, K, alpha,
                    a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

    /** One line for the run's log: which build, which core, how many threads. */
    public String describe() {
        return "OpenBLAS " + library + ", core " + coreName() + ", " + threads() + " threads";
    }
}
