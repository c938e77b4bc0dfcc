#!/usr/bin/env bash
# Interleaved rounds of one 3x3 sweep of the edge-of-chaos FNN (lr x batch size) run three ways: --parallel 2 (one
# torch thread per run), one by one with the default threads (all cores), one by one with one thread. Each line:
# wall and cpu (user + system) seconds of the whole command and the sum of its runs' seconds (sweep.csv). The three
# alternate within each round because this machine's speed drifts between minutes (docs/benchmarks.md).
#
#   [TEMPBALANCE="dotnet <build>/tempbalance.dll"] [ROUNDS=3] [SUBSET=60000] [EPOCHS=1] docs/bench/sweep_rounds.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
T="${TEMPBALANCE:-dotnet src/TempBalance.Cli/bin/Release/net10.0/tempbalance.dll}"
work=${1:-$(mktemp -d)}; rounds=${ROUNDS:-3}
common="--model mlp-tanh --dataset fashion-mnist --method baseline --momentum 0.5 --weight-decay 0 --schedule constant --seed 1 --device cpu --data-root ${DATA_ROOT:-/usr/share/datasets} --epochs ${EPOCHS:-1} --subset ${SUBSET:-60000} --grid lr=0.01,0.02,0.04 --grid batch-size=16,32,64"
mkdir -p $work
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ); $(git rev-parse --short HEAD)"
for r in $(seq $rounds); do
  for name in parallel2 serial serial1; do
    case $name in parallel2) extra="--parallel 2";; serial) extra="--parallel 1";; serial1) extra="--parallel 1 --threads 1";; esac
    rm -rf $work/$name
    /usr/bin/time -f "%e %U %S" -o $work/$name.time $T sweep $common $extra --out $work/$name > $work/$name.log 2>&1
    read -r wall user sys < $work/$name.time
    sum=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="seconds") c=i; next}{s+=$c} END{print s}' $work/$name/sweep.csv)
    echo "round $r $name wall $wall cpu $(echo "$user+$sys"|bc) runsum $sum load $(cut -d' ' -f1 /proc/loadavg)"
  done
done
