#!/usr/bin/env bash
# Squall against PyTorch on this machine: the same model trained by both, side by side.
#
# The model is the reference configuration (d=256, 4 layers, 4 heads, SwiGLU hidden 704, T=256,
# batch 8, byte vocabulary, RMSNorm, Pre-LN, tied embeddings, AdamW with clipping): Squall's `small`
# preset, and in PyTorch tools/reference/throughput.py (squall_ref's model in float32). The runs are
# interleaved (Squall, PyTorch, Squall, PyTorch, ...) so that a change in the machine's load falls on
# both sides alike. Each run first trains --warmup steps that are not timed (JIT compilation, first
# allocations), then --steps timed steps; validation, data loading and checkpoints are outside the
# timing on both sides.
#
# Before anything is timed it checks which BLAS PyTorch really maps (/proc/self/maps, beside the
# torch build's BLAS_INFO). On the reference BLAS PyTorch is about ten times slower than on
# OpenBLAS, which would make a ratio meaningless, so the script then refuses to run.
#
# Usage (from the repository root):
#   bench/vs-pytorch.sh [--steps N] [--warmup N] [--reps N] [--threads N]
# Defaults: 20 timed steps after 5 warm-up steps, 3 repetitions, all cores; a few minutes on 2 cores.
# Environment:
#   SQUALL_LAUNCHER  the command that runs Squall's CLI (default ./squall; e.g. a `java -cp ...`
#                    line for a jar built elsewhere, where ./squall's own build must not run; such
#                    a line sets the thread count itself, -Dsquall.threads=N)
#   PYTHON           the Python with torch (default /usr/bin/python3, Debian's python3-torch)
# Prints, per side, tokens/s as median (min to max) over the repetitions, then Squall / PyTorch.
set -euo pipefail

STEPS=20 WARMUP=5 REPS=3 THREADS=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) STEPS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "vs-pytorch: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x ./squall ] && [ -f tools/reference/throughput.py ] \
  || { echo "vs-pytorch: run from the repository root (./squall and tools/reference/ not found here)" >&2; exit 2; }
SQUALL_LAUNCHER="${SQUALL_LAUNCHER:-./squall}"
PYTHON="${PYTHON:-/usr/bin/python3}"

