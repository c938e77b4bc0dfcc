#!/usr/bin/python3
"""The plain-PyTorch peer of `tempbalance bench optimizers`: one training step (forward, loss, the loss and
accuracy read back, zero_grad, backward, optimizer step) of the same model on a fixed random batch, timed per step.

`tempbalance bench optimizers` starts this script with --serve and sends it one JSON line per block of steps, so
that its own blocks and these alternate in one run. Each line names a variant (the optimizer and its
hyperparameters, exactly as the C# side built its own) and how many steps to time; the answer is one JSON line
with the wall and process CPU time (time.process_time: all threads) of every timed step and of its optimizer part in
milliseconds, or of runs of the optimizer step alone. A variant's model and
optimizer are built on its first block and kept, so later blocks continue training as the C# side does.

To time one variant by hand:

    /usr/bin/python3 docs/bench/optimizer_peer.py --threads 2 --steps 10 \
        --variant '{"name": "lars", "optimizer": "lars", "lr": 28, "momentum": 0, "weight_decay": 5e-4}'

SGD, Adam and AdamW are torch.optim's (torch 1.13 runs them one parameter at a time on the CPU, foreach off).
The other update rules are transcribed here, in our own words, from the code the TempBalance paper ran, each as a
torch.optim.Optimizer subclass like the original, so that the per-parameter Python work is the original's:
  LARS, LAMB    YefanZhou/TempBalance lars_optim/lars.py and lamb.py
  SGDP          clovaai/AdamP adamp/sgdp.py (the `adamp` package main_tb.py imports)
  SNR           YefanZhou/TempBalance sgdsnr.py (SGDSNR: SGD with the spectral term added in its step)
  Lookahead     jettify/pytorch-optimizer torch_optimizer/lookahead.py (syncs after steps 1, k + 1, ...)
                or the paper's Algorithm 1 (syncs after steps k, 2k, ...)
  LAWN          no reference code exists; this is our LawnConstraint (src/TempBalance.Core/Optimizers) restated:
                gradients of the constrained layers lose their radial part, SGD steps, the layers go back on
                their norms (in float64 per layer)
The golden tests (tests/TempBalance.Core.Tests/Optimizers/make_optimizer_goldens.py) check that the C# rules
match these.
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

from bench_models import ResNet18


class Lars(torch.optim.Optimizer):
    """lars_optim/lars.py: a per-parameter trust ratio eeta |w| / (|g| + wd |w| + eps), clamped to [0, 50] and read
    back to the host; the decayed gradient clamped to [-10, 10]; momentum without dampening."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, eeta=0.001, epsilon=1e-5):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eeta=eeta, epsilon=epsilon))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            wd, momentum, lr = group["weight_decay"], group["momentum"], group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                w_norm, g_norm = torch.norm(p), torch.norm(p.grad)
                ratio = torch.where(w_norm > 0 and g_norm > 0,
                                    group["eeta"] * w_norm / (g_norm + wd * w_norm + group["epsilon"]),
                                    torch.ones_like(w_norm))
                ratio.clamp_(0.0, 50)
                scaled_lr = lr * ratio.item()
                d = p.grad.add(p, alpha=wd) if wd != 0 else p.grad
                d = torch.clamp(d, -10.0, 10.0)
                if momentum != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.clone(d).detach()
                    else:
                        state["momentum_buffer"].mul_(momentum).add_(d)
                    d = state["momentum_buffer"]
                p.add_(d, alpha=-scaled_lr)


