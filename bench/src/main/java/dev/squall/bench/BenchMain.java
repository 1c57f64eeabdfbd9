package dev.squall.bench;

import java.util.Arrays;

/**
 * The benchmark jar's entry point: JMH's own command line, except that where OpenBLAS cannot be
 * loaded it says so in one line and narrows {@link MatmulBench} to Squall's side
 * ({@code -p library=squall}), so a machine without the library gets Squall's numbers instead of a
 * failed benchmark. A {@code library=...} given on the command line is left as it is.
 */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        String[] effective = args;
        boolean libraryChosen = Arrays.stream(args).anyMatch(a -> a.startsWith(MatmulBench.LIBRARY_PARAM + "="));
        if (!libraryChosen && OpenBlas.load() instanceof OpenBlas.Missing missing) {
            System.out.println(missing.reason() + "; MatmulBench runs Squall's side only");
            effective = Arrays.copyOf(args, args.length + 2);
            effective[args.length] = "-p";
            effective[args.length + 1] = MatmulBench.LIBRARY_PARAM + "=" + MatmulBench.SQUALL;
        }
        org.openjdk.jmh.Main.main(effective);
    }
}
