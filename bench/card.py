"""Time of one trade-off card (issue 25): an MNIST CNN, clean accuracy on the whole test set (10,000), the default
strong evaluation (APGD-CE, APGD-margin, APGD-T) at ℓ∞ ε = 0.3 on 1,000 points, the masking checks on 200, claims
10 and 11 on 300 images each (J1 over the 60,000 training images), the data's limit on the 1,000 evaluated points
and their separation from the training set. Target: a few minutes (:data:`TARGET_S`) on the project's 2-core CPU.

``python -m bench card [--run DIR] [--threads N] [--precision auto|fp32]``. The model is the MNIST quick scale's
robust recipe (deep.experiments.definitions: the paper's CNN at width 16, one epoch of PGD-5 ℓ∞ ε = 0.3 training in
batches of 50): a robust model is the expensive case, since the ensemble's later attacks run only on the points the
earlier ones left robust. It is trained once into ``<build>/bench/card_mnist_linf`` (a few minutes, not timed) and
reused; ``--run DIR`` takes any finished run folder instead. Needs MNIST in the cache (``tradeoff data fetch
mnist``). The card is written to a temporary folder; the timings of its parts are printed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from tradeoff.data.paths import build_dir
from tradeoff.data.provenance import machine_line

TARGET_S = 300.0


def robust_run(folder: Path) -> Path:
    """The quick scale's ℓ∞ ε = 0.3 MNIST model, trained into ``folder`` unless it is already there."""
    from tradeoff.deep.config import AdvConfig, EvalConfig
    from tradeoff.deep.experiments import definitions
    from tradeoff.deep.runs import run_state
    from tradeoff.deep.train import TrainOptions, train_run

    if folder.is_dir() and run_state(folder) == "finished":
        return folder
    t = definitions.get("fig6", "mnist", "quick").template
    cfg = t.replace(name="bench_card_mnist_linf", adv=AdvConfig(norm="inf", eps=0.3, steps=t.adv.steps,
                                                                eps_warmup=t.adv.eps_warmup),
                    eval=EvalConfig(eps=[0.3], n_final=200, steps=10, every=0), seed=0, progress=False)
    print(f"training the benchmark's model into {folder} (once; not timed) ...", flush=True)
    t0 = time.perf_counter()
    train_run(cfg, folder, TrainOptions())
    print(f"trained in {time.perf_counter() - t0:.0f} s")
    return folder


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.card", description=__doc__.split("\n\n")[0])
    p.add_argument("--run", type=Path, default=None, help="a finished MNIST run folder (default: train one)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto")
    p.add_argument("--n", type=int, default=1000)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from tradeoff.deep.card import CardSettings, load_card_data, load_card_model, make_card, write_card

    run = args.run or robust_run(build_dir() / "bench" / "card_mnist_linf")
    print(f"machine: {machine_line()}; torch threads {torch.get_num_threads()}")
    t0 = time.perf_counter()

    def note(text: str) -> None:
        print(f"  [{time.perf_counter() - t0:6.1f} s] {text}", flush=True)

    data = load_card_data("mnist", note=note)
    model = load_card_model(str(run), data.info, "inf")
    settings = CardSettings(norm="inf", eps=(0.3,), n=args.n, precision=args.precision)
    card = make_card(model, data, settings, note=note)
    with tempfile.TemporaryDirectory() as tmp:
        write_card(card, tmp)
    total = time.perf_counter() - t0
    f = card["fields"]
    print(f"clean {f['clean_accuracy']:.4f} on {f['n_clean']}, robust {f['robust_accuracy']} on {f['n_examples']} "
          f"({f['attack']})")
    print("seconds by part: " + ", ".join(f"{k} {v:.1f}" for k, v in card["timings"].items()))
    ok = total <= TARGET_S
    print(f"card: {total:.1f} s (target <= {TARGET_S:.0f} s: {'met' if ok else 'MISSED'})")
    return 0 if ok else 1


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
