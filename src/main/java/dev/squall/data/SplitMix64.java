package dev.squall.data;

/**
 * The SplitMix64 generator with its state in the open: one {@code long}, so a training run can
 * save it in a checkpoint and resume with exactly the batches it would have drawn.
 *
 * <p>{@link #nextLong} gives the same sequence as {@code new java.util.SplittableRandom(seed).nextLong()}
 * (same increment and finalizer); {@code SplittableRandom} itself cannot be used because its state
 * cannot be read or restored.
 */
public final class SplitMix64 {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private long state;

    public SplitMix64(long seed) {
        this.state = seed;
    }

    public long nextLong() {
        long z = (state += GOLDEN_GAMMA);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, bound), unbiased: draws falling in the incomplete last multiple of bound are redrawn. */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        long limit = (1L << 31) - (1L << 31) % bound;
        while (true) {
            long u = nextLong() >>> 33;
            if (u < limit) return (int) (u % bound);
        }
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Everything needed to continue the sequence: pass it to {@link #setState}. */
    public long state() {
        return state;
    }

    public void setState(long state) {
        this.state = state;
    }
}
