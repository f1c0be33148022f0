"""The fast CIFAR-10 architecture (``resnet9``, a reconstruction; docs/fast_cifar.md) beside ResNet-18, on this CPU.

``python -m bench fast_cifar`` or ``python -m bench.fast_cifar [--learn] [--n-train 2000] [--epochs 4]``.

Measures, with one torch thread and CPU time (``time.process_time``, robust to other jobs on a shared machine):
parameters and CPU seconds per training step (standard and PGD-7 ℓ∞) on batches of 32
CIFAR-sized images, for ``resnet9`` and ``resnet18``. With ``--learn`` also a short standard training of resnet9
through the project's training engine (deep.train.train_run) on ``--n-train`` images of the CIFAR-10 copy in
``$TRADEOFF_CIFAR10_ROOT`` (or the cache), evaluated on 1000 test images: a sanity check that it learns (target:
well above the 10 % of chance), NOT the ≥ 90 % in minutes on a GPU that public write-ups report, which no GPU of
this project has measured.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from tradeoff.data.provenance import machine_line
from tradeoff.deep.attacks import PGD
from tradeoff.deep.models import build_model, count_parameters

CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def step_seconds(name: str, batch: int, pgd_steps: int, repeats: int) -> float:
    """CPU seconds (process time) of one SGD training step of model ``name`` on ``batch`` random 32×32 images, after
    ``pgd_steps`` PGD iterations (0: standard training); the median of ``repeats`` steps after one warm-up step."""
    torch.manual_seed(0)
    model = build_model(name, 10, CIFAR_MEAN, CIFAR_STD)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.rand(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
    attack = PGD(8 / 255, 2.5 * (8 / 255) / max(pgd_steps, 1), pgd_steps, "inf", track_best=False, seed=0) \
        if pgd_steps else None
    times = []
    for i in range(repeats + 1):
        t = time.process_time()
        xa = attack(model, x, y) if attack is not None else x
        model.train()
        loss = F.cross_entropy(model(xa), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i:
            times.append(time.process_time() - t)
    return sorted(times)[len(times) // 2]


def learn(n_train: int, epochs: int) -> dict:
    """Standard training of resnet9 on ``n_train`` CIFAR-10 images through deep.train.train_run (in a throw-away run
    folder); the test and training accuracy of every epoch."""
    from tradeoff.data.registry import dataset_root
    from tradeoff.deep.config import EvalConfig, TrainConfig
    from tradeoff.deep.train import train_run

    root = dataset_root("cifar10")
    cfg = TrainConfig(name="fast-cifar-sanity", dataset="cifar10", data_root=None if root is None else str(root),
                      model="resnet9", n_train=n_train, epochs=epochs,
                      batch_size=64, optimizer="sgd", lr=0.2, momentum=0.9, nesterov=True, weight_decay=5e-4,
                      schedule="cyclic", device="cpu", amp=False, progress=False,
                      eval=EvalConfig(eps=[], every=1, n_epoch=1000, n_final=1000)).validate()
    t = time.process_time()
    with tempfile.TemporaryDirectory() as folder:
        history = train_run(cfg, Path(folder) / cfg.name).history
    return {"n_train": n_train, "epochs": epochs, "cpu_s": time.process_time() - t,
            "test_acc_by_epoch": [h["eval_standard_acc"] for h in history],
            "train_acc_by_epoch": [h["train_acc"] for h in history]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fast_cifar", description=__doc__.split("\n\n")[0])
    ap.add_argument("--learn", action="store_true", help="also train resnet9 briefly on real CIFAR-10 (minutes)")
    ap.add_argument("--n-train", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv or [])
    torch.set_num_threads(1)
    print(f"machine: {machine_line()}; torch {torch.__version__}, 1 thread; times are CPU seconds (process time)")
    for name in ("resnet9", "resnet18"):
        params = count_parameters(build_model(name, 10, CIFAR_MEAN, CIFAR_STD))
        std = step_seconds(name, 32, 0, args.repeats)
        adv = step_seconds(name, 32, 7, args.repeats)
        print(f"{name:9s} {params:>10,d} parameters; batch 32: standard step {std:.3f} s "
              f"({32 / std:.0f} img/s), PGD-7 step {adv:.3f} s ({32 * 8 / adv:.0f} image·steps/s)")
    if args.learn:
        r = learn(args.n_train, args.epochs)
        accs = ", ".join(f"{a:.3f}" for a in r["test_acc_by_epoch"])
        print(f"resnet9 standard training on {r['n_train']} CIFAR-10 images, {r['epochs']} epochs, "
              f"{r['cpu_s']:.0f} CPU s: test accuracy (1000 images) by epoch {accs}")
        ok = r["test_acc_by_epoch"][-1] > 0.3
        print(f"learns (final test accuracy > 0.30, chance 0.10): {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
