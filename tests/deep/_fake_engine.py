"""A tiny stand-in for the deep engine, for fast tests of the experiment runner and picture pipeline.

Data: a synthetic 3-class 1×8×8 image problem (class c = a bright bar in row block c plus noise). "Training" fits a
small linear softmax model with a few gradient steps; a run folder holds ``ckpt.pt`` (state dict + finished flag)
and training can be interrupted after a given number of epochs to test resuming.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F


def synthetic(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = 0.15 * torch.rand(n, 1, 8, 8, generator=g)
    for c in range(3):
        x[y == c, 0, 1 + 2 * c : 3 + 2 * c, 1:7] += 0.7
    return x.clamp(0, 1), y


def tiny_model() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))


class Interrupted(RuntimeError):
    pass


class FakeEngine:
    def __init__(self, epochs: int = 3, interrupt_after: int | None = None):
        self.epochs = epochs
        self.interrupt_after = interrupt_after
        self.train_calls: list[str] = []
        self.epochs_run: dict[str, int] = {}

    def train(self, run, run_dir: Path) -> None:
        self.train_calls.append(run.run_id)
        ckpt = run_dir / "ckpt.pt"
        torch.manual_seed(run.seed)
        model = tiny_model()
        start = 0
        if ckpt.exists():
            state = torch.load(ckpt, weights_only=True)
            model.load_state_dict(state["model"])
            start = int(state["epoch"])
        x, y = synthetic(run.n_train or 60, run.seed)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        for epoch in range(start, self.epochs):
            if self.interrupt_after is not None and epoch == self.interrupt_after:
                self.interrupt_after = None
                raise Interrupted(f"interrupted at epoch {epoch}")
            xb = x
            if run.eps_train > 0:  # one FGSM step (ℓ∞) as the adversary
                xa = x.clone().requires_grad_(True)
                (gx,) = torch.autograd.grad(F.cross_entropy(model(xa), y), xa)
                xb = (x + run.eps_train * gx.sign()).clamp(0, 1)
            opt.zero_grad()
            F.cross_entropy(model(xb), y).backward()
            opt.step()
            self.epochs_run[run.run_id] = self.epochs_run.get(run.run_id, 0) + 1
            torch.save({"model": model.state_dict(), "epoch": epoch + 1}, ckpt)

    def load_model(self, run, run_dir: Path) -> torch.nn.Module:
        model = tiny_model()
        model.load_state_dict(torch.load(run_dir / "ckpt.pt", weights_only=True)["model"])
        return model.eval()

    def test_set(self, run_or_dataset, n, image_size=None):
        return synthetic(n or 30, seed=999)

    def train_set(self, dataset, image_size=None):
        return synthetic(60, seed=0)

    def test_positions(self, dataset, n):
        import numpy as np

        return np.arange(n or 30)

    @torch.no_grad()
    def _acc(self, model, x, y) -> float:
        return float((model(x).argmax(1) == y).float().mean())

    def evaluate(self, run, run_dir: Path) -> dict:
        model = self.load_model(run, run_dir)
        x, y = self.test_set(run, run.config.eval.n_final)
        out = {"n_test": len(y), "n_train": run.n_train, "robust": {}}
        for norm in run.eval_norms:
            eps = run.eval_eps(norm)
            out["standard_acc"] = self._acc(model, x, y)
            out["robust"][norm] = {"eps": eps, "acc": self._acc(model, self._pgd(model, x, y, eps, 5, eps / 2), y)}
        (run_dir / "eval.json").write_text(json.dumps(out))
        return out

    def _pgd(self, model, x, y, eps, steps, step):
        xa = x.clone()
        for _ in range(steps):
            xa.requires_grad_(True)
            with torch.enable_grad():
                (g,) = torch.autograd.grad(F.cross_entropy(model(xa), y), xa)
            xa = (x + (xa.detach() + step * g.sign() - x).clamp(-eps, eps)).clamp(0, 1)
        return xa.detach()

    def precision(self):
        from tradeoff.deep.device import fp32_on

        return fp32_on("cpu")

    def large_eps_attack(self, spec, trajectory=False):
        return lambda model, x, y: self._pgd(model, x, y, min(spec.eps, 1.0), spec.steps, 0.1)

    def sanity(self, model, x, y, eps, norm, steps=20):
        acc = self._acc(model, self._pgd(model, x, y, 1.0, 20, 0.1), y)
        return [{"name": "unbounded_attack", "passed": acc <= 0.01, "detail": f"accuracy {acc:.3f}"}]
