#!/usr/bin/env bash
# The 3x3 FNN sweep of eoc_bench.sh (60,000 images, 1 epoch per run) through the web app's API with TempBalance:Workers=$1
# (the Release build of src/TempBalance.Web); prints the wall time from POST /api/sweeps to "Completed", the runs' summed
# seconds (startedAt to finishedAt) and the torch threads run 1 recorded.   docs/bench/web_sweep.sh WORKERS
set -euo pipefail
cd "$(dirname "$0")/../.."
workers=$1; port=$((5200 + workers)); dir=$(mktemp -d)
dotnet src/TempBalance.Web/bin/Release/net10.0/TempBalance.Web.dll --urls http://127.0.0.1:$port --TempBalance:DataDirectory=$dir --TempBalance:DatasetRoot=/usr/share/datasets --TempBalance:Workers=$workers > $dir/app.log 2>&1 &
app=$!
trap 'kill $app 2>/dev/null; wait $app 2>/dev/null; rm -rf $dir' EXIT
until curl -sf http://127.0.0.1:$port/health/ready >/dev/null; do sleep 0.5; done
body='{"config":{"model":"mlp-tanh","dataset":"fashion-mnist","method":"baseline","epochs":1,"subset":'${SUBSET:-60000}',"batchSize":32,"lr":0.02,"momentum":0.5,"weightDecay":0,"schedule":"constant","seed":1,"device":"cpu"},"axes":[{"field":"lr","values":[0.01,0.02,0.04]},{"field":"batch-size","values":[16,32,64]}],"name":"bench"}'
start=$(date +%s.%N)
id=$(curl -sf -H 'Content-Type: application/json' -d "$body" http://127.0.0.1:$port/api/sweeps | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
while :; do
  s=$(curl -sf http://127.0.0.1:$port/api/sweeps/$id)
  st=$(echo "$s" | python3 -c 'import sys,json; print(json.load(sys.stdin)["summary"]["status"])')
  [ "$st" = "Completed" ] || [ "$st" = "completed" ] && break
  case "$st" in Failed|failed|Cancelled|cancelled) echo "sweep $st"; exit 1;; esac
  sleep 0.5
done
wall=$(echo "$(date +%s.%N) - $start" | bc)
runsum=$(for r in $(echo "$s" | python3 -c 'import sys,json; print(" ".join(str(r["runId"]) for r in json.load(sys.stdin)["runs"]))'); do curl -sf http://127.0.0.1:$port/api/runs/$r; echo; done | python3 -c '
import sys,json
from datetime import datetime
t=0
for line in sys.stdin:
    if not line.strip(): continue
    s=json.loads(line)["summary"]
    p=lambda x: datetime.fromisoformat(x.replace("Z","+00:00"))
    t+=(p(s["finishedAt"])-p(s["startedAt"])).total_seconds()
print(round(t,1))')
threads=$(curl -sf http://127.0.0.1:$port/api/runs/1 | python3 -c 'import sys,json; print(json.load(sys.stdin)["environment"]["threads"])')
printf "workers %s: sweep wall %.1f s, runs' seconds summed %s s, threads per run %s\n" $workers $wall $runsum $threads
