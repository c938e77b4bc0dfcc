"""Times the reference TempBalance ESD pass (YefanZhou/TempBalance, Tempbalance.net_esd_estimator, which
Tempbalance.step runs) on a CIFAR ResNet18 (100 classes) weight set, for docs/benchmarks.md.

This is our own re-statement of that computation, not the reference code: per Conv2d/Linear layer, the conv
weight [out, in, kh, kw] becomes kh*kw matrices [out, in] scaled by sqrt(conv_norm); torch.linalg.svdvals on
that float32 batch; squared, sorted; median xmin (i = N // 2); Hill alpha and KS distance D with torch ops.

  /usr/bin/python3 docs/bench/reference_esd.py export DIR        # write the weights as DIR/<layer>.npy + DIR/layers.txt
  /usr/bin/python3 docs/bench/reference_esd.py time DIR [--repeat 7] [--threads 2] [--out alphas.json]
  /usr/bin/python3 docs/bench/reference_esd.py step [--threads 2] [--steps 3]   # ResNet18 CIFAR training step time
"""
import argparse, json, math, os, statistics, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_models import ResNet18


def export(directory):
    torch.manual_seed(0)
    model = ResNet18(classes=100)
    os.makedirs(directory, exist_ok=True)
    names = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            np.save(os.path.join(directory, name + ".npy"), module.weight.detach().numpy().astype(np.float32))
            names.append(name)
    with open(os.path.join(directory, "layers.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print(f"wrote {len(names)} layers to {directory}")


def load(directory):
    with open(os.path.join(directory, "layers.txt")) as f:
        names = [line.strip() for line in f if line.strip()]
    return [(name, torch.from_numpy(np.load(os.path.join(directory, name + ".npy")))) for name in names]


def layer_esd(weight, conv_norm=0.5, xmin_pos=2):
    """One layer as the reference computes it (median xmin rule)."""
    matrix = weight.clone()
    if matrix.dim() == 4:
        matrix = torch.flatten(matrix, start_dim=2) * math.sqrt(conv_norm)  # [out, in, kh*kw]
        matrix = matrix.permute(2, 0, 1)                                   # [kh*kw, out, in]
    eigs = torch.square(torch.linalg.svdvals(matrix).flatten())
    eigs, _ = torch.sort(eigs)
    spectral_norm = eigs[-1].item()
    norm = torch.sum(eigs).item()
    n_all = len(eigs)
    i = int(n_all / xmin_pos)
    xmin = eigs[i]
    n = float(n_all - i)
    logs = torch.log(eigs)
    alpha = 1 + n / (torch.sum(logs[i:]) - n * logs[i])
    seq = torch.arange(n)
    d = torch.max(torch.abs(1 - (eigs[i:] / xmin) ** (-alpha + 1) - seq / n))
    return {"alpha": alpha.item(), "D": d.item(), "spectral_norm": spectral_norm, "norm": norm, "eigs_num": n_all}


def time_pass(directory, repeat, threads, out):
    torch.set_num_threads(threads)
    layers = load(directory)
    [layer_esd(w) for _, w in layers]  # untimed warm-up, as in `tempbalance bench esd`
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        results = [layer_esd(w) for _, w in layers]
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    # Float64 SVD on the same weights: the accuracy yardstick.
    exact = [layer_esd(w.double()) for _, w in layers]
    worst = max(abs(r["alpha"] - e["alpha"]) / e["alpha"] for r, e in zip(results, exact))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(layers)} layers, {repeat} runs")
    print(f"reference ESD pass: best {min(times):.3f} s, median {statistics.median(times):.3f} s, all " +
          ", ".join(f"{t:.3f}" for t in times))
    print(f"reference ESD pass CPU time (all threads): best {min(cpu):.3f} s, median {statistics.median(cpu):.3f} s")
    print(f"reference float32 alpha vs float64 SVD alpha: max relative difference {worst:.2e}")
    if out:
        with open(out, "w") as f:
            json.dump({"layers": [{"name": n, **r, "alpha_float64": e["alpha"]} for (n, _), r, e in zip(layers, results, exact)],
                       "times_s": times}, f, indent=1)


def step_time(threads, steps, batch=128):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = ResNet18(classes=100)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.randint(0, 100, (batch,))
    times = []
    for k in range(steps + 1):
        start = time.perf_counter()
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if k > 0:  # the first step warms up allocators
            times.append(time.perf_counter() - start)
    step = statistics.median(times)
    print(f"ResNet18 CIFAR training step (batch {batch}, {threads} threads, torch {torch.__version__}): " +
          f"median {step:.2f} s over {steps} steps; one epoch = 391 steps = {391 * step / 60:.1f} min")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("export").add_argument("directory")
    t = sub.add_parser("time")
    t.add_argument("directory")
    t.add_argument("--repeat", type=int, default=7)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--out")
    s = sub.add_parser("step")
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    if args.command == "export":
        export(args.directory)
    elif args.command == "time":
        time_pass(args.directory, args.repeat, args.threads, args.out)
    else:
        step_time(args.threads, args.steps)


if __name__ == "__main__":
    sys.exit(main())
