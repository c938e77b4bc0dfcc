#!/usr/bin/env bash
# Fashion-MNIST, smallcnn: baseline vs tempbalance, same model and budget, several seeds; then the
# mean and standard deviation of the final test accuracy. Used for docs/results.md.
#   SUBSET=5000 EPOCHS=3 SEEDS="1 2 3" THREADS=1 docs/bench/fashion_mnist_results.sh
# (METHODS="baseline" or "tempbalance" runs one method only, e.g. two streams side by side.)
set -euo pipefail
cd "$(dirname "$0")/../.."
subset="${SUBSET:-}"
epochs="${EPOCHS:-3}"
seeds="${SEEDS:-1 2 3}"
threads="${THREADS:-2}"
out="${OUT:-runs/fashion-mnist-results}"
mkdir -p "$out"
tempbalance="${TEMPBALANCE:-dotnet src/TempBalance.Cli/bin/Release/net10.0/tempbalance.dll}"
for seed in $seeds; do
  for method in ${METHODS:-baseline tempbalance}; do
    dir="$out/$method-seed$seed"
    [ -f "$dir/results.json" ] && grep -q '"outcome": "completed"' "$dir/results.json" && continue
    rm -rf "$dir"
    $tempbalance train --model smallcnn --dataset fashion-mnist --method "$method" --epochs "$epochs" \
      --batch-size 128 --lr 0.05 --seed "$seed" --threads "$threads" --device cpu \
      ${subset:+--subset "$subset"} --out "$dir" > "$dir.log" 2>&1
  done
done
/usr/bin/python3 docs/bench/summarise_runs.py "$out"
