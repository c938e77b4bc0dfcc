"""Writes the golden values that tests/TempBalance.Core.Tests/Optimizers/*Tests.cs compare against.

  /usr/bin/python3 tests/TempBalance.Core.Tests/Optimizers/make_optimizer_goldens.py

Run it with PyTorch 1.13 (Debian's python3-torch). It rewrites Goldens/*.json next to this file:

  setup.json        five parameters in two groups, their initial values, the per-step gradient noise R
                    and how each gradient is formed from R and the current parameter (see gradient())
  <case>.json       the parameters after 5 steps of one optimizer (full float64 precision)
  randn.json        torch.randn draws after torch.manual_seed, to compare with TorchSharp's generator
  sgdr.json         torch.optim.lr_scheduler.CosineAnnealingWarmRestarts learning rates per epoch

Every run is in float64, so that 1e-6 relative agreement tests the update rule and not float32 rounding.
Step 4 runs with a lower learning rate on group 1, as a layer-wise scheduler would set between steps.

SGD, Adam and AdamW are torch.optim. The other update rules are restated here for test purposes, in our
own words, from the code the TempBalance paper's experiments ran:
  LARS, LAMB   YefanZhou/TempBalance lars_optim/lars.py, lars_optim/lamb.py (main_tb.py builds LAMB over all
               parameters with one weight decay, so create_lamb_optimizer/utils.py play no part)
  SGDSNR       YefanZhou/TempBalance sgdsnr.py (u drawn in float32 from the global generator, then cast to the
               weight's dtype: the reference only ever ran float32, where that cast is a no-op)
  SGDP         clovaai/AdamP adamp/sgdp.py (the `adamp` package main_tb.py imports)
  Lookahead    the paper's update (Zhang et al. 2019) and jettify/pytorch-optimizer torch_optimizer/lookahead.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Goldens")
STEPS = 5
GROUP_LRS = [0.1, 0.05]
LR_CHANGE = {"before_step": 4, "group": 1, "lr": 0.02}
SNR_SEED = 1234

# name, shape, group, gradient kind, scale of the initial values, scale of the noise R.
# The bias noise is large so that LARS's [-10, 10] gradient clamp cuts some entries; the BatchNorm gradient is
# tiny so that LARS's trust ratio reaches its clamp at 50 when weight decay is 0.
PARAMS = [
    ("conv.weight", [3, 2, 3, 3], 0, "channel_orthogonal", 0.3, 1.0),
    ("bn.weight", [3], 0, "fixed", 0.1, 1e-3),
    ("fc.weight", [6, 4], 1, "layer_orthogonal", 0.5, 1.0),
    ("fc.bias", [4], 1, "quadratic", 0.1, 12.0),
    ("head.weight", [2, 6], 1, "quadratic", 0.4, 1.0),
]


def rounded(t, digits=4):
    # Short decimals keep setup.json small; both sides parse the same text into the same doubles.
    return torch.tensor([round(x, digits) for x in t.flatten().tolist()], dtype=torch.float64).reshape(t.shape)


def make_setup():
    g = torch.Generator().manual_seed(20240601)
    entries = []
    for name, shape, group, kind, init_scale, noise_scale in PARAMS:
        initial = torch.randn(shape, generator=g, dtype=torch.float64) * init_scale
        if name == "bn.weight":
            initial = initial + 1.0
        noise = [rounded(torch.randn(shape, generator=g, dtype=torch.float64) * noise_scale,
                         digits=7 if noise_scale < 0.01 else 4) for _ in range(STEPS)]
        entries.append(dict(name=name, shape=shape, group=group, gradient=kind,
                            initial=rounded(initial), noise=noise))
    return entries


def gradient(kind, p, r):
    """The test's loss gradients: 'quadratic' is R + 0.5 p; 'fixed' is R; the orthogonal kinds remove from R its
    component along p (the whole tensor, or each output channel), as a scale-invariant weight's gradient is."""
    if kind == "quadratic":
        return r + 0.5 * p
    if kind == "fixed":
        return r.clone()
    if kind == "layer_orthogonal":
        return r - (r * p).sum() / (p * p).sum() * p
    if kind == "channel_orthogonal":
        pv, rv = p.reshape(p.shape[0], -1), r.reshape(p.shape[0], -1)
        coef = (rv * pv).sum(dim=1, keepdim=True) / (pv * pv).sum(dim=1, keepdim=True)
        return (rv - coef * pv).reshape(p.shape)
    raise ValueError(kind)


