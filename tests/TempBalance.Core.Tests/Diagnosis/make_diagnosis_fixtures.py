"""Writes the model-diagnosis test fixtures and their golden values (committed under fixtures/).

    /usr/bin/python3 tests/TempBalance.Core.Tests/Diagnosis/make_diagnosis_fixtures.py

Needs PyTorch (torch.save), numpy and scipy. The same small weights are saved as .npy files, as a torch.save
state dict (.pt) and as safetensors (written by hand: 8-byte little-endian header length, JSON header,
raw data); a float16/bfloat16 copy; bad inputs (a truncated .pt, a pickle that calls os.system or
builtins.eval, a wrong safetensors header length, a truncated safetensors file, an unknown dtype, a
sharded folder and one with a missing shard). goldens.json holds every metric computed here with numpy
from WeightWatcher's definitions (weightwatcher.py and RMT_Util.py) restated, not imported.
"""
import collections
import json
import math
import os
import shutil
import struct

import numpy as np
import torch
from scipy import optimize

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
CONV_NORM = 0.5
MARKER = "/tmp/tempbalance-diagnosis-pickle-marker"


def model_weights():
    rng = np.random.default_rng(20250611)
    w = collections.OrderedDict()
    # A random matrix with three strong rank-one directions: a bulk plus spikes.
    fc1 = rng.standard_normal((48, 80)) / math.sqrt(80)
    for strength in (6.0, 4.0, 3.0):
        u, v = rng.standard_normal(48), rng.standard_normal(80)
        fc1 += strength * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
    w["fc1.weight"] = fc1
    w["fc1.bias"] = rng.standard_normal(48) * 0.1
    # Square (Q = 1: WeightWatcher's quarter-circle branch), heavy-tailed entries.
    w["fc2.weight"] = rng.standard_t(3, (32, 32)) / 8
    w["conv.weight"] = rng.standard_normal((8, 6, 3, 3)) / 5
    # A fused q/k/v projection in GPT-2's Conv1D layout [in, 3 * in].
    w["attn.c_attn.weight"] = rng.standard_normal((16, 48)) / 4
    w["embed_tokens.weight"] = rng.standard_normal((20, 8))
    w["tiny.weight"] = rng.standard_normal((3, 4))
    return collections.OrderedDict((k, v.astype(np.float32)) for k, v in w.items())


# ---------- writers ----------

