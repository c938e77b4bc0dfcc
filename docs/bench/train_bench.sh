#!/usr/bin/env bash
# Training throughput on 2 threads: C# (tempbalance bench train) next to the Python loop in this folder,
# alternating so both see the same machine load. Then the ESD pass of ResNet18 (CIFAR-100 shape) as a
# share of an epoch. Results go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
T="${TEMPBALANCE:-dotnet src/TempBalance.Cli/bin/Release/net10.0/tempbalance.dll}"
rounds="${ROUNDS:-2}"
small_steps="${SMALL_STEPS:-30}"
resnet_steps="${RESNET_STEPS:-3}"
repeats="${REPEATS:-3}"
for round in $(seq "$rounds"); do
  echo "== round $round: smallcnn, Fashion-MNIST shape, batch 128"
  /usr/bin/python3 docs/bench/train_throughput.py --model smallcnn --threads 2 --steps "$small_steps" --repeats "$repeats" | tail -1
  $T bench train --model smallcnn --dataset fashion-mnist --threads 2 --steps "$small_steps" --repeats "$repeats" | tail -1
  echo "== round $round: resnet18, CIFAR-100 shape (random data), batch 128"
  /usr/bin/python3 docs/bench/train_throughput.py --model resnet18 --threads 2 --steps "$resnet_steps" --warmup 1 --repeats "$repeats" | tail -1
  $T bench train --model resnet18 --dataset cifar100 --random-data --threads 2 --steps "$resnet_steps" --warmup 1 --repeats "$repeats" --esd | tail -2
done
