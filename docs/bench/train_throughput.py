#!/usr/bin/python3
"""Training throughput (images/s) of a plain PyTorch loop, to compare with `tempbalance bench train`.

Same models (the small CNN for 28x28 grey images; the CIFAR ResNet18 of the TempBalance reference),
same batch, same data handling per step as the C# pipeline: a uint8 dataset held as one tensor, a random
permutation per epoch, index_select of the batch, float conversion, (random crop with padding 4 and
horizontal flip for colour images, batched), per-channel normalisation, forward, cross-entropy,
backward, SGD step with momentum 0.9 and weight decay 5e-4.

    /usr/bin/python3 docs/bench/train_throughput.py --model smallcnn --threads 2
    /usr/bin/python3 docs/bench/train_throughput.py --model resnet18 --threads 2 --steps 5
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from bench_models import ResNet18, SmallCnn


def crop_and_flip(images, generator, pad=4):
    n, c, h, w = images.shape
    offsets = torch.randint(0, 2 * pad + 1, (2, n), generator=generator)
    flips = torch.randint(0, 2, (n,), generator=generator).bool()
    padded = F.pad(images, (pad, pad, pad, pad))
    rows = (offsets[0].unsqueeze(1) + torch.arange(h)).view(n, 1, h, 1).expand(n, c, h, w + 2 * pad)
    cropped = padded.gather(2, rows)
    cols = (offsets[1].unsqueeze(1) + torch.arange(w)).view(n, 1, 1, w).expand(n, c, h, w)
    cropped = cropped.gather(3, cols)
    return torch.where(flips.view(n, 1, 1, 1), cropped.flip(3), cropped)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["smallcnn", "resnet18"], default="smallcnn")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    if args.model == "smallcnn":
        model, shape, classes, augment = SmallCnn(), (1, 28, 28), 10, False
        mean, std = torch.tensor([0.2860]), torch.tensor([0.3530])
    else:
        model, shape, classes, augment = ResNet18(), (3, 32, 32), 100, True
        mean, std = torch.tensor([0.5071, 0.4867, 0.4408]), torch.tensor([0.2675, 0.2565, 0.2761])
    mean, std = mean.view(1, -1, 1, 1), std.view(1, -1, 1, 1)
    count = args.batch_size * 64
    images = torch.randint(0, 256, (count, *shape), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, classes, (count,), generator=generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    model.train()

    order = torch.randperm(count, generator=generator)
    position = 0

    def step():
        nonlocal order, position
        if position + args.batch_size > count:
            order, position = torch.randperm(count, generator=generator), 0
        index = order[position:position + args.batch_size]
        position += args.batch_size
        x = images.index_select(0, index).float().div_(255)
        if augment:
            x = crop_and_flip(x, generator)
        x = x.sub_(mean).div_(std)
        y = labels.index_select(0, index)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    rates = []
    for _ in range(args.repeats):
        for _ in range(args.warmup):
            step()
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        rates.append(args.steps * args.batch_size / (time.perf_counter() - start))
        print(f"repeat: {rates[-1]:.1f} images/s", flush=True)
    print(f"python torch {torch.__version__} {args.model} batch {args.batch_size} threads {args.threads}: "
          f"best {max(rates):.1f} images/s, median {statistics.median(rates):.1f} images/s")


if __name__ == "__main__":
    main()
