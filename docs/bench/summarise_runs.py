#!/usr/bin/python3
"""Mean and standard deviation of the final test accuracy per method over the runs under a folder."""
import json
import statistics
import sys
from pathlib import Path

runs = {}
for results in sorted(Path(sys.argv[1]).glob("*/results.json")):
    data = json.loads(results.read_text())
    if data["outcome"] != "completed":
        continue
    final = data["epochs"][-1]
    runs.setdefault(data["config"]["method"], []).append((data["config"]["seed"], final["testAccuracy"], final["epochSeconds"]))

print("| method | seeds | final test accuracy (mean ± std) | per seed | mean epoch time |")
print("|---|---|---|---|---|")
for method, values in sorted(runs.items()):
    accuracies = [a for _, a, _ in values]
    std = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    per_seed = ", ".join(f"{s}: {100 * a:.2f}" for s, a, _ in values)
    print(f"| {method} | {len(values)} | {100 * statistics.mean(accuracies):.2f} % ± {100 * std:.2f} | {per_seed} | "
          f"{statistics.mean(t for _, _, t in values):.0f} s |")