def write_safetensors(path, tensors, dtypes=None, header_override=None):
    """tensors: name -> numpy array (float32) or torch tensor; dtypes: name -> safetensors dtype to store."""
    dtypes = dtypes or {}
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, value in tensors.items():
        dtype = dtypes.get(name, "F32" if not isinstance(value, torch.Tensor) else None)
        t = torch.from_numpy(np.ascontiguousarray(value)) if not isinstance(value, torch.Tensor) else value
        if dtype == "F16":
            t = t.to(torch.float16)
        elif dtype == "BF16":
            t = t.to(torch.bfloat16)
        elif dtype == "I64":
            t = t.to(torch.int64)
        elif dtype == "F32":
            t = t.to(torch.float32)
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.dim() > 0 else t.reshape(1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if header_override:
        header_override(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


class SystemCall:
    """Pickles as a call of os.system (recorded as posix.system); saving it runs nothing."""

    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


class EvalCall:
    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {MARKER}')",))


def torch_state_dict(weights, half=False):
    sd = collections.OrderedDict()
    for name, value in weights.items():
        t = torch.from_numpy(value.copy())
        if half and name == "fc1.weight":
            t = t.half()
        elif half and name == "fc2.weight":
            t = t.bfloat16()
        sd[name] = t
    return sd


# ---------- metrics restated from WeightWatcher ----------

def layer_matrices(w):
    """Per-position matrices of a conv kernel (scaled by sqrt(conv_norm)), or the matrix itself."""
    if w.ndim == 4:
        return [w[:, :, i, j].astype(np.float64) * math.sqrt(CONV_NORM) for i in range(w.shape[2]) for j in range(w.shape[3])]
    return [w.astype(np.float64)]


def eigenvalues(mats):
    return np.sort(np.concatenate([np.linalg.svd(m, compute_uv=False) ** 2 for m in mats]))


def hill(evals, i):
    n = len(evals) - i
    logs = np.log(evals)
    alpha = 1 + n / (np.sum(logs[i:]) - n * logs[i])
    d = np.max(np.abs(1 - (evals[i:] / evals[i]) ** (1 - alpha) - np.arange(n) / n))
    return alpha, d, evals[i]


def fit_median(evals):
    return hill(evals, len(evals) // 2)


def fit_ks(evals):
    """WeightWatcher's default WWFit: eigenvalues > 1e-5, every xmin but the last, the first smallest D."""
    data = evals[evals > 1e-5]
    best = None
    for i in range(len(data) - 1):
        alpha, d, xmin = hill(data, i)
        if best is None or d < best[1]:
            best = (alpha, d, xmin)
    return best


def fit_peak(evals):
    """The peak rule as PowerLawFitter implements it: 100 log10 bins, xmin candidates up to 1.5 x the peak."""
    positive = evals[evals > 0]
    lo, hi = math.log10(positive[0]), math.log10(positive[-1])
    width = (hi - lo) / 100
    counts = np.zeros(100, dtype=int)
    for x in positive:
        counts[min(max(int((math.log10(x) - lo) / width), 0), 99)] += 1
    peak = 10 ** (lo + int(np.argmax(counts)) * width)
    first = int(np.argmax(evals > 0))
    best = None
    for i in range(first, len(evals) - 1):
        if evals[i] > 1.5 * peak:
            break
        alpha, d, xmin = hill(evals, i)
        if best is None or d < best[1]:
            best = (alpha, d, xmin)
    return best


def matrix_entropy_and_rank(evals, n_long):
    svals = np.sqrt(evals)
    rank = int(np.count_nonzero(svals > np.max(svals) * n_long * np.finfo(np.float64).eps))
    p = evals / np.sum(evals) + 1e-10
    return float(-np.sum(p * np.log(p)) / np.log(rank + 1e-10)), rank


def kde_linear(values, x, h=0.1):
    d = np.abs(x[:, None] - values[None, :])
    return np.sum(np.where(d < h, 1 - d / h, 0.0), axis=1) / (len(values) * h)


def mp_residual(sigma, to_fit, q, xde, yde):
    sigma = np.asarray(sigma).reshape(-1)[0]
    if q == 1:
        with np.errstate(all="ignore"):
            ymp = np.nan_to_num((1 / (np.pi * sigma * sigma)) * np.sqrt(4 - xde ** 2))
        return np.sum((ymp - yde) ** 2)
    y = 1 / q
    b = (sigma * (1 + np.sqrt(1 / q))) ** 2
    a = (sigma * (1 - np.sqrt(1 / q))) ** 2
    peak_x = xde[np.where(yde == max(yde))][0]
    if b < peak_x or b > max(xde) or a > peak_x:
        return len(yde) * 1000.0 ** 2
    with np.errstate(all="ignore"):
        ymp = np.nan_to_num((1 / (2 * np.pi * sigma * sigma * xde * y)) * np.sqrt((b - xde) * (xde - a)))
    return np.sum((ymp - yde) ** 2)


def mp_fit(evals, n_long, m_short):
    """weightwatcher.mp_fit with rescale: KDE of the ESD rescaled to mean 1, brute-force sigma, fmin polish."""
    q = n_long / m_short
    wscale = np.sqrt(len(evals)) / np.sqrt(np.sum(evals))
    x = (wscale * wscale) * evals
    lambda_max = np.max(x)
    to_fit = np.sqrt(x) if q == 1 else x
    xde = np.linspace(0, np.max(to_fit) + 0.5, 1000)
    with np.errstate(divide="ignore"):
        yde = np.exp(np.log(kde_linear(to_fit, xde)))
    keep = yde > 0.01
    xde, yde = xde[keep], yde[keep]
    s0 = np.sqrt(lambda_max / np.square(1 + 1 / np.sqrt(q)))
    sigma = optimize.brute(mp_residual, (slice(0.05 * s0, 2.0 * s0, 0.01 * s0),), args=(to_fit, q, xde, yde), full_output=True)[0][0]
    bulk_max = (sigma * (1 + 1 / np.sqrt(q))) ** 2
    tw = 1 / np.sqrt(q) * np.power(bulk_max, 2 / 3) * np.power(m_short, -2 / 3)
    spikes = int(np.sum(x > bulk_max + np.sqrt(tw)))
    return {"sigma_mp": float(sigma), "bulk_max": float(bulk_max / (wscale * wscale)), "num_spikes": spikes,
            "mp_softrank": float(bulk_max / lambda_max)}


def farms_starts(length, width, per_side=10):
    slack = length - width
    step = max(1, slack // (per_side - 1))
    return [min(i * step, slack) for i in range(min(per_side, slack // step + 1))]


def farms_eigenvalues(mats):
    """FarmsSampler's windows: short side as rows, m = min(100, short, floor(long / 2)), n = 2 m."""
    pooled = []
    for mat in mats:
        if mat.shape[0] > mat.shape[1]:
            mat = mat.T
        short, long = mat.shape
        m = min(100, short, int(math.floor(long / 2.0)))
        n = int(math.floor(2.0 * m))
        for r in farms_starts(short, m):
            for c in farms_starts(long, n):
                pooled.append(np.linalg.svd(mat[r:r + m, c:c + n], compute_uv=False) ** 2)
    return np.sort(np.concatenate(pooled))


def goldens(w):
    mats = layer_matrices(w)
    rows, cols = mats[0].shape
    evals = eigenvalues(mats)
    g = {"rows": int(rows), "cols": int(cols), "eigs_num": int(len(evals))}
    # Order parameters of the edge-of-chaos method: fan-in is the second dimension times the kernel size.
    fan_in = int(np.prod(w.shape[1:]))
    g["j"] = float(np.std(w.astype(np.float64)) * math.sqrt(fan_in))
    g["j0"] = float(np.mean(w.astype(np.float64)) * fan_in)
    for rule, fit in (("median", fit_median), ("ks", fit_ks), ("peak", fit_peak)):
        alpha, d, xmin = fit(evals)
        g[f"alpha_{rule}"], g[f"D_{rule}"], g[f"xmin_{rule}"] = float(alpha), float(d), float(xmin)
    alpha = g["alpha_median"]
    lmax = float(np.max(evals))
    g["log_spectral_norm"] = math.log10(lmax)
    g["log_norm"] = math.log10(float(np.sum(evals)))
    g["alpha_weighted"] = alpha * math.log10(lmax)
    g["log_alpha_norm"] = math.log10(float(np.sum(evals ** alpha)))
    g["stable_rank"] = float(np.sum(evals) / lmax)
    g["matrix_entropy"], g["matrix_rank"] = matrix_entropy_and_rank(evals, max(rows, cols))
    g.update(mp_fit(evals, max(rows, cols), min(rows, cols)))
    farms = farms_eigenvalues(mats)
    g["farms_eigs_num"] = int(len(farms))
    g["farms_alpha_median"] = float(fit_median(farms)[0])
    return g


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(os.path.join(OUT, "npy"))
    weights = model_weights()
    layers = ["fc1.weight", "fc2.weight", "conv.weight", "attn.c_attn.weight", "tiny.weight"]

    for name in layers:
        np.save(os.path.join(OUT, "npy", name + ".npy"), weights[name])

    sd = torch_state_dict(weights)
    sd["bn.num_batches_tracked"] = torch.tensor(7)
    torch.save(sd, os.path.join(OUT, "model.pt"))
    st = collections.OrderedDict(weights)
    st["bn.num_batches_tracked"] = torch.tensor([7])
    write_safetensors(os.path.join(OUT, "model.safetensors"), st, {"bn.num_batches_tracked": "I64"})

    torch.save(torch_state_dict(weights, half=True), os.path.join(OUT, "half.pt"))
    write_safetensors(os.path.join(OUT, "half.safetensors"), weights, {"fc1.weight": "F16", "fc2.weight": "BF16"})

    # Bad inputs.
    with open(os.path.join(OUT, "model.pt"), "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "truncated.pt"), "wb") as f:
        f.write(data[: len(data) * 6 // 10])
    for kind, payload in (("system", SystemCall()), ("eval", EvalCall())):
        bad = collections.OrderedDict([("tiny.weight", torch.from_numpy(weights["tiny.weight"].copy())), ("payload", payload)])
        torch.save(bad, os.path.join(OUT, f"malicious_{kind}.pt"))
    small = os.path.join(OUT, "small.safetensors")
    write_safetensors(small, collections.OrderedDict((k, weights[k]) for k in ("fc2.weight", "tiny.weight")))
    with open(small, "rb") as f:
        good = f.read()
    os.remove(small)
    with open(os.path.join(OUT, "bad_header_length.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(good) * 4) + good[8:])
    with open(os.path.join(OUT, "truncated.safetensors"), "wb") as f:
        f.write(good[: len(good) - 100])

    def unknown_dtype(header):
        header["fc2.weight"]["dtype"] = "F7"
    write_safetensors(os.path.join(OUT, "unknown_dtype.safetensors"),
                      collections.OrderedDict((k, weights[k]) for k in ("tiny.weight", "fc2.weight")), header_override=unknown_dtype)

    # A sharded Hugging Face folder, and the same without its second shard.
    shards = {"model-00001-of-00002.safetensors": ["fc1.weight", "fc1.bias", "fc2.weight"],
              "model-00002-of-00002.safetensors": ["conv.weight", "attn.c_attn.weight", "embed_tokens.weight", "tiny.weight"]}
    index = {"metadata": {"total_size": 0}, "weight_map": {n: f for f, names in shards.items() for n in names}}
    for folder, files in (("sharded", list(shards)), ("sharded_missing", list(shards)[:1])):
        os.makedirs(os.path.join(OUT, folder))
        with open(os.path.join(OUT, folder, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f, indent=1)
        for file in files:
            write_safetensors(os.path.join(OUT, folder, file), collections.OrderedDict((n, weights[n]) for n in shards[file]))

    result = {"conv_norm": CONV_NORM, "layers": {}, "half": {}}
    for name in layers:
        result["layers"][name] = goldens(weights[name])
    fused = weights["attn.c_attn.weight"]
    for part in range(3):
        result["layers"][f"attn.c_attn.weight[{part}]"] = goldens(fused[:, 16 * part:16 * (part + 1)])
    result["half"]["fc1.weight"] = goldens(torch.from_numpy(weights["fc1.weight"]).half().float().numpy())
    result["half"]["fc2.weight"] = goldens(torch.from_numpy(weights["fc2.weight"]).bfloat16().float().numpy())
    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
