"""``tradeoff data limit``: the best robust accuracy ANY classifier reaches on a two-class problem, and the data's
frontier (theory.data_limit_study; docs/data_frontier.md). Writes ``<build>/results/data/limit_<name>.json`` (kind
``data.limit``)."""

from __future__ import annotations

import argparse
import time

from tradeoff.data.kinds import Kind
from tradeoff.data.pairs import PAIR_DATASETS

from ._base import UserError, emit_json, format_table, group


def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff data limit``."""
    sub = group(top, "data", "fetch data sets into the cache ($TRADEOFF_DATA) and show what is there")
    p = sub.add_parser(
        "limit",
        help="best robust accuracy of ANY classifier on two classes (conflict graph, matching) and the data's frontier",
        description="For each split and eps: the conflict graph (opposite-class pairs within 2 eps), the best robust "
        "accuracy of any classifier (1 - maximum matching / n), the data's (standard, robust) frontier (min cut), "
        "and each test point's exact distance to the nearest training point of the other class.",
    )
    p.add_argument("--dataset", choices=PAIR_DATASETS, default="mnist", help="data set (default mnist)")
    p.add_argument("--classes", nargs=2, default=["5", "7"], metavar=("POS", "NEG"),
                   help="the two classes, POS -> +1, NEG -> -1 (numbers, or CIFAR-10 names; default 5 7)")
    p.add_argument("--norm", choices=["inf", "2"], default="inf", help="threat model (default inf); box [0,1] always")
    p.add_argument("--eps", type=float, nargs="+", default=[0.2, 0.3],
                   help="radii in [0,1] pixel units (default 0.2 0.3: Figure 5's eps and MNIST's large eps)")
    p.add_argument("--split", nargs="+", choices=["train", "test"], default=["train", "test"],
                   help="splits whose own limit to compute (default both)")
    p.add_argument("--no-train-separation", action="store_true",
                   help="skip the training set's own separation (the slowest step)")
    p.add_argument("--root", default=None, help="data folder (default: the tradeoff data cache)")
    p.add_argument("--json", action="store_true", help="print the payload summary as JSON instead of tables")
    p.set_defaults(func=run_limit_command)


def result_name(dataset: str, a: int, b: int, norm: str) -> str:
    """File stem of the result: ``limit_mnist_5v7_inf``."""
    return f"limit_{dataset}_{a}v{b}_{norm}"


def summary_rows(payload: dict) -> list[dict]:
    """One row per (split, eps): graph size, matching, best robust accuracy, frontier vertices."""
    rows = []
    for split, entries in payload["splits"].items():
        for e in entries:
            lim = e["limit"]
            fr = e.get("frontier") or {}
            rows.append({"split": split, "eps": e["eps"], "n": lim["n"], "conflicts": lim["n_edges"],
                         "conflicted_points": lim["n_conflicted"], "matching": lim["matching_size"],
                         "best_robust_acc": lim["robust_accuracy"], "frontier_vertices": len(fr.get("standard", []))})
    return rows


def run_limit_command(args) -> int:
    """``tradeoff data limit``: load the two classes, run the study, write the result file, print tables (or JSON)."""
    from tradeoff.data.io import write_result
    from tradeoff.data.pairs import class_number, load_pair
    from tradeoff.data.paths import results_dir
    from tradeoff.theory.data_limit_study import data_limit_study

    try:
        a, b = (class_number(args.dataset, c) for c in args.classes)
        if a == b:
            raise ValueError(f"the two classes must differ (got {a} twice): e.g. --classes 5 7")
        if any(not (e >= 0 and e == e) for e in args.eps):
            raise ValueError(f"--eps values must be numbers >= 0 (got {args.eps})")
    except ValueError as e:
        raise UserError(str(e)) from None
    t0 = time.perf_counter()
    train = load_pair(args.dataset, a, b, "train", args.root)
    test = load_pair(args.dataset, a, b, "test", args.root)
    payload = data_limit_study(train, test, args.eps, args.norm, splits=tuple(args.split),
                               train_separation=not args.no_train_separation)
    payload.update({"dataset": args.dataset, "classes": [a, b]})
    wall = time.perf_counter() - t0
    path = write_result(results_dir() / "data" / f"{result_name(args.dataset, a, b, args.norm)}.json", Kind.DATA_LIMIT,
                        payload, wall_time_s=wall, scale="exact", dataset=f"{args.dataset} {a}-vs-{b}", seeds=[])
    sep = payload["separation"]
    if args.json:
        emit_json({"limits": summary_rows(payload), "separation": {k: {kk: vv for kk, vv in v.items()
                   if kk != "distances"} for k, v in sep.items()}, "result": str(path), "wall_time_s": wall})
        return 0
    print(f"The data's own limit: {args.dataset} {a} (+1) vs {b} (-1), {payload['n_train']} train / "
          f"{payload['n_test']} test points, l_{args.norm} balls in the [0,1] box")
    print(format_table(summary_rows(payload)))
    print("best_robust_acc: the best robust accuracy ANY classifier reaches on that split (1 - matching / n)")
    print()
    rows = [{"distances": k, "min": v["min"], "q01": v["quantiles"].get("0.01"), "median": v["quantiles"].get("0.5"),
             **{f"within_2eps@{e}": s for e, s in v["within_2eps"].items()}} for k, v in sep.items()]
    print(format_table(rows))
    print("exact distance of each point to the nearest point of the other class (test_to_train: Yang et al. 2020)")
    print()
    print(f"result: {path}")
    print(f"wall time: {wall:.1f} s")
    return 0