# PyTorch's matmuls run on OpenBLAS's own threads, not on torch's pool: both get the thread count.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, where the environment sets them, are passed on unchanged.
pytorch() { OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" "$PYTHON" tools/reference/throughput.py --threads "$THREADS" "$@"; }

BLAS_LINE=$(pytorch --blas-only) || { echo "vs-pytorch: $PYTHON cannot import torch (Debian: apt-get install python3-torch)" >&2; exit 2; }
BLAS_KIND=$(echo "$BLAS_LINE" | sed -n 's/^pytorch_blas=\([a-z]*\).*/\1/p')
echo "PyTorch's BLAS: ${BLAS_LINE#pytorch_blas=}"
if [ "$BLAS_KIND" = reference ]; then
  echo "vs-pytorch: PyTorch runs on the reference BLAS, about 10x slower than OpenBLAS; no ratio against it is a fair anchor." >&2
  echo "vs-pytorch: install OpenBLAS (apt-get install libopenblas0-pthread; it becomes the libblas.so.3 alternative) and run again." >&2
  exit 3
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/squall-vs-pytorch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TOTAL=$((WARMUP + STEPS))

# Squall's tokens/s over the timed steps: metrics.jsonl has each step's tokens/s, and with a fixed
# number of tokens per step the total tokens over the total time is their harmonic mean.
squall_tokens_per_s() {
  "$PYTHON" - "$1" "$WARMUP" <<'EOF'
import json, sys
rates = [r["tokens_per_s"] for r in map(json.loads, open(sys.argv[1])) if r.get("step", 0) > int(sys.argv[2]) and "tokens_per_s" in r]
print(f"{len(rates) / sum(1 / r for r in rates):.0f}")
EOF
}

# The two sides must train the same model: the first Squall run's config.json against the
# configuration throughput.py builds, field by field, before any number is reported.
same_model() {
  "$PYTHON" - "$1" <<'EOF' || exit 1
import json, sys
sys.path.insert(0, "tools/reference")
import throughput
squall = json.load(open(sys.argv[1]))
pytorch = dict(throughput.REFERENCE, norm="rmsnorm")
differ = [f"{k}: squall {squall['model'][k]!r}, pytorch {v!r}" for k, v in pytorch.items()
          if k in squall["model"] and squall["model"][k] != v]
if squall["train"]["batch"] != throughput.DEFAULT_BATCH:
    differ.append(f"batch: squall {squall['train']['batch']}, pytorch {throughput.DEFAULT_BATCH}")
if differ:
    sys.exit("vs-pytorch: the two sides would train different models: " + "; ".join(differ))
EOF
}

SQUALL_RATES=() PYTORCH_RATES=()
for rep in $(seq 1 "$REPS"); do
  run="$WORK/squall-$rep"
  # eval_every past the end: one validation at step 0 and one at the end, both outside the timing.
  # The data is the repository's own sources: small to load, and tokens/s does not depend on it.
  # SQUALL_LAUNCHER is split into words on purpose: it may be a whole `java ... Main` line.
  SQUALL_JAVA_OPTS="-Dsquall.threads=$THREADS ${SQUALL_JAVA_OPTS:-}" $SQUALL_LAUNCHER train --preset small \
      --steps "$TOTAL" --set eval_every=$((TOTAL + 1)) --set eval_batches=1 --data src/main/java --out "$run" \
      > "$WORK/squall-$rep.log" 2>&1 || { echo "vs-pytorch: squall train failed:" >&2; tail -20 "$WORK/squall-$rep.log" >&2; exit 1; }
  [ "$rep" -gt 1 ] || same_model "$run/config.json"
  SQUALL_RATES+=("$(squall_tokens_per_s "$run/metrics.jsonl")")
  echo "run $rep/$REPS squall:  ${SQUALL_RATES[-1]} tokens/s ($(grep -o 'backend [^;]*$' "$WORK/squall-$rep.log" | head -1))"

  pytorch --steps "$STEPS" --warmup "$WARMUP" > "$WORK/pytorch-$rep.log" 2>&1 \
      || { echo "vs-pytorch: throughput.py failed:" >&2; tail -20 "$WORK/pytorch-$rep.log" >&2; exit 1; }
  PYTORCH_RATES+=("$(sed -n 's/^pytorch_tokens_per_s=\([0-9]*\).*/\1/p' "$WORK/pytorch-$rep.log")")
  # The run itself says which BLAS it mapped; it must be the one checked above.
  run_blas=$(sed -n 's/^pytorch_blas=\([a-z]*\).*/\1/p' "$WORK/pytorch-$rep.log")
  [ "$run_blas" = "$BLAS_KIND" ] || { echo "vs-pytorch: this PyTorch run mapped $run_blas, the check found $BLAS_KIND" >&2; exit 1; }
  echo "run $rep/$REPS pytorch: ${PYTORCH_RATES[-1]} tokens/s ($(sed -n 's/^pytorch_tokens_per_s=[0-9]* (\(torch [^,]*, [0-9]* threads\).*/\1/p' "$WORK/pytorch-$rep.log"))"
done

"$PYTHON" - "$STEPS" "$WARMUP" "$THREADS" "${SQUALL_RATES[*]}" "${PYTORCH_RATES[*]}" <<'EOF'
import statistics, sys
steps, warmup, threads = sys.argv[1:4]
squall, pytorch = ([float(v) for v in arg.split()] for arg in sys.argv[4:6])
def spread(rates):
    return f"{statistics.median(rates):,.0f} tokens/s (min {min(rates):,.0f}, max {max(rates):,.0f})"
print(f"reference model, {steps} timed steps after {warmup} warm-up, {threads} threads, {len(squall)} runs each, interleaved:")
print(f"squall  {spread(squall)}")
print(f"pytorch {spread(pytorch)}")
print(f"squall / pytorch = {statistics.median(squall) / statistics.median(pytorch):.2f} (ratio of medians)")
EOF
