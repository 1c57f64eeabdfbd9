#!/usr/bin/env bash
# Does SqrtGate keep the MoE output RMS flat across granularity (SPEC §6.6)? k = 1, 2, 4, 8 active
# experts out of 8k, each of hidden size F/k, so the active parameters (and FLOPs) per token stay
# those of one dense FFN of hidden F; every router, same seed, same steps; then `squall compare` of
# the FFN (MoE) output RMS of the first and the last layer, averaged over the last 20% of the steps,
# against top_k. With experts whose outputs share one RMS r, plain gating scales the output RMS by
# sqrt(Σ g_e²), between 1/sqrt(k) and 1, and SqrtGate keeps it at r (SPEC §6.6); whether r itself
# stays the same as the experts get narrower (F/k) is part of what this measures.
#
#   bench/experiments/moe-granularity.sh
#   ROUTERS="sqrtgate topk-softmax" KS="1 2 4" STEPS=200 bench/experiments/moe-granularity.sh
#
# Runs go to runs/experiments/moe-granularity/<router>-k<k>/ (a run with a summary.json is kept, so
# an interrupted sweep continues); plots, CSV and Markdown tables to bench/experiments/results/.
set -euo pipefail
cd "$(dirname "$0")/../.."

STEPS=${STEPS:-100}
KS=${KS:-"1 2 4 8"}
ROUTERS=${ROUTERS:-"sqrtgate topk-softmax softmax-topk"}
OPTIMIZER=${OPTIMIZER:-hyperp}   # the sphere keeps each expert's output RMS r controlled (SPEC §6.6)
LR=${LR:-0.01}
D_MODEL=${D_MODEL:-128}
N_LAYERS=${N_LAYERS:-2}
FFN=${FFN:-352}                  # F: the dense FFN hidden size the active experts add up to
RUNS=runs/experiments/moe-granularity
RESULTS=bench/experiments/results

COMMON=(--preset tiny --backend jvm --steps "$STEPS" --batch 8 --seed 1337 --optimizer "$OPTIMIZER" --lr "$LR"
        --set d_model="$D_MODEL" --set n_heads=$((D_MODEL / 16)) --set n_kv_heads=$((D_MODEL / 16))
        --set n_layers="$N_LAYERS" --set ffn_hidden="$FFN" --set seq_len=64 --set eval_every="$STEPS"
        --set eval_batches=16 --set checkpoint_every=100000 --set data_cap_bytes=8000000)

mkdir -p "$RUNS" "$RESULTS"
start=$(date +%s)
dirs=()
for router in $ROUTERS; do
  for k in $KS; do
    dir="$RUNS/$router-k$k"
    dirs+=("$dir")
    if [ -f "$dir/summary.json" ]; then echo "kept $dir"; continue; fi
    rm -rf "$dir"
    t0=$(date +%s)
    ./squall train "${COMMON[@]}" --experts $((8 * k)) --top-k "$k" --router "$router" --moe-every 1 \
        --set expert_hidden=$((FFN / k)) --out "$dir" > "$RUNS/$router-k$k.log" 2>&1 \
        || echo "  (exit $? - see $RUNS/$router-k$k.log)"
    echo "$dir: $(grep -o 'val_loss=[0-9.]*' "$RUNS/$router-k$k.log" | tail -1) in $(( $(date +%s) - t0 )) s"
  done
done
last=$((N_LAYERS - 1))
for y in layer0.ffn_out_rms "layer$last.ffn_out_rms" val_loss; do
  name="moe-granularity-${y//./-}"
  ./squall compare "${dirs[@]}" --x top_k --y "$y" --group router --out "$RESULTS/$name.png" > "$RUNS/$name.txt"
  cat "$RUNS/$name.txt"
  grep '^|' "$RUNS/$name.txt" > "$RESULTS/$name.md"
done
echo "wall time: $(( $(date +%s) - start )) s"
