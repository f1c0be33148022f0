"""Cost and strength of the default robust evaluation: time of ``deep.evaluate.evaluate`` with the default ensemble
(APGD-CE, APGD-margin, APGD-T; deep.attacks.ensemble) against PGD-100 on the same model and points, and the
accuracy gap to PGD-100 and to the reference AutoAttack (pyautoattack, when installed). Target: default time
≤ 2× PGD-100.

``python -m bench robust_eval`` or ``python -m bench.robust_eval [--n 300] [--threads 1] [--square 1000]``.
The model is the small digits CNN (bench/_digits.py) trained with PGD-5 at ℓ∞ ε = 0.1 (a few seconds), evaluated
at ε = 0.1 and 0.15 on the first ``--n`` test digits, on the CPU with one thread unless told otherwise; on a GPU
machine ``--device cuda`` runs the same comparison there. AutoAttack runs with ``--square`` Square queries
(its standard is 5000; fewer makes the reference weaker, never stronger).
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from bench._digits import digits, trained_digits_cnn
from tradeoff.data.provenance import machine_line
from tradeoff.deep.evaluate import evaluate
from tradeoff.deep.reference import autoattack_correct, reference_available

TARGET_RATIO = 2.0


def _timed(fn, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    out = fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return out, time.perf_counter() - t0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.robust_eval", description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--square", type=int, default=1000, help="AutoAttack's Square queries (standard: 5000)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-reference", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"machine: {machine_line()}; torch threads {torch.get_num_threads()}; device {device}")
    model = trained_digits_cnn(None, 0.1).to(device)
    _, _, x, y = digits(None)
    x, y = x[: args.n].to(device), y[: args.n].to(device)
    evaluate(model, x[:8], y[:8], [0.1], attack="pgd", steps=2)  # warm-up
    ok = True
    print(f"{'eps':>5} {'pgd-100':>8} {'default':>8} {'autoattack':>10} {'gap pgd':>8} {'gap AA':>7} "
          f"{'t pgd s':>8} {'t def s':>8} {'ratio':>6} {'t AA s':>7}")
    for eps in (0.1, 0.15):
        pgd, t_pgd = _timed(lambda e=eps: evaluate(model, x, y, [e], attack="pgd"), device)
        ens, t_def = _timed(lambda e=eps: evaluate(model, x, y, [e]), device)
        a_pgd, a_def = pgd.accuracy[eps], ens.accuracy[eps]
        a_ref, t_ref = float("nan"), float("nan")
        if reference_available() and not args.no_reference:
            (c, _), t_ref = _timed(lambda e=eps: autoattack_correct(model, x, y, e, square_queries=args.square,
                                                                    batch_size=len(y)), device)
            a_ref = float(c.float().mean())
        ratio = t_def / t_pgd
        ok &= ratio <= TARGET_RATIO
        print(f"{eps:5.2f} {a_pgd:8.4f} {a_def:8.4f} {a_ref:10.4f} {100 * (a_pgd - a_def):+8.2f} "
              f"{100 * (a_def - a_ref):+7.2f} {t_pgd:8.2f} {t_def:8.2f} {ratio:6.2f} {t_ref:7.1f}")
        print(f"      default: {ens.attack['label']}; per attack: "
              + "; ".join(f"{c.label} on {c.attacked} pts, broke {c.broken}, {c.seconds:.2f} s"
                          for c in ens.cost[eps]))
    print(f"gaps in points (percentage points): pgd − default, default − AutoAttack; "
          f"target: default time <= {TARGET_RATIO}x PGD-100: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
