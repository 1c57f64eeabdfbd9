package dev.squall.data;

/**
 * Batches of next-byte prediction windows from one split of a {@link ByteCorpus}.
 *
 * <pre>
 * Shapes:
 *   B        windows per batch (rows)
 *   T        tokens per window (sequence length)
 *   inputs   (B, T)  bytes w[0..T-1] of each window, as ints in [0, 256)
 *   targets  (B, T)  bytes w[1..T]: targets[b, t] is the byte after inputs[b, t]
 * </pre>
 *
 * <p>Two kinds. {@link #random}: each row is a window of T+1 bytes starting at a uniformly random
 * offset, drawn from a seeded {@link SplitMix64} whose state {@link #state} saves and
 * {@link #restore} puts back, so a resumed run draws exactly the batches it would have drawn.
 * {@link #sequential}: the fixed sequence of windows starting at 0, T, 2T, ... (wrapping to 0 after
 * the last whole window), so every evaluation sees the same validation text; {@link #reset} starts
 * it over, and {@link #windows} ({@code ceil(windows / B)} batches) covers the split once.
 */
public final class Batcher {
    private final byte[] data;
    private final int B, T;
    private final SplitMix64 rng;  // null when sequential
    private final long startState;
    private long nextWindow;       // sequential position, in windows

    private Batcher(byte[] data, int B, int T, SplitMix64 rng) {
        if (B <= 0 || T <= 0) throw new IllegalArgumentException("batch size and sequence length must be positive, got B="
                + B + " T=" + T);
        if (data.length < (long) T + 1) {
            throw new IllegalArgumentException("data has " + data.length + " bytes, fewer than one window of T+1 = "
                    + (T + 1));
        }
        this.data = data;
        this.B = B;
        this.T = T;
        this.rng = rng;
        this.startState = rng == null ? 0 : rng.state();
    }

    /** Random windows; the same seed gives the same batches. */
    public static Batcher random(byte[] data, int B, int T, long seed) {
        return new Batcher(data, B, T, new SplitMix64(seed));
    }

    /** The fixed, non-overlapping windows of {@code data} in order. */
    public static Batcher sequential(byte[] data, int B, int T) {
        return new Batcher(data, B, T, null);
    }

    public int batchSize() { return B; }

    public int seqLen() { return T; }

    /** Distinct windows: all start positions for a random batcher, whole T-strides for a sequential one. */
    public long windows() {
        return rng != null ? data.length - T : (data.length - 1) / T;
    }

    /** Fills {@code inputs} and {@code targets} (each at least B*T ints, row-major (B, T)); allocates nothing. */
    public void next(int[] inputs, int[] targets) {
        if (inputs.length < B * T || targets.length < B * T) {
            throw new IllegalArgumentException("inputs/targets hold " + inputs.length + "/" + targets.length
                    + " ints; a batch needs B*T = " + B * T);
        }
        long sequentialWindows = (data.length - 1) / T;
        for (int b = 0; b < B; b++) {
            int start;
            if (rng != null) {
                start = rng.nextInt(data.length - T);
            } else {
                start = (int) (nextWindow * T);
                nextWindow = nextWindow + 1 == sequentialWindows ? 0 : nextWindow + 1;
            }
            int row = b * T;
            for (int t = 0; t < T; t++) {
                inputs[row + t] = data[start + t] & 0xFF;
                targets[row + t] = data[start + t + 1] & 0xFF;
            }
        }
    }

    /** Back to the first batch (the seed's first batch, or the first window). */
    public void reset() {
        if (rng != null) rng.setState(startState);
        nextWindow = 0;
    }

    /**
     * {@code {position, data length}}: the generator state (random) or next window index
     * (sequential), and the split size, which {@link #restore} checks so a resume over different
     * data fails instead of silently drawing other windows.
     */
    public long[] state() {
        return new long[] {rng != null ? rng.state() : nextWindow, data.length};
    }

    public void restore(long[] state) {
        if (state.length != 2) throw new IllegalArgumentException("batcher state has " + state.length
                + " values, expected 2 {position, data length}");
        if (state[1] != data.length) {
            throw new IllegalArgumentException("batcher state was saved over " + state[1] + " bytes of data but this "
                    + "split has " + data.length + ": resume with the same --data and size cap");
        }
        if (rng != null) {
            rng.setState(state[0]);
        } else {
            if (state[0] < 0 || state[0] >= (data.length - 1) / T) {
                throw new IllegalArgumentException("sequential batcher position " + state[0] + " is outside [0, "
                        + (data.length - 1) / T + ")");
            }
            nextWindow = state[0];
        }
    }
}
