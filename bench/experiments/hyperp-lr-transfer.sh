#!/usr/bin/env bash
# Does HyperP's base learning rate transfer across width (SPEC §6.5)? A base-LR sweep on a x2 grid
# at two widths (same depth, head size fixed at 16, FFN 2.75x wide), with AdamW as the contrast,
# on the default data (this JDK's own sources), then `squall compare` of validation loss against lr.
#
#   bench/experiments/hyperp-lr-transfer.sh              # everything: about 10 minutes on 2 busy cores
#   OPTIMIZERS=hyperp STEPS=200 bench/experiments/hyperp-lr-transfer.sh
#
# Runs go to runs/experiments/hyperp-lr-transfer/<optimizer>-d<width>-lr<lr>/; a run that already
# has a summary.json is kept, so an interrupted sweep continues where it stopped (delete the
# directory to start over). The plot, CSV and Markdown table go to bench/experiments/results/.
set -euo pipefail
cd "$(dirname "$0")/../.."

STEPS=${STEPS:-60}
WIDTHS=${WIDTHS:-"64 256"}
OPTIMIZERS=${OPTIMIZERS:-"hyperp adamw"}
# Base rates: HyperP's eta0 (the transfer rule multiplies it by sqrt(B/B0)*sqrt(d0/d)*(T/T0)^-0.32,
# the same factor at every width), AdamW's peak lr.
HYPERP_LRS=${HYPERP_LRS:-"0.00125 0.0025 0.005 0.01 0.02 0.04 0.08 0.16 0.32"}
ADAMW_LRS=${ADAMW_LRS:-"0.00025 0.0005 0.001 0.002 0.004 0.008 0.016 0.032"}
RUNS=runs/experiments/hyperp-lr-transfer
RESULTS=bench/experiments/results
HEAD_SIZE=16

# Small enough that one run takes seconds: 2 layers, 8 x 64 tokens per step, the tiny preset's
# 10-step warm-up (HyperP replaces it by none), one validation of 16 batches at the end.
COMMON=(--preset tiny --backend jvm --steps "$STEPS" --batch 8 --seed 1337
        --set n_layers=2 --set seq_len=64 --set eval_every="$STEPS" --set eval_batches=16
        --set checkpoint_every=100000 --set data_cap_bytes=8000000)

mkdir -p "$RUNS" "$RESULTS"
start=$(date +%s)
for opt in $OPTIMIZERS; do
  case $opt in
    hyperp) lrs=$HYPERP_LRS ;;
    adamw) lrs=$ADAMW_LRS ;;
    *) echo "unknown optimizer $opt (hyperp or adamw)" >&2; exit 1 ;;
  esac
  dirs=()
  for width in $WIDTHS; do
    heads=$((width / HEAD_SIZE))
    for lr in $lrs; do
      dir="$RUNS/$opt-d$width-lr$lr"
      dirs+=("$dir")
      if [ -f "$dir/summary.json" ]; then echo "kept $dir"; continue; fi
      rm -rf "$dir"
      t0=$(date +%s)
      # A diverged run (exit 3) is a data point too: compare shows it as n/a.
      ./squall train "${COMMON[@]}" --optimizer "$opt" --lr "$lr" --set d_model="$width" \
          --set n_heads="$heads" --set n_kv_heads="$heads" --set ffn_hidden=$((width * 11 / 4)) \
          --out "$dir" > "$RUNS/$opt-d$width-lr$lr.log" 2>&1 || echo "  (exit $? - see $RUNS/$opt-d$width-lr$lr.log)"
      echo "$dir: $(grep -o 'val_loss=[0-9.]*' "$RUNS/$opt-d$width-lr$lr.log" | tail -1) in $(( $(date +%s) - t0 )) s"
    done
  done
  ./squall compare "${dirs[@]}" --x lr --y val_loss --group d_model --log-x --y-max 3.5 \
      --out "$RESULTS/hyperp-lr-transfer-$opt.png" > "$RUNS/compare-$opt.txt"
  cat "$RUNS/compare-$opt.txt"
  grep '^|' "$RUNS/compare-$opt.txt" > "$RESULTS/hyperp-lr-transfer-$opt.md"
done
echo "wall time: $(( $(date +%s) - start )) s"
