#!/usr/bin/env bash
# Benchmarks of the edge-of-chaos study (docs/benchmarks.md, "Edge-of-chaos FNN and sweeps"):
#  1. One epoch of the paper's 784-784-10 tanh FNN (batch 32, lr 0.02, momentum 0.5, 1 torch thread) on the
#     first $SUBSET Fashion-MNIST images: `tempbalance train` (epoch_seconds of epochs.csv: training plus test
#     evaluation) and docs/bench/fnn_peer.py (the same work in a plain PyTorch loop), alternating, $REPEATS each.
#  2. A 3x3 sweep (lr x batch size) of the same model, $SWEEP_SUBSET images, $SWEEP_EPOCHS epoch(s) per run:
#     wall time with --parallel 2 against the same nine runs one by one (--parallel 1, default threads = all cores;
#     then --parallel 1 --threads 1), each sweep's run seconds from its sweep.csv; and the nine runs as nine
#     separate `tempbalance train` commands, one after the other (how a run is timed on its own: process start
#     and data loading included), with default threads and with --threads 1.
#
#   TEMPBALANCE="dotnet /path/to/tempbalance.dll" docs/bench/eoc_bench.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
T="${TEMPBALANCE:-dotnet src/TempBalance.Cli/bin/Release/net10.0/tempbalance.dll}"
work="${1:-$(mktemp -d)}"
data="${DATA_ROOT:-/usr/share/datasets}"
subset="${SUBSET:-12000}"
repeats="${REPEATS:-3}"
sweep_subset="${SWEEP_SUBSET:-6000}"
sweep_epochs="${SWEEP_EPOCHS:-1}"
mkdir -p "$work"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
common="--model mlp-tanh --dataset fashion-mnist --method baseline --momentum 0.5 --weight-decay 0 --schedule constant --seed 1 --device cpu --data-root $data"

echo "== FNN epoch, $subset images, batch 32, 1 thread"
for r in $(seq "$repeats"); do
  rm -rf "$work/fnn-$r"
  $T train $common --epochs 1 --batch-size 32 --lr 0.02 --subset "$subset" --threads 1 --out "$work/fnn-$r" > "$work/fnn-$r.log" 2>&1
  awk -F, -v r="$r" '$1 == "1" { printf "round %s ours epoch_seconds %.3f\n", r, $7 }' "$work/fnn-$r/epochs.csv"
  echo "round $r $(/usr/bin/python3 docs/bench/fnn_peer.py --data-root "$data" --subset "$subset" --batch-size 32 --threads 1)"
done

sweep() { # name, extra options
  local name=$1; shift
  rm -rf "$work/$name"
  # wall, user and system seconds of the whole command: (user + system) / wall is the number of cores kept busy.
  /usr/bin/time -f "%e %U %S" -o "$work/$name.time" \
    $T sweep $common --epochs "$sweep_epochs" --subset "$sweep_subset" --grid lr=0.01,0.02,0.04 --grid batch-size=16,32,64 "$@" --out "$work/$name" > "$work/$name.log" 2>&1
  read -r wall user system < "$work/$name.time"
  awk -F, -v name="$name" -v wall="$wall" -v cpu="$(echo "$user + $system" | bc)" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") col = i; next }
    { sum += $col; n++ } END { printf "%s: wall %.1f s, cpu %.1f s (%.2f cores busy), %d runs, sum of run seconds %.1f s\n", name, wall, cpu, cpu / wall, n, sum }' "$work/$name/sweep.csv"
}
echo "== 3x3 sweep, $sweep_subset images, $sweep_epochs epoch(s) per run"
sweep parallel2 --parallel 2
sweep serial --parallel 1
sweep serial-1thread --parallel 1 --threads 1
separate() { # name, extra options: the nine runs as nine `tempbalance train` commands, the wall time of all of them
  local name=$1; shift
  rm -rf "$work/$name"; mkdir -p "$work/$name"
  local start; start=$(date +%s.%N)
  for lr in 0.01 0.02 0.04; do
    for batch in 16 32 64; do
      $T train $common --epochs "$sweep_epochs" --subset "$sweep_subset" --lr "$lr" --batch-size "$batch" "$@" --out "$work/$name/lr$lr-b$batch" > "$work/$name/lr$lr-b$batch.log" 2>&1
    done
  done
  echo "$name: wall of the nine commands $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f') s"
}
separate separate-commands
separate separate-commands-1thread --threads 1
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