def fresh_params(setup):
    return [e["initial"].clone().requires_grad_(True) for e in setup]


def groups_of(setup, params):
    return [dict(params=[p for e, p in zip(setup, params) if e["group"] == k], lr=GROUP_LRS[k])
            for k in range(len(GROUP_LRS))]


def run(setup, make_optimizer, before_step=None):
    """Five steps: set each gradient from the current parameters, call step(). make_optimizer gets the group
    list and returns (optimizer whose param_groups hold the rates, step function)."""
    params = fresh_params(setup)
    param_groups, step = make_optimizer(groups_of(setup, params))
    for t in range(1, STEPS + 1):
        if t == LR_CHANGE["before_step"]:
            param_groups[LR_CHANGE["group"]]["lr"] = LR_CHANGE["lr"]
        for e, p in zip(setup, params):
            p.grad = gradient(e["gradient"], p.detach(), e["noise"][t - 1])
        if before_step is not None:
            before_step(t, params)
        step()
    return {e["name"]: p.detach().flatten().tolist() for e, p in zip(setup, params)}


def torch_optim(cls, **hyper):
    def make(groups):
        opt = cls(groups, **hyper)
        return opt.param_groups, opt.step
    return make


# ---- LARS (lars_optim/lars.py) -------------------------------------------------------------------------
def lars(momentum, weight_decay, eeta=0.001, epsilon=1e-5):
    def make(groups):
        for g in groups:
            g.update(momentum=momentum, weight_decay=weight_decay, eeta=eeta, epsilon=epsilon)
        buffers = {}

        @torch.no_grad()
        def step():
            for g in groups:
                wd = g["weight_decay"]
                for p in g["params"]:
                    if p.grad is None:
                        continue
                    w_norm, g_norm = torch.norm(p), torch.norm(p.grad)
                    if w_norm > 0 and g_norm > 0:
                        ratio = g["eeta"] * w_norm / (g_norm + wd * w_norm + g["epsilon"])
                    else:
                        ratio = torch.ones_like(w_norm)
                    lr = g["lr"] * ratio.clamp(0.0, 50).item()
                    d = p.grad.add(p, alpha=wd) if wd != 0 else p.grad
                    d = torch.clamp(d, -10.0, 10.0)
                    if g["momentum"] != 0:
                        if p not in buffers:
                            buffers[p] = d.clone()
                        else:
                            buffers[p].mul_(g["momentum"]).add_(d)
                        d = buffers[p]
                    p.add_(d, alpha=-lr)
        return groups, step
    return make


