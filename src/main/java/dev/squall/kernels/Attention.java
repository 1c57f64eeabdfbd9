package dev.squall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal multi-head attention with grouped-query heads: SPEC §8.1 (forward), §8.2 (backward), tiled
 * as FlashAttention-2, §8.4, so no T x T matrix is ever held, only TILE x TILE blocks of it.
 *
 * <pre>
 * Shapes:
 *   B batch, T sequence, H query heads, Hkv kv heads (H % Hkv == 0), hd head dim
 *   q, out, dout, dq      (B, T, H * hd)
 *   k, v, dk, dv          (B, T, Hkv * hd)
 *   lse                   (B, H, T)        saved by forward: log sum_j exp(scale * q_i . k_j), natural log
 *   query head h reads kv head h / (H / Hkv)
 * Decoding (one sequence):
 *   q, out                (nTokens, H * hd)   rows at positions pos .. pos + nTokens - 1
 *   kCache, vCache        (maxT, Hkv * hd)    rows 0 .. pos + nTokens - 1 filled
 * </pre>
 *
 * <p>Work split. Forward and dq: one task per (b, h, query tile), each looping over the key tiles at
 * or before it. dk and dv: one task per (b, kv head, key tile), looping over the query heads of its
 * group and the query tiles at or after it. Every output element is written by exactly one task in a
 * fixed order, so results are the same bits on every run and thread count, with no atomics. The
 * price is that the backward computes the scores S and dP twice (seven tile products instead of five).
 *
 * <p>Inside a task, tile products run as small register-blocked outer products: scores as
 * (rows of Q) x (K tile transposed into scratch), so the vector lanes run over keys and no horizontal
 * sums are needed; P.V and its transposes with the lanes over the head dimension.
 */
public final class Attention {
    private Attention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Queries per block and keys per block. A multiple of 2 * VL, which the score kernel steps by. */
    static final int TILE = 64;

    static {
        if (TILE % (2 * VL) != 0) throw new AssertionError("TILE must be a multiple of twice the vector length");
    }

    /** Per-thread tile buffers, grown on first use for a head dim and then reused: no steady-state allocation. */
    private static final class Scratch {
        float[] kt = new float[0], vt = new float[0];   // (hd, TILE): K and V tiles, transposed
        float[] s = new float[TILE * TILE];              // scores, then P
        float[] dp = new float[TILE * TILE];             // dP, then dS
        float[] acc = new float[0], acc2 = new float[0]; // (TILE, hd): O or dQ or dK; dV
        float[] m = new float[TILE], l = new float[TILE];
        float[] lanes = new float[VL];