class Lamb(torch.optim.Optimizer):
    """lars_optim/lamb.py: global gradient clipping to norm 1, Adam moments without bias correction, and where the
    weight decay is non-zero a trust ratio |w| / |update| read back to the host."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        torch.nn.utils.clip_grad_norm_([p for g in self.param_groups for p in g["params"]], max_norm=1.0, norm_type=2)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                state["step"] += 1
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                scaled_lr = group["lr"]
                update = m / v.sqrt().add(group["eps"])
                if group["weight_decay"] != 0:
                    update.add_(p, alpha=group["weight_decay"])
                    w_norm, u_norm = torch.norm(p), torch.norm(update)
                    ratio = torch.where(w_norm > 0 and u_norm > 0, w_norm / u_norm, torch.ones_like(w_norm))
                    scaled_lr *= ratio.item()
                p.add_(update, alpha=-scaled_lr)


class Sgdp(torch.optim.Optimizer):
    """adamp/sgdp.py: SGD momentum; for weights with two or more dimensions, if the gradient is nearly orthogonal to
    the weight per output channel (else per layer), the radial part of the update goes and the decay shrinks."""

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, eps=1e-8, delta=0.1, wd_ratio=0.1):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      eps=eps, delta=delta, wd_ratio=wd_ratio))

    @staticmethod
    def _project(p, grad, d, delta, wd_ratio, eps):
        expand = [-1] + [1] * (p.dim() - 1)
        for rows in (p.size(0), 1):
            cos = F.cosine_similarity(grad.view(rows, -1), p.view(rows, -1), dim=1, eps=eps).abs_()
            if cos.max() < delta / math.sqrt(p.view(rows, -1).size(1)):
                unit = p / p.view(rows, -1).norm(dim=1).view(expand).add_(eps)
                d -= unit * (unit * d).view(rows, -1).sum(dim=1).view(expand)
                return d, wd_ratio
        return d, 1.0

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            momentum, lr = group["momentum"], group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if len(state) == 0:
                    state["momentum"] = torch.zeros_like(p)
                buf = state["momentum"]
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
                d, ratio = buf, 1.0
                if p.dim() > 1:
                    d, ratio = self._project(p, grad, d, group["delta"], group["wd_ratio"], group["eps"])
                if group["weight_decay"] > 0:
                    p.mul_(1 - lr * group["weight_decay"] * ratio / (1 - momentum))
                p.add_(d, alpha=-lr)


def spectral_term(weight, iterations):
    """sgdsnr.py's compute_weight: sigma u1 v1^T of the weight viewed as (rows, -1), from power iterations started
    at a fresh normal draw."""
    mat = weight.view(weight.size(0), -1)
    u = torch.randn(1, mat.shape[0]).to(weight.device)
    for _ in range(iterations):
        v = torch.mm(u, mat)
        v = v / torch.norm(v)
        u = torch.mm(v, mat.T)
        u = u / torch.norm(u)
    sigma = torch.sum(torch.mm(torch.mm(u, mat), v.T))
    return torch.mul(torch.mul(torch.ones(1, mat.shape[0]).to(weight.device), sigma).T, torch.mm(u.T, v))


class SgdSnr(torch.optim.Optimizer):
    """sgdsnr.py: SGD (momentum buffer starting as the first step's direction) whose direction for every weight with
    two or more dimensions also has sg sigma u1 v1^T."""

    def __init__(self, params, lr, momentum, weight_decay, sg, iterations):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, sg=sg))
        self.iterations = iterations

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            wd, momentum, sg = group["weight_decay"], group["momentum"], group["sg"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if wd != 0:
                    d = d.add(p, alpha=wd)
                if sg != 0 and p.dim() > 1:
                    d = d.add(torch.reshape(spectral_term(p.to(p.device), self.iterations), p.shape), alpha=sg)
                if momentum != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.clone(d).detach()
                    else:
                        state["momentum_buffer"].mul_(momentum).add_(d)
                    d = state["momentum_buffer"]
                p.add_(d, alpha=-group["lr"])


class Lookahead:
    """torch_optimizer.Lookahead (sync when the counter is 0, slow weights cloned at the first sync, fast = alpha
    fast + (1 - alpha) slow) or the paper's (slow weights from the start, a sync after every k-th step)."""

    def __init__(self, inner, k, alpha, sync):
        self.inner, self.k, self.alpha, self.sync = inner, k, alpha, sync
        self.state = {}
        self.counter = 0
        if sync == "paper":
            for group in inner.param_groups:
                for p in group["params"]:
                    self.state[p] = p.detach().clone()

    def zero_grad(self):
        self.inner.zero_grad()

    @torch.no_grad()
    def step(self):
        self.inner.step()
        if self.sync == "paper":
            self.counter += 1
            if self.counter < self.k:
                return
            self.counter = 0
            for group in self.inner.param_groups:
                for p in group["params"]:
                    slow = self.state[p]
                    slow.add_(p - slow, alpha=self.alpha)
                    p.copy_(slow)
            return
        if self.counter == 0:
            for group in self.inner.param_groups:
                for fast in group["params"]:
                    if fast not in self.state:
                        self.state[fast] = torch.clone(fast).detach()
                    slow = self.state[fast]
                    fast.mul_(self.alpha).add_(slow, alpha=1.0 - self.alpha)
                    slow.copy_(fast)
        self.counter = (self.counter + 1) % self.k


class Lawn:
    """Our LawnConstraint in its constrained phase around an optimizer: per layer (a module's weight and bias
    together), the gradient loses its component along the weights, the optimizer steps, and the layer is scaled
    back to the norm it had at the switch. Norms and coefficients in float64, as the C# code computes them."""

    def __init__(self, inner, layers):
        self.inner = inner
        self.layers = layers
        with torch.no_grad():
            self.targets = [self._norm(layer) for layer in layers]

    @staticmethod
    def _norm(layer):
        total = torch.zeros((), dtype=torch.float64)
        for p in layer:
            total = total + p.detach().double().square().sum()
        return total.sqrt()

    def zero_grad(self):
        self.inner.zero_grad()

    @torch.no_grad()
    def step(self):
        for layer in self.layers:
            along = torch.zeros((), dtype=torch.float64)
            squared = torch.zeros((), dtype=torch.float64)
            for p in layer:
                w = p.detach().double()
                squared = squared + w.square().sum()
                if p.grad is not None:
                    along = along + (p.grad.double() * w).sum()
            coefficient = along / squared
            for p in layer:
                if p.grad is not None:
                    p.grad.sub_(p.detach() * coefficient.to(p.grad.dtype))
        self.inner.step()
        for layer, target in zip(self.layers, self.targets):
            scale = target / self._norm(layer)
            for p in layer:
                p.mul_(scale.to(p.dtype))


def build_optimizer(variant, model):
    kind = variant["optimizer"]
    params = list(model.parameters())
    if variant.get("groups"):
        # The C# side's groups (TempBalance: one per tuned layer and its BatchNorm) as indices into parameters().
        params = [dict(params=[params[i] for i in g["indices"]], lr=g["lr"]) for g in variant["groups"]]
    lr, wd = variant["lr"], variant.get("weight_decay", 0.0)
    momentum = variant.get("momentum", 0.0)
    betas = (variant.get("beta1", 0.9), variant.get("beta2", 0.999))
    snr = variant.get("snr")
    if snr is not None:
        if kind != "sgd":
            raise ValueError("The reference's SNR is SGDSNR: only on SGD.")
        optimizer = SgdSnr(params, lr, momentum, wd, snr["coefficient"], snr["power_iterations"])
    elif kind == "sgd":
        optimizer = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)
    elif kind == "adam":
        optimizer = torch.optim.Adam(params, lr=lr, betas=betas, eps=variant.get("eps", 1e-8), weight_decay=wd)
    elif kind == "adamw":
        optimizer = torch.optim.AdamW(params, lr=lr, betas=betas, eps=variant.get("eps", 1e-8), weight_decay=wd)
    elif kind == "sgdp":
        optimizer = Sgdp(params, lr, momentum=momentum, weight_decay=wd, eps=variant.get("eps", 1e-8))
    elif kind == "lars":
        optimizer = Lars(params, lr, momentum=momentum, weight_decay=wd, eeta=variant.get("trust_coefficient", 0.001),
                         epsilon=variant.get("eps", 1e-5))
    elif kind == "lamb":
        optimizer = Lamb(params, lr, betas=betas, eps=variant.get("eps", 1e-6), weight_decay=wd)
    else:
        raise ValueError(f"unknown optimizer {kind}")
    if variant.get("lookahead") is not None:
        la = variant["lookahead"]
        optimizer = Lookahead(optimizer, la["k"], la["alpha"], la.get("sync", "torch_optimizer"))
    if variant.get("lawn"):
        modules = dict(model.named_modules())
        optimizer = Lawn(optimizer, [list(modules[name].parameters()) for name in variant.get("lawn_modules", ["linear"])])
    return optimizer


