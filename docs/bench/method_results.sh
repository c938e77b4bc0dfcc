#!/usr/bin/env bash
# Every recipe preset on Fashion-MNIST with the same model and budget, several seeds; then mean ± std of the
# final and best test accuracy per preset and the CPU time each run took. Used for docs/results.md.
#   SUBSET=5000 EPOCHS=6 SEEDS="1 2 3" JOBS=2 OUT=runs/methods docs/bench/method_results.sh
# Runs JOBS trainings at once with one torch thread each (on 2 cores that keeps both busy).
set -euo pipefail
cd "$(dirname "$0")/../.."
subset="${SUBSET:-5000}"
epochs="${EPOCHS:-6}"
seeds="${SEEDS:-1 2 3}"
jobs="${JOBS:-2}"
model="${MODEL:-resnet18}"
width="${WIDTH:-0.25}"
out="${OUT:-runs/methods}"
presets="${PRESETS:-baseline tb snr tb+snr sgdr lookahead sgdp tb+sgdp lars lamb lawn-sgd lawn-adam}"
mkdir -p "$out"
export tempbalance="${TEMPBALANCE:-dotnet src/TempBalance.Cli/bin/Release/net10.0/tempbalance.dll}"
export out subset epochs model width

run_one() {
  local preset="$1" seed="$2"
  local dir="$out/$preset-seed$seed"
  if [ -f "$dir/results.json" ] && grep -q '"outcome": "completed"' "$dir/results.json"; then return 0; fi
  rm -rf "$dir" "$dir.log" "$dir.time"
  # %U + %S: CPU seconds of the whole process (start-up, data loading, training, evaluation, ESD).
  /usr/bin/time -o "$dir.time" -f "%U %S %e" $tempbalance train --model "$model" --width-factor "$width" \
    --dataset fashion-mnist --method "$preset" --epochs "$epochs" --batch-size 128 --seed "$seed" --threads 1 \
    --device cpu --subset "$subset" --out "$dir" > "$dir.log" 2>&1 || true
}
export -f run_one

for seed in $seeds; do for preset in $presets; do echo "$preset $seed"; done; done \
  | xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1"'
/usr/bin/python3 docs/bench/summarise_methods.py "$out"