        Scratch ensure(int hd) {
            if (kt.length < hd * TILE) {
                kt = new float[hd * TILE]; vt = new float[hd * TILE];
                acc = new float[TILE * hd]; acc2 = new float[TILE * hd];
            }
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static int tiles(int n) {
        return (n + TILE - 1) / TILE;
    }

    /**
     * out = softmax(scale * Q K^T + causal mask) V per head, by online softmax over key tiles; fills lse.
     * scale must be positive (the row max of scale * s is taken as scale * max s).
     */
    public static void forward(float[] out, float[] lse, float[] q, float[] k, float[] v,
                               int B, int T, int H, int Hkv, int hd, float scale) {
        int nqt = tiles(T);
        Parallel.forRange(B * H * nqt, 1, (lo, hi) -> {
            Scratch w = SCRATCH.get().ensure(hd);
            for (int task = lo; task < hi; task++) {
                int qt = task % nqt, h = (task / nqt) % H, b = task / (nqt * H);
                int qStart = qt * TILE;
                attendTile(out, lse, (b * H + h) * T + qStart, q, k, v, b * T + qStart, b * T, qStart,
                        Math.min(TILE, T - qStart), H, Hkv, h, hd, scale, w);
            }
        });
    }

    /**
     * One decoding step against a KV cache: nTokens new queries of one sequence at positions
     * pos .. pos + nTokens - 1 (causal among themselves), attending to cache rows 0 .. pos + nTokens - 1.
     * Prefilling a prompt in chunks and then generating one token at a time both go through here.
     */
    public static void decode(float[] out, float[] q, float[] kCache, float[] vCache, int pos, int nTokens, int maxT,
                              int H, int Hkv, int hd, float scale) {
        if (pos + nTokens > maxT) throw new IllegalArgumentException("positions up to " + (pos + nTokens) + " exceed cache of " + maxT);
        int nqt = tiles(nTokens);
        Parallel.forRange(H * nqt, 1, (lo, hi) -> {
            Scratch w = SCRATCH.get().ensure(hd);
            for (int task = lo; task < hi; task++) {
                int qt = task % nqt, h = task / nqt;
                int r0 = qt * TILE;
                attendTile(out, null, 0, q, kCache, vCache, r0, 0, pos + r0, Math.min(TILE, nTokens - r0),
                        H, Hkv, h, hd, scale, w);
            }
        });
    }

    /**
     * Attention of nq query rows of head h (q rows qRow0 .., at positions qPos0 ..) over keys at positions
     * 0 .. qPos0 + nq - 1 (k/v rows kRow0 ..), FlashAttention-2 style: running max m, running sum l and
     * an unnormalized accumulator, rescaled when the max grows; divided by l once at the end.
     */
    private static void attendTile(float[] out, float[] lse, int lseOff, float[] q, float[] k, float[] v,
                                   int qRow0, int kRow0, int qPos0, int nq, int H, int Hkv, int h, int hd,
                                   float scale, Scratch w) {
        int qStride = H * hd, kvStride = Hkv * hd, g = h / (H / Hkv);
        int qOff = qRow0 * qStride + h * hd;
        float[] s = w.s, acc = w.acc, m = w.m, l = w.l;
        java.util.Arrays.fill(m, 0, nq, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(l, 0, nq, 0f);
        java.util.Arrays.fill(acc, 0, nq * hd, 0f);
        int keyEnd = qPos0 + nq;
        for (int kStart = 0; kStart < keyEnd; kStart += TILE) {
            int nk = Math.min(TILE, keyEnd - kStart);
            int kOff = (kRow0 + kStart) * kvStride + g * hd;
            int cols = transpose(w.kt, k, kOff, kvStride, nk, hd);
            scores(s, q, qOff, qStride, nq, w.kt, hd, cols);
            for (int r = 0; r < nq; r++) {
                int valid = Math.min(nk, qPos0 + r + 1 - kStart);
                int row = r * TILE;
                if (valid <= 0) {
                    java.util.Arrays.fill(s, row, row + nk, 0f);
                    continue;
                }
                float mNew = Math.max(m[r], scale * rowMax(s, row, valid));
                float sum = expShifted(s, row, valid, nk, scale, mNew, w.lanes);
                float alpha = (float) StrictMath.exp(m[r] - mNew);
                l[r] = l[r] * alpha + sum;
                m[r] = mNew;
                if (alpha != 1f) scaleRow(acc, r * hd, hd, alpha);
            }
            accumulate(acc, 0, hd, s, 0, TILE, 1, nq, nk, v, kOff, kvStride, hd);
        }
        for (int r = 0; r < nq; r++) {
            float inv = 1f / l[r];
            int o = qOff + r * qStride;
            for (int d = 0; d < hd; d++) out[o + d] = acc[r * hd + d] * inv;
            if (lse != null) lse[lseOff + r] = m[r] + (float) StrictMath.log(l[r]);
        }
    }

    /**
     * SPEC §8.2 with P rebuilt from lse and D = rowsum(dout * out). Writes dq, dk, dv; dk and dv are
     * the sums over the query heads sharing each kv head.
     */
    public static void backward(float[] dq, float[] dk, float[] dv, float[] dout, float[] q, float[] k, float[] v,
                                float[] out, float[] lse, int B, int T, int H, int Hkv, int hd, float scale) {
        int nt = tiles(T);
        Parallel.forRange(B * Hkv * nt, 1, (lo, hi) -> {
            Scratch w = SCRATCH.get().ensure(hd);
            for (int task = lo; task < hi; task++) {
                int kt = task % nt, g = (task / nt) % Hkv, b = task / (nt * Hkv);
                keyTileBackward(dk, dv, dout, q, k, v, out, lse, b, g, kt * TILE, T, H, Hkv, hd, scale, w);
            }
        });
        Parallel.forRange(B * H * nt, 1, (lo, hi) -> {
            Scratch w = SCRATCH.get().ensure(hd);
            for (int task = lo; task < hi; task++) {
                int qt = task % nt, h = (task / nt) % H, b = task / (nt * H);
                queryTileBackward(dq, dout, q, k, v, out, lse, b, h, qt * TILE, T, H, Hkv, hd, scale, w);
            }
        });
    }

    /** dK and dV of one key tile of kv head g: sums over its query heads and the query tiles at or after it. */
    private static void keyTileBackward(float[] dk, float[] dv, float[] dout, float[] q, float[] k, float[] v,
                                        float[] out, float[] lse, int b, int g, int kStart, int T, int H, int Hkv,
                                        int hd, float scale, Scratch w) {
        int qStride = H * hd, kvStride = Hkv * hd, rep = H / Hkv;
        int nk = Math.min(TILE, T - kStart);
        int kOff = (b * T + kStart) * kvStride + g * hd;
        int cols = transpose(w.kt, k, kOff, kvStride, nk, hd);
        transpose(w.vt, v, kOff, kvStride, nk, hd);
        float[] dK = w.acc, dV = w.acc2;
        java.util.Arrays.fill(dK, 0, nk * hd, 0f);
        java.util.Arrays.fill(dV, 0, nk * hd, 0f);
        for (int h = g * rep; h < (g + 1) * rep; h++) {
            for (int qStart = kStart; qStart < T; qStart += TILE) {
                int nq = Math.min(TILE, T - qStart);
                int qOff = (b * T + qStart) * qStride + h * hd;
                probabilityGradients(w, dout, q, out, lse, (b * H + h) * T + qStart, qOff, qStride,
                        qStart, nq, kStart, nk, cols, hd, scale);
                // dV += P^T dO and dK += dS^T Q: P and dS read column-wise (row stride 1, column stride TILE).
                accumulate(dV, 0, hd, w.s, 0, 1, TILE, nk, nq, dout, qOff, qStride, hd);
                accumulate(dK, 0, hd, w.dp, 0, 1, TILE, nk, nq, q, qOff, qStride, hd);
            }
        }
        for (int j = 0; j < nk; j++) {
            int o = kOff + j * kvStride;
            for (int d = 0; d < hd; d++) {
                dk[o + d] = scale * dK[j * hd + d];
                dv[o + d] = dV[j * hd + d];
            }
        }
    }

    /** dQ of one query tile of head h: dS K summed over the key tiles at or before it. */
    private static void queryTileBackward(float[] dq, float[] dout, float[] q, float[] k, float[] v, float[] out,
                                          float[] lse, int b, int h, int qStart, int T, int H, int Hkv, int hd,
                                          float scale, Scratch w) {
        int qStride = H * hd, kvStride = Hkv * hd, g = h / (H / Hkv);
        int nq = Math.min(TILE, T - qStart);
        int qOff = (b * T + qStart) * qStride + h * hd;
        float[] dQ = w.acc;
        java.util.Arrays.fill(dQ, 0, nq * hd, 0f);
        for (int kStart = 0; kStart < qStart + nq; kStart += TILE) {
            int nk = Math.min(TILE, qStart + nq - kStart);
            int kOff = (b * T + kStart) * kvStride + g * hd;
            int cols = transpose(w.kt, k, kOff, kvStride, nk, hd);
            transpose(w.vt, v, kOff, kvStride, nk, hd);
            probabilityGradients(w, dout, q, out, lse, (b * H + h) * T + qStart, qOff, qStride,
                    qStart, nq, kStart, nk, cols, hd, scale);
            accumulate(dQ, 0, hd, w.dp, 0, TILE, 1, nq, nk, k, kOff, kvStride, hd);
        }
        for (int r = 0; r < nq; r++) {
            int o = qOff + r * qStride;
            for (int d = 0; d < hd; d++) dq[o + d] = scale * dQ[r * hd + d];
        }
    }

    /**
     * For a (query tile, key tile) pair whose K and V are already transposed in w.kt and w.vt: leaves
     * P = exp(scale * S - lse) in w.s and dS = P * (dP - D) in w.dp, zero where the mask hides the key.
     */
    private static void probabilityGradients(Scratch w, float[] dout, float[] q, float[] out, float[] lse, int lseOff,
                                             int qOff, int qStride, int qStart, int nq, int kStart, int nk, int cols,
                                             int hd, float scale) {
        float[] s = w.s, dp = w.dp;
        scores(s, q, qOff, qStride, nq, w.kt, hd, cols);
        scores(dp, dout, qOff, qStride, nq, w.vt, hd, cols);
        for (int r = 0; r < nq; r++) {
            int row = r * TILE;
            int valid = Math.max(0, Math.min(nk, qStart + r + 1 - kStart));
            int o = qOff + r * qStride;
            float D = dot(dout, out, o, hd, w.lanes);
            float rowLse = lse[lseOff + r];
            int j = 0;
            if (valid > 0) {
                FloatVector vScale = FloatVector.broadcast(S, scale), vLse = FloatVector.broadcast(S, -rowLse);
                FloatVector vD = FloatVector.broadcast(S, D);
                for (; j < valid; j += VL) {
                    FloatVector p = LaneMath.exp(FloatVector.fromArray(S, s, row + j).fma(vScale, vLse));
                    if (j + VL > valid) p = p.blend(0f, S.indexInRange(j, valid).not());
                    p.intoArray(s, row + j);
                    FloatVector.fromArray(S, dp, row + j).sub(vD).mul(p).intoArray(dp, row + j);
                }
            }
            for (; j < nk; j++) {
                s[row + j] = 0f;
                dp[row + j] = 0f;
            }
        }
    }

    /**
     * Copies nk rows of a K or V tile (row stride stride, from off) into t as (hd, TILE), zero-padding
     * the columns up to the next multiple of 2 * VL. Returns that padded column count.
     */
    private static int transpose(float[] t, float[] src, int off, int stride, int nk, int hd) {
        int cols = (nk + 2 * VL - 1) / (2 * VL) * (2 * VL);
        for (int j = 0; j < nk; j++) {
            int o = off + j * stride;
            for (int d = 0; d < hd; d++) t[d * TILE + j] = src[o + d];
        }
        for (int d = 0; d < hd; d++) java.util.Arrays.fill(t, d * TILE + nk, d * TILE + cols, 0f);
        return cols;
    }

    /**
     * c[r][j] = sum_d a[aOff + r * aRs + d] * bt[d][j] for j < cols (a multiple of 2 * VL), c and bt
     * TILE wide. Blocks of 4 rows x 2 vectors keep eight independent FMA chains in flight.
     */
    private static void scores(float[] c, float[] a, int aOff, int aRs, int nRows, float[] bt, int hd, int cols) {
        int r = 0;
        for (; r + 4 <= nRows; r += 4) {
            int a0 = aOff + r * aRs, a1 = a0 + aRs, a2 = a1 + aRs, a3 = a2 + aRs;
            for (int col = 0; col < cols; col += 2 * VL) {
                FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
                FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
                for (int d = 0; d < hd; d++) {
                    FloatVector b0 = FloatVector.fromArray(S, bt, d * TILE + col);
                    FloatVector b1 = FloatVector.fromArray(S, bt, d * TILE + col + VL);
                    FloatVector x0 = FloatVector.broadcast(S, a[a0 + d]);
                    FloatVector x1 = FloatVector.broadcast(S, a[a1 + d]);
                    FloatVector x2 = FloatVector.broadcast(S, a[a2 + d]);
                    FloatVector x3 = FloatVector.broadcast(S, a[a3 + d]);
                    c00 = b0.fma(x0, c00); c01 = b1.fma(x0, c01);
                    c10 = b0.fma(x1, c10); c11 = b1.fma(x1, c11);
                    c20 = b0.fma(x2, c20); c21 = b1.fma(x2, c21);
                    c30 = b0.fma(x3, c30); c31 = b1.fma(x3, c31);
                }
                int o = r * TILE + col;
                c00.intoArray(c, o); c01.intoArray(c, o + VL);
                c10.intoArray(c, o + TILE); c11.intoArray(c, o + TILE + VL);
                c20.intoArray(c, o + 2 * TILE); c21.intoArray(c, o + 2 * TILE + VL);
                c30.intoArray(c, o + 3 * TILE); c31.intoArray(c, o + 3 * TILE + VL);
            }
        }
        for (; r < nRows; r++) {
            int a0 = aOff + r * aRs;
            for (int col = 0; col < cols; col += 2 * VL) {
                FloatVector c0 = FloatVector.zero(S), c1 = c0;
                for (int d = 0; d < hd; d++) {
                    FloatVector x = FloatVector.broadcast(S, a[a0 + d]);
                    c0 = FloatVector.fromArray(S, bt, d * TILE + col).fma(x, c0);
                    c1 = FloatVector.fromArray(S, bt, d * TILE + col + VL).fma(x, c1);
                }
                c0.intoArray(c, r * TILE + col);
                c1.intoArray(c, r * TILE + col + VL);
            }
        }
    }

    /**
     * c[r][:] += sum_{i < nK} a(r, i) * bm[i][:], rows of hd floats, with a(r, i) = a[aOff + r * aRs + i * aCs]
     * so the same kernel serves P V (aRs = TILE, aCs = 1) and P^T dO (aRs = 1, aCs = TILE). Vector lanes
     * run over the head dim; four rows at a time share each load of bm.
     */
    private static void accumulate(float[] c, int cOff, int cRs, float[] a, int aOff, int aRs, int aCs, int nRows,
                                   int nK, float[] bm, int bOff, int bRs, int hd) {
        int dBound = S.loopBound(hd);
        int r = 0;
        for (; r + 4 <= nRows; r += 4) {
            int c0 = cOff + r * cRs, ar = aOff + r * aRs;
            for (int d = 0; d < dBound; d += VL) {
                FloatVector y0 = FloatVector.fromArray(S, c, c0 + d);
                FloatVector y1 = FloatVector.fromArray(S, c, c0 + cRs + d);
                FloatVector y2 = FloatVector.fromArray(S, c, c0 + 2 * cRs + d);
                FloatVector y3 = FloatVector.fromArray(S, c, c0 + 3 * cRs + d);
                for (int i = 0; i < nK; i++) {
                    FloatVector x = FloatVector.fromArray(S, bm, bOff + i * bRs + d);
                    int ai = ar + i * aCs;
                    y0 = x.fma(FloatVector.broadcast(S, a[ai]), y0);
                    y1 = x.fma(FloatVector.broadcast(S, a[ai + aRs]), y1);
                    y2 = x.fma(FloatVector.broadcast(S, a[ai + 2 * aRs]), y2);
                    y3 = x.fma(FloatVector.broadcast(S, a[ai + 3 * aRs]), y3);
                }
                y0.intoArray(c, c0 + d);
                y1.intoArray(c, c0 + cRs + d);
                y2.intoArray(c, c0 + 2 * cRs + d);
                y3.intoArray(c, c0 + 3 * cRs + d);
            }
            for (int rr = r; rr < r + 4; rr++) accumulateTail(c, cOff, cRs, a, aOff, aRs, aCs, rr, nK, bm, bOff, bRs, dBound, hd);
        }
        for (; r < nRows; r++) {
            int c0 = cOff + r * cRs, ar = aOff + r * aRs;
            for (int d = 0; d < dBound; d += VL) {
                FloatVector y = FloatVector.fromArray(S, c, c0 + d);
                for (int i = 0; i < nK; i++) y = FloatVector.fromArray(S, bm, bOff + i * bRs + d).fma(FloatVector.broadcast(S, a[ar + i * aCs]), y);
                y.intoArray(c, c0 + d);
            }
            accumulateTail(c, cOff, cRs, a, aOff, aRs, aCs, r, nK, bm, bOff, bRs, dBound, hd);
        }
    }

    /** The head-dim columns [from, hd) that do not fill a vector, for one row. */
    private static void accumulateTail(float[] c, int cOff, int cRs, float[] a, int aOff, int aRs, int aCs, int r,
                                       int nK, float[] bm, int bOff, int bRs, int from, int hd) {
        int c0 = cOff + r * cRs, ar = aOff + r * aRs;
        for (int d = from; d < hd; d++) {
            float y = c[c0 + d];
            for (int i = 0; i < nK; i++) y += a[ar + i * aCs] * bm[bOff + i * bRs + d];
            c[c0 + d] = y;
        }
    }

    /** max of s[row .. row + n), n >= 1. */
    private static float rowMax(float[] s, int row, int n) {
        float mx = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (n >= VL) {
            FloatVector vm = FloatVector.fromArray(S, s, row);
            for (j = VL; j + VL <= n; j += VL) vm = vm.max(FloatVector.fromArray(S, s, row + j));
            mx = vm.reduceLanes(VectorOperators.MAX);
        }
        for (; j < n; j++) mx = Math.max(mx, s[row + j]);
        return mx;
    }

    /**
     * s[row + j] = exp(scale * s[row + j] - shift) for j < valid and 0 for valid <= j < nk (masked keys);
     * returns the sum. The row is TILE wide, so the last partial vector may be computed in full.
     */
    private static float expShifted(float[] s, int row, int valid, int nk, float scale, float shift, float[] lanes) {
        FloatVector vScale = FloatVector.broadcast(S, scale), vShift = FloatVector.broadcast(S, -shift);
        FloatVector sum = FloatVector.zero(S);
        int j = 0;
        for (; j < valid; j += VL) {
            FloatVector p = LaneMath.exp(FloatVector.fromArray(S, s, row + j).fma(vScale, vShift));
            if (j + VL > valid) p = p.blend(0f, S.indexInRange(j, valid).not());
            p.intoArray(s, row + j);
            sum = sum.add(p);
        }
        for (; j < nk; j++) s[row + j] = 0f;
        return sumLanes(sum, lanes);
    }

    /**
     * Lane sum in a fixed left-to-right order. reduceLanes(ADD) may add in a different order once C2
     * compiles it than in the interpreter, which would make results depend on JIT timing.
     */
    private static float sumLanes(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float sum = 0f;
        for (int i = 0; i < VL; i++) sum += lanes[i];
        return sum;
    }

    private static void scaleRow(float[] a, int off, int n, float f) {
        int j = 0;
        for (; j < S.loopBound(n); j += S.length()) FloatVector.fromArray(S, a, off + j).mul(f).intoArray(a, off + j);
        for (; j < n; j++) a[off + j] *= f;
    }

    private static float dot(float[] x, float[] y, int off, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j < S.loopBound(n); j += S.length()) {
            acc = FloatVector.fromArray(S, x, off + j).fma(FloatVector.fromArray(S, y, off + j), acc);
        }
        float sum = sumLanes(acc, lanes);
        for (; j < n; j++) sum += x[off + j] * y[off + j];
        return sum;
    }

    /** Attention Z-value, SPEC §6.8: mean over the n (token, head) rows of lse^2. */
    public static double zValue(float[] lse, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double) lse[i] * lse[i];
        return sum / n;
    }
}
