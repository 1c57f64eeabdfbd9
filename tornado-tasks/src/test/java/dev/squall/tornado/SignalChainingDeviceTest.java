package dev.squall.tornado;

import static dev.squall.testing.Arrays2.normal;
import static dev.squall.testing.Arrays2.toDouble;
import static dev.squall.tornado.DeviceArrays.*;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.squall.tornado.kernels.UtilKernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The JVM keeps its SIGSEGV handler after a device driver compiles a kernel: a property of the test
 * JVM and the driver, not of any kernel's numbers, so outside what the catalog measures.
 *
 * <p>PoCL compiles with LLVM, and LLVM installs its own SIGSEGV handler (SA_RESETHAND) over the
 * JVM's. The JVM takes SIGSEGV for safepoint polls and implicit null checks, so when two Java
 * threads fault together the second one meets the reset default action and the process dies with
 * "Segmentation fault" and no hs_err file, at random, long after the compile. Preloading the JDK's
 * libjsig (signal chaining; the launcher and this module's test JVM do) keeps the JVM's handler
 * installed and chains the driver's behind it.
 *
 * <p>The handler is read with the raw rt_sigaction system call, because libjsig answers
 * {@code sigaction} queries with the chained handler rather than the installed one.
 */
class SignalChainingDeviceTest {

    @Test
    void theJvmStillOwnsSigsegvAfterTheDriverCompilesAKernel() throws Throwable {
        assertTrue(installedSigsegvHandlerLibrary().endsWith("libjvm.so"),
                "SIGSEGV is handled by " + installedSigsegvHandlerLibrary() + " before any device work");

        // A size no earlier run used, so the driver cannot answer from its kernel cache and must
        // compile (sizes are baked into the kernel source).
        int n = 1_000 + (int) Math.floorMod(System.nanoTime(), 1_000_000L);
        FloatArray src = FloatArray.fromArray(normal(n, n, 1.0)), dst = poisonedArray(n);
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph("fresh")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, src, dst)
                .task("copy", UtilKernels::copy, ctx, dst, src, n)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, dst);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("fresh.copy", grid(n, 0));
        run(graph, grids);
        close("copy", dst, toDouble(normal(n, n, 1.0)), 0, 0);

        String owner = installedSigsegvHandlerLibrary();
        assertTrue(owner.endsWith("libjvm.so"),
                "after compiling a kernel of size " + n + " SIGSEGV is handled by " + owner
                        + ", not the JVM: run the JVM with LD_PRELOAD=$JAVA_HOME/lib/libjsig.so");
    }

    /** The file mapped where the kernel's current SIGSEGV handler lives. */
    private static String installedSigsegvHandlerLibrary() throws Throwable {
        long rtSigaction = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> 13;
            case "aarch64" -> 134;
            default -> -1;
        };
        assumeTrue(rtSigaction > 0, "no rt_sigaction number known for " + System.getProperty("os.arch"));
        Linker linker = Linker.nativeLinker();
        MethodHandle syscall = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        final long sigsegv = 11, sigsetBytes = 8;
        try (Arena arena = Arena.ofConfined()) {
            // struct kernel_sigaction { handler; flags; restorer; mask } on both architectures.
            MemorySegment old = arena.allocate(32);
            long rc = (long) syscall.invokeExact(rtSigaction, sigsegv, MemorySegment.NULL, old, sigsetBytes);
            assertTrue(rc == 0, "rt_sigaction failed: " + rc);
            return libraryAt(old.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    private static String libraryAt(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] fields = line.trim().split("\\s+");
            String[] range = fields[0].split("-");
            if (Long.compareUnsigned(address, Long.parseUnsignedLong(range[0], 16)) >= 0
                    && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0)
                return fields.length > 5 ? fields[5] : "an anonymous mapping";
        }
        return "no mapping (" + Long.toHexString(address) + ")";
    }
}