# ---- LAMB (lars_optim/lamb.py) -------------------------------------------------------------------------
def lamb(weight_decay, betas=(0.9, 0.999), eps=1e-6, bias_correction=False):
    def make(groups):
        state = {}

        @torch.no_grad()
        def step():
            torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], max_norm=1.0, norm_type=2)
            beta1, beta2 = betas
            for g in groups:
                for p in g["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad
                    if p not in state:
                        state[p] = dict(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                    s = state[p]
                    s["step"] += 1
                    s["m"].mul_(beta1).add_(grad, alpha=1 - beta1)
                    s["v"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    lr = g["lr"]
                    if bias_correction:
                        # The reference divides the moment buffers themselves, so later steps see them scaled.
                        s["m"].div_(1 - beta1 ** s["step"])
                        s["v"].div_(1 - beta2 ** s["step"])
                    update = s["m"] / s["v"].sqrt().add(eps)
                    if weight_decay != 0:
                        update.add_(p, alpha=weight_decay)
                        w_norm, u_norm = torch.norm(p), torch.norm(update)
                        ratio = w_norm / u_norm if (w_norm > 0 and u_norm > 0) else torch.ones_like(w_norm)
                        lr *= ratio.item()
                    p.add_(update, alpha=-lr)
        return groups, step
    return make


# ---- SGDP (adamp/sgdp.py) ------------------------------------------------------------------------------
SGDP_LOG = []


def sgdp(momentum, weight_decay, dampening=0.0, nesterov=False, eps=1e-8, delta=0.1, wd_ratio=0.1):
    def make(groups):
        buffers = {}

        def project(p, grad, perturb):
            expand = [-1] + [1] * (p.dim() - 1)
            for view_name, view in (("channel", lambda x: x.view(x.size(0), -1)), ("layer", lambda x: x.view(1, -1))):
                cos = F.cosine_similarity(view(grad), view(p), dim=1, eps=eps).abs()
                threshold = delta / math.sqrt(view(p).size(1))
                SGDP_LOG.append((tuple(p.shape), view_name, cos.max().item(), threshold))
                if cos.max() < threshold:
                    unit = p / view(p).norm(dim=1).view(expand).add(eps)
                    perturb -= unit * view(unit * perturb).sum(dim=1).view(expand)
                    return perturb, wd_ratio
            return perturb, 1.0

        @torch.no_grad()
        def step():
            for g in groups:
                for p in g["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad
                    if p not in buffers:
                        buffers[p] = torch.zeros_like(p)
                    buf = buffers[p]
                    buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    d = grad + momentum * buf if nesterov else buf
                    ratio = 1.0
                    if p.dim() > 1:
                        # In place: without nesterov this projects the momentum buffer itself, as the package does.
                        d, ratio = project(p, grad, d)
                    if weight_decay > 0:
                        p.mul_(1 - g["lr"] * weight_decay * ratio / (1 - momentum))
                    p.add_(d, alpha=-g["lr"])
        return groups, step
    return make


# ---- SGDSNR (sgdsnr.py) --------------------------------------------------------------------------------
SNR_DRAWS = []


def spectral_term(w, iterations=5):
    mat = w.view(w.size(0), -1)
    u = torch.randn(1, mat.shape[0])
    SNR_DRAWS.append(u.flatten().tolist())
    u = u.to(mat.dtype)
    for _ in range(iterations):
        v = torch.mm(u, mat)
        v = v / torch.norm(v)
        u = torch.mm(v, mat.T)
        u = u / torch.norm(u)
    sigma = torch.sum(torch.mm(torch.mm(u, mat), v.T))
    return (torch.ones(1, mat.shape[0], dtype=mat.dtype) * sigma).T * torch.mm(u.T, v)


def sgdsnr(momentum, weight_decay, sg):
    def make(groups):
        buffers = {}

        @torch.no_grad()
        def step():
            for g in groups:
                for p in g["params"]:
                    if p.grad is None:
                        continue
                    d = p.grad
                    if weight_decay != 0:
                        d = d.add(p, alpha=weight_decay)
                    if sg != 0 and p.dim() > 1:
                        d = d.add(torch.reshape(spectral_term(p), p.shape), alpha=sg)
                    if momentum != 0:
                        if p not in buffers:
                            buffers[p] = d.clone()
                        else:
                            buffers[p].mul_(momentum).add_(d)
                        d = buffers[p]
                    p.add_(d, alpha=-g["lr"])
        return groups, step
    return make


# ---- Lookahead -----------------------------------------------------------------------------------------
def lookahead_paper(inner_make, k, alpha):
    """phi starts as the parameters; after every k-th inner step phi += alpha (theta - phi), theta = phi."""
    def make(groups):
        param_groups, inner_step = inner_make(groups)
        params = [p for g in param_groups for p in g["params"]]
        slow = [p.detach().clone() for p in params]
        count = [0]

        @torch.no_grad()
        def step():
            inner_step()
            count[0] += 1
            if count[0] == k:
                count[0] = 0
                for p, phi in zip(params, slow):
                    phi.add_(p - phi, alpha=alpha)
                    p.copy_(phi)
        return param_groups, step
    return make


def lookahead_torch_optimizer(inner_make, k, alpha):
    """torch_optimizer.Lookahead: syncs when its counter is 0 (steps 1, k+1, ...); slow weights are taken from
    the parameters at the first sync, after the first inner step."""
    def make(groups):
        param_groups, inner_step = inner_make(groups)
        slow = {}
        counter = [0]

        @torch.no_grad()
        def step():
            inner_step()
            if counter[0] == 0:
                for g in param_groups:
                    for fast in g["params"]:
                        if fast not in slow:
                            slow[fast] = fast.detach().clone()
                        fast.mul_(alpha).add_(slow[fast], alpha=1.0 - alpha)
                        slow[fast].copy_(fast)
            counter[0] = (counter[0] + 1) % k
        return param_groups, step
    return make


def sgd_inner(groups):
    opt = torch.optim.SGD(groups, momentum=0.9, weight_decay=0.01)
    return opt.param_groups, opt.step


CASES = {
    "sgd": (dict(momentum=0.9, weight_decay=0.01), torch_optim(torch.optim.SGD, momentum=0.9, weight_decay=0.01)),
    "adam": (dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01),
             torch_optim(torch.optim.Adam, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
    "adamw": (dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01),
              torch_optim(torch.optim.AdamW, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
    "sgdp": (dict(momentum=0.9, weight_decay=0.01), sgdp(momentum=0.9, weight_decay=0.01)),
    "sgdp_nesterov": (dict(momentum=0.9, weight_decay=0.01, nesterov=True),
                      sgdp(momentum=0.9, weight_decay=0.01, nesterov=True)),
    "lars": (dict(momentum=0.9, weight_decay=0.01), lars(momentum=0.9, weight_decay=0.01)),
    "lars_trust_clamp": (dict(momentum=0.0, weight_decay=0.0, eeta=1.0),
                         lars(momentum=0.0, weight_decay=0.0, eeta=1.0)),
    "lamb": (dict(weight_decay=0.01), lamb(weight_decay=0.01)),
    "lamb_bias_correction": (dict(weight_decay=0.0, bias_correction=True),
                             lamb(weight_decay=0.0, bias_correction=True)),
    "sgd_snr": (dict(momentum=0.9, weight_decay=0.01, sg=0.1, seed=SNR_SEED),
                sgdsnr(momentum=0.9, weight_decay=0.01, sg=0.1)),
    "lookahead_paper": (dict(inner="sgd", momentum=0.9, weight_decay=0.01, k=2, alpha=0.8),
                        lookahead_paper(sgd_inner, k=2, alpha=0.8)),
    "lookahead_torch_optimizer": (dict(inner="sgd", momentum=0.9, weight_decay=0.01, k=2, alpha=0.8),
                                  lookahead_torch_optimizer(sgd_inner, k=2, alpha=0.8)),
}


def write(name, obj):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def sgdr_rates():
    settings = []
    for t0, t_mult in [(10, 1), (10, 2), (5, 2), (3, 3)]:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
        sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=t0, T_mult=t_mult, eta_min=0)
        rates = []
        for _ in range(30):
            rates.append(opt.param_groups[0]["lr"])  # the rate epoch e trains with
            opt.step()
            sched.step()
        settings.append(dict(t0=t0, t_mult=t_mult, rates=rates))
    return dict(base_lr=0.1, eta_min=0.0, epochs=30,
                note="rates[e] is the rate of epoch e (0-based); scheduler.step() once after each epoch",
                settings=settings)


def randn_draws():
    torch.manual_seed(SNR_SEED)
    sizes = [3, 6, 2, 16, 40]
    return dict(seed=SNR_SEED, sizes=sizes, dtype="float32",
                draws=[torch.randn(1, m).flatten().tolist() for m in sizes])


def main():
    assert torch.__version__.startswith("1.13"), torch.__version__
    torch.set_default_dtype(torch.float32)
    os.makedirs(OUT, exist_ok=True)
    setup = make_setup()
    write("setup", dict(
        steps=STEPS, dtype="float64", group_lrs=GROUP_LRS, lr_change=LR_CHANGE,
        gradient_kinds=gradient.__doc__,
        params=[dict(name=e["name"], shape=e["shape"], group=e["group"], gradient=e["gradient"],
                     initial=e["initial"].flatten().tolist(),
                     noise=[n.flatten().tolist() for n in e["noise"]]) for e in setup]))
    for name, (hyper, make) in CASES.items():
        SNR_DRAWS.clear()
        SGDP_LOG.clear()
        if name == "sgd_snr":
            torch.manual_seed(SNR_SEED)
        final = run(setup, make)
        case = dict(case=name, torch=torch.__version__, hyper=hyper, final=final)
        if name == "sgd_snr":
            case["u_draws"] = list(SNR_DRAWS)
        write(name, case)
        for shape, view, cos, threshold in SGDP_LOG:
            print(f"{name}: {shape} {view} max|cos| {cos:.3g} threshold {threshold:.3g}"
                  f" -> {'project' if cos < threshold else 'no'}")
    write("randn", randn_draws())
    write("sgdr", sgdr_rates())
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)), "bytes")


if __name__ == "__main__":
    main()
