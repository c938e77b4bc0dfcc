"""Times the reference TempBalance ESD approach on the weight matrices of a safetensors file, for
`tempbalance bench diagnose` (which writes a file with GPT-2 small's shapes and runs this script between
its own timed runs). Prints one JSON line.

The per-layer computation is reference_esd.layer_esd (our restatement of YefanZhou/TempBalance's
net_esd_estimator: torch.linalg.svdvals in float32, squared, sorted, median xmin, alpha and D). Layers are
the 2-D tensors whose names contain neither embed, wte nor wpe, as `tempbalance analyze` picks them.
Reading the file is not timed (the tensors are in memory before the clock starts).

  /usr/bin/python3 docs/bench/reference_diagnose.py FILE [--threads 2]
"""
import argparse
import json
import struct
import sys
import time

import numpy as np
import torch

from reference_esd import layer_esd


def read_matrices(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    start = 8 + length
    matrices = []
    for name, entry in header.items():
        if name == "__metadata__" or len(entry["shape"]) != 2 or entry["dtype"] != "F32":
            continue
        if any(mark in name.lower() for mark in ("embed", "wte", "wpe")):
            continue
        begin, end = entry["data_offsets"]
        data = np.fromfile(path, dtype="<f4", count=(end - begin) // 4, offset=start + begin)
        matrices.append((name, torch.from_numpy(data.reshape(entry["shape"]).copy())))
    return matrices


def resident_mb(field):
    """VmRSS or VmHWM (peak) of this process. (ru_maxrss would not do: Linux carries the parent's peak across fork and exec.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    before = resident_mb("VmRSS")
    layers = read_matrices(args.file)
    torch.linalg.svdvals(torch.randn(64, 128))  # loads LAPACK before the clock starts
    start, start_cpu = time.perf_counter(), time.process_time()
    results = [layer_esd(w) for _, w in layers]
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "time_s": elapsed,
        "cpu_s": cpu,
        "peak_mb": resident_mb("VmHWM"),
        "before_mb": before,
        "alphas": {name: r["alpha"] for (name, _), r in zip(layers, results)},
    }))


if __name__ == "__main__":
    sys.exit(main())
