"""``tradeoff data limit``: the best robust accuracy ANY classifier reaches on two classes or on many, and for two
classes the data's frontier (theory.data_limit_study; docs/data_frontier.md). Writes
``<build>/results/data/limit_<name>.json`` (kind ``data.limit``)."""

from __future__ import annotations

import argparse
import time

from tradeoff.data.kinds import Kind
from tradeoff.data.pairs import PAIR_DATASETS

from ._base import UserError, emit_json, format_table, group, progress_line, ready
from ._options import DataFolder, Integer, Number, Radius, check_eps


def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff data limit``."""
    sub = group(top, "data", "fetch data sets into the cache ($TRADEOFF_DATA) and show what is there")
    p = sub.add_parser(
        "limit",
        help="best robust accuracy of ANY classifier on two or more classes (conflict graph) and the data's frontier",
        description="For each split and eps: the conflict graph (pairs of different classes within 2 eps), the best "
        "robust accuracy of any classifier (two classes: 1 - maximum matching / n, with the data's (standard, "
        "robust) frontier by min cut; three or more: largest independent set / n for deterministic classifiers, "
        "exact where every component is settled, else lower and upper bounds), and each test point's exact "
        "distance to the nearest training point of another class (Yang et al. 2020).",
    )
    p.add_argument("--dataset", "--datasets", dest="dataset", choices=PAIR_DATASETS, default="mnist",
                   help="data set (default mnist)")
    p.add_argument("--classes", nargs="+", default=["5", "7"], metavar="CLASS",
                   help="two classes POS NEG (POS -> +1, NEG -> -1), or three or more, or 'all' for 0-9 (numbers, "
                   "or CIFAR-10 names; default 5 7)")
    p.add_argument("--per-class", type=Integer(1), default=None, metavar="K",
                   help="only the first K examples of each class in each split, at most the training split's size "
                        "(default: all; a class with fewer keeps all of its examples)")
    p.add_argument("--norm", choices=["inf", "2"], default="inf", help="threat model (default inf); box [0,1] always")
    p.add_argument("--eps", type=Radius(), nargs="+", default=[0.2, 0.3],
                   help="radii in pixel units: [0, 1] for l_inf, [0, sqrt(pixels)] for l_2 (default 0.2 0.3: Figure "
                        "5's eps and MNIST's large eps)")
    p.add_argument("--split", nargs="+", choices=["train", "test"], default=["train", "test"],
                   help="splits whose own limit to compute (default both)")
    p.add_argument("--no-train-separation", action="store_true",
                   help="skip the training set's own separation (the slowest step)")
    p.add_argument("--time-limit", type=Number(0.0), default=60.0, metavar="S",
                   help="three or more classes: seconds of integer programming per split and eps for the components "
                   "that are not bipartite (default 60); what is left open is reported as bounds")
    p.add_argument("--root", type=DataFolder(), default=None, help="data folder (default: the tradeoff data cache)")
    p.add_argument("--json", action="store_true", help="print the payload summary as JSON instead of tables")
    p.set_defaults(func=run_limit_command)


def result_name(dataset: str, a: int, b: int, norm: str) -> str:
    """File stem of a two-class result: ``limit_mnist_5v7_inf``."""
    return f"limit_{dataset}_{a}v{b}_{norm}"


def multiclass_result_name(dataset: str, classes: list[int], norm: str, per_class: int | None = None) -> str:
    """File stem of a many-class result: ``limit_mnist_all_inf`` (classes 0-9), ``limit_mnist_0-1-2_inf_k500``."""
    tag = "all" if sorted(classes) == list(range(10)) else "-".join(str(c) for c in sorted(classes))
    return f"limit_{dataset}_{tag}_{norm}" + (f"_k{per_class}" if per_class else "")


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


def multiclass_rows(payload: dict) -> list[dict]:
    """One row per (split, eps) of a many-class payload: graph size, components, exact flag, limit or its bounds."""
    rows = []
    for split, entries in payload["splits"].items():
        for e in entries:
            lim = e["limit"]
            rows.append({"split": split, "eps": e["eps"], "n": lim["n"], "conflicts": lim["n_edges"],
                         "conflicted_points": lim["n_conflicted"], "components": lim["n_components"],
                         "largest": lim["largest_component"], "exact": lim["exact"],
                         "best_robust_acc": lim["robust_accuracy"], "lower": lim["robust_accuracy_lower"],
                         "upper": lim["robust_accuracy_upper"]})
    return rows


def _check_args(args) -> list[int]:
    """The class numbers; UserError (one line, exit 2) for bad classes, eps, K or time limit."""
    from tradeoff.data.pairs import check_classes
    from tradeoff.data.registry import dataset_info, dataset_size

    try:
        classes = check_classes(args.dataset, args.classes)
    except ValueError as e:
        raise UserError(f"--classes {' '.join(args.classes)}: {e}") from None
    check_eps("--eps", args.eps, args.norm, dataset_info(args.dataset).input_dim)
    dataset_size("--per-class", args.per_class, args.dataset, "train")
    return classes


def _first_per_class(X, y, k: int | None):
    import numpy as np

    if k is None:
        return X, y
    idx = np.sort(np.concatenate([np.flatnonzero(y == c)[:k] for c in np.unique(y)]))
    return X[idx], y[idx]


def run_limit_command(args) -> int:
    """``tradeoff data limit``: load the classes, run the study, write the result file, print tables (or JSON)."""
    from tradeoff.data import pairs
    from tradeoff.data.io import write_result
    from tradeoff.data.paths import results_dir
    from tradeoff.theory.data_limit_study import data_limit_study, multiclass_limit_study

    classes = _check_args(args)
    ready(args, f"data limit on {args.dataset} classes {', '.join(map(str, classes))}, l_{args.norm} eps "
                f"{', '.join(f'{e:g}' for e in args.eps)}")
    t0 = time.perf_counter()

    def note(step: str) -> None:  # per split and radius: the graph, matching and frontier of each take a while
        progress_line(f"data limit: {step} done ({time.perf_counter() - t0:.0f} s)")

    if len(classes) == 2:
        a, b = classes
        train = _first_per_class(*pairs.load_pair(args.dataset, a, b, "train", args.root), args.per_class)
        test = _first_per_class(*pairs.load_pair(args.dataset, a, b, "test", args.root), args.per_class)
        payload = data_limit_study(train, test, args.eps, args.norm, splits=tuple(args.split),
                                   train_separation=not args.no_train_separation, progress=note)
        payload.update({"dataset": args.dataset, "classes": [a, b]})
        stem = result_name(args.dataset, a, b, args.norm) + (f"_k{args.per_class}" if args.per_class else "")
        described = f"{args.dataset} {a}-vs-{b}"
    else:
        classes = sorted(classes)
        train = pairs.load_classes(args.dataset, classes, "train", args.root, args.per_class)
        test = pairs.load_classes(args.dataset, classes, "test", args.root, args.per_class)
        payload = multiclass_limit_study(train, test, args.eps, args.norm, splits=tuple(args.split),
                                         train_separation=not args.no_train_separation, time_limit=args.time_limit,
                                         progress=note)
        payload.update({"dataset": args.dataset, "classes": classes, "per_class": args.per_class})
        stem = multiclass_result_name(args.dataset, classes, args.norm, args.per_class)
        described = f"{args.dataset} {len(classes)} classes ({','.join(map(str, classes))})"
    if args.per_class:
        described += f", first {args.per_class} per class"
    wall = time.perf_counter() - t0
    path = write_result(results_dir() / "data" / f"{stem}.json", Kind.DATA_LIMIT, payload, wall_time_s=wall,
                        scale="exact", dataset=described, seeds=[])
    sep = payload["separation"]
    rows = summary_rows(payload) if len(classes) == 2 else multiclass_rows(payload)
    if args.json:
        emit_json({"limits": rows, "separation": {k: {kk: vv for kk, vv in v.items() if kk != "distances"}
                                                  for k, v in sep.items()}, "result": str(path), "wall_time_s": wall})
        return 0
    if len(classes) == 2:
        print(f"The data's own limit: {args.dataset} {a} (+1) vs {b} (-1), {payload['n_train']} train / "
              f"{payload['n_test']} test points, l_{args.norm} balls in the [0,1] box")
        print(format_table(rows))
        print("best_robust_acc: the best robust accuracy ANY classifier reaches on that split (1 - matching / n)")
    else:
        print(f"The data's own limit: {described}, {payload['n_train']} train / {payload['n_test']} test points, "
              f"l_{args.norm} balls in the [0,1] box")
        print(format_table(rows))
        print("best_robust_acc: the best robust accuracy ANY deterministic classifier reaches on that split "
              "(largest independent set / n), shown where exact; lower/upper always bracket it")
    print()
    srows = [{"distances": k, "min": v["min"], "q01": v["quantiles"].get("0.01"), "median": v["quantiles"].get("0.5"),
              **{f"within_2eps@{e}": s for e, s in v["within_2eps"].items()}} for k, v in sep.items()]
    print(format_table(srows))
    print(f"exact distance of each point to the nearest point of {'the other' if len(classes) == 2 else 'another'} "
          "class (test_to_train: Yang et al. 2020)")
    print()
    print(f"result: {path}")
    print(f"wall time: {wall:.1f} s")
    return 0
