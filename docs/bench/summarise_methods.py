#!/usr/bin/python3
"""Per preset over the runs under a folder: mean ± sample std of the final and best test accuracy, and CPU time."""
import json
import statistics
import sys
from pathlib import Path

folder = Path(sys.argv[1])
runs = {}
incomplete = []
for results in sorted(folder.glob("*/results.json")):
    data = json.loads(results.read_text())
    name = results.parent.name
    if data["outcome"] != "completed":
        incomplete.append(f"{name}: {data['outcome']} ({data.get('message')})")
        continue
    trained = [e for e in data["epochs"] if e["epoch"] >= 1]
    final = trained[-1]["testAccuracy"]
    best = max(e["testAccuracy"] for e in trained)
    time_file = results.parent.parent / (name + ".time")
    cpu = sum(map(float, time_file.read_text().split()[:2])) if time_file.exists() else float("nan")
    config = data["config"]
    runs.setdefault(config["method"], []).append((config["seed"], final, best, cpu))

def mean_std(values):
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else float("nan"))

order = ["baseline", "tb", "snr", "tb+snr", "sgdr", "lookahead", "sgdp", "tb+sgdp", "lars", "lamb", "lawn-sgd", "lawn-adam"]
print("| preset | seeds | final test accuracy | best test accuracy | per seed (final / best) | CPU s per run |")
print("|---|---|---|---|---|---|")
total_cpu = 0.0
for method in sorted(runs, key=lambda m: order.index(m) if m in order else len(order)):
    values = sorted(runs[method])
    f_mean, f_std = mean_std([v[1] for v in values])
    b_mean, b_std = mean_std([v[2] for v in values])
    per_seed = ", ".join(f"{s}: {100 * f:.2f} / {100 * b:.2f}" for s, f, b, _ in values)
    cpu = [v[3] for v in values]
    total_cpu += sum(cpu)
    print(f"| {method} | {len(values)} | {100 * f_mean:.2f} % ± {100 * f_std:.2f} | {100 * b_mean:.2f} % ± {100 * b_std:.2f} | "
          f"{per_seed} | {statistics.mean(cpu):.0f} |")
print(f"\nTotal CPU time of the completed runs: {total_cpu / 60:.1f} min")
for line in incomplete:
    print("Not completed:", line)
