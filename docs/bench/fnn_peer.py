#!/usr/bin/python3
"""One epoch of the edge-of-chaos paper's network in a plain PyTorch loop, to compare with the epoch_seconds
that `tempbalance train --model mlp-tanh` writes to epochs.csv (docs/benchmarks.md, "Edge-of-chaos FNN").

The same work as one CLI epoch: 784 -> 784 tanh without bias (weights N(0, (1/(2 sqrt 784))^2)) -> 10 with
bias (Glorot uniform), pixels in [0, 1]; a random permutation of the first --subset training images, SGD with
momentum, cross-entropy; then the test set (at most --subset images, as the CLI's --subset does) evaluated in
batches of 500. Prints one line: seconds of the epoch (training plus test evaluation) and training images/s.

    /usr/bin/python3 docs/bench/fnn_peer.py --subset 12000 --batch-size 32 --threads 1
"""
import argparse
import gzip
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(dims))
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape).copy())


class Fnn(torch.nn.Module):
    def __init__(self, width=784):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, width, bias=False)
        self.fc2 = torch.nn.Linear(width, 10)
        torch.nn.init.normal_(self.fc1.weight, 0.0, 1.0 / (2.0 * math.sqrt(784)))
        torch.nn.init.xavier_uniform_(self.fc2.weight)
        torch.nn.init.zeros_(self.fc2.bias)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default="/usr/share/datasets")
    parser.add_argument("--subset", type=int, default=12000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--momentum", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    root = os.path.join(args.data_root, "fashion-mnist")
    train_x = read_idx(os.path.join(root, "train-images-idx3-ubyte.gz"))[:args.subset].reshape(-1, 784)
    train_y = read_idx(os.path.join(root, "train-labels-idx1-ubyte.gz"))[:args.subset].long()
    test_x = read_idx(os.path.join(root, "t10k-images-idx3-ubyte.gz"))[:args.subset].reshape(-1, 784)
    test_y = read_idx(os.path.join(root, "t10k-labels-idx1-ubyte.gz"))[:args.subset].long()

    model = Fnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=0.0)

    start = time.perf_counter()
    model.train()
    order = torch.randperm(train_x.shape[0])
    for first in range(0, train_x.shape[0], args.batch_size):
        index = order[first:first + args.batch_size]
        images = train_x.index_select(0, index).float().div_(255.0)
        labels = train_y.index_select(0, index)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
    trained = time.perf_counter()

    model.eval()
    correct, total_loss = 0, 0.0
    with torch.no_grad():
        for first in range(0, test_x.shape[0], 500):
            images = test_x[first:first + 500].float().div_(255.0)
            labels = test_y[first:first + 500]
            logits = model(images)
            total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(1) == labels).sum().item()
    end = time.perf_counter()
    print(f"peer epoch_seconds {end - start:.3f} train_seconds {trained - start:.3f} "
          f"train_images_per_s {train_x.shape[0] / (trained - start):.0f} test_accuracy {correct / test_x.shape[0]:.4f}")


if __name__ == "__main__":
    main()