class Bench:
    """One variant's model, fixed batch and optimizer, kept between blocks."""

    def __init__(self, variant):
        shape = variant.get("model", {})
        self.channels = shape.get("channels", 1)
        self.size = shape.get("size", 28)
        self.classes = shape.get("classes", 10)
        self.batch = shape.get("batch", 128)
        torch.manual_seed(variant.get("seed", 0))
        self.model = ResNet18(channels=self.channels, classes=self.classes, width=shape.get("width", 16))
        shapes = [list(p.shape) for p in self.model.parameters()]
        if "shapes" in variant and shapes != variant["shapes"]:
            raise ValueError(f"the peer's model differs from ours: {len(shapes)} parameters against {len(variant['shapes'])}, "
                             f"first different shape at {next((i for i, (a, b) in enumerate(zip(shapes, variant['shapes'])) if a != b), None)}")
        self.model.train()
        self.x = torch.randn(self.batch, self.channels, self.size, self.size)
        self.y = torch.randint(0, self.classes, (self.batch,))
        self.optimizer = build_optimizer(variant, self.model)
        self.has_gradients = False

    def step(self):
        start, start_cpu = time.perf_counter(), time.process_time()
        logits = self.model(self.x)
        loss = F.cross_entropy(logits, self.y)
        stats = torch.stack([loss.detach(), logits.argmax(1).eq(self.y).sum().float()]).tolist()
        if not math.isfinite(stats[0]):
            raise FloatingPointError(f"loss {stats[0]}")
        self.optimizer.zero_grad()
        loss.backward()
        before_step, before_step_cpu = time.perf_counter(), time.process_time()
        self.optimizer.step()
        end, end_cpu = time.perf_counter(), time.process_time()
        return (1000 * (end - start), 1000 * (end_cpu - start_cpu),
                1000 * (end - before_step), 1000 * (end_cpu - before_step_cpu))

    def block(self, steps, warmup):
        for _ in range(warmup):
            self.step()
        times = [self.step() for _ in range(steps)]
        self.has_gradients = True
        return dict(step_ms=[t[0] for t in times], step_cpu_ms=[t[1] for t in times],
                    optimizer_ms=[t[2] for t in times], optimizer_cpu_ms=[t[3] for t in times])

    def optimizer_block(self, samples, warmup, run):
        """The optimizer step alone on the last training step's gradients (kept); each sample is the mean of `run`
        steps, so that a Lookahead sync every k steps (k dividing run) counts as often as it happens."""
        if not self.has_gradients:
            self.step()
            self.has_gradients = True
        for _ in range(warmup * run):
            self.optimizer.step()
        wall, cpu = [], []
        for _ in range(samples):
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(run):
                self.optimizer.step()
            wall.append(1000 * (time.perf_counter() - start) / run)
            cpu.append(1000 * (time.process_time() - start_cpu) / run)
        return dict(step_ms=wall, step_cpu_ms=cpu, optimizer_ms=wall, optimizer_cpu_ms=cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--serve", action="store_true", help="read blocks as JSON lines from stdin")
    parser.add_argument("--variant", help="one variant as JSON (without --serve)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if not args.serve:
        if args.variant is None:
            parser.error("give --variant JSON, or --serve")
        result = Bench(json.loads(args.variant)).block(args.steps, args.warmup)
        steps = sorted(result["step_ms"])
        print(json.dumps(result))
        print(f"median step {steps[len(steps) // 2]:.1f} ms", file=sys.stderr)
        return

    benches = {}
    print(json.dumps(dict(ready=True, torch=torch.__version__, threads=torch.get_num_threads())), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        variant = request["variant"]
        try:
            bench = benches.get(variant["name"])
            if bench is None:
                bench = benches[variant["name"]] = Bench(variant)
            if request.get("mode", "step") == "optimizer":
                answer = bench.optimizer_block(request["steps"], request.get("warmup", 0), request.get("optimizer_run", 10))
            else:
                answer = bench.block(request["steps"], request.get("warmup", 0))
        except Exception as e:  # the C# side prints it and stops
            answer = dict(error=f"{type(e).__name__}: {e}")
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
