"""``tradeoff card MODEL --data DATA --norm {inf,2} --eps E ...`` (one trade-off card: deep.card) and ``tradeoff cards
[DIR] [--from-runs BUILD]`` (many cards as one table and figure: reports.card_table). Parsing and printing only; the
card is computed by deep.card, drawn by reports.figures.card. docs/cards.md says what each number means."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ._base import UserError, emit_json, format_table, ready

FRONTIER_FILE = Path("cpu_deep_frontier") / "frontier_mnist.json"


def register(top: argparse._SubParsersAction) -> None:
    """Add the top-level ``card`` and ``cards`` commands."""
    desc = ("One trade-off card for any classifier on any labelled image set: clean accuracy on the whole test split, "
            "robust accuracy at each eps under the default strong evaluation (with its cost, the gradient-masking "
            "checks and, with --reference autoattack, AutoAttack beside it), claim 10's gradient alignment, claim "
            "11's judge panel (J1 over the training split), the data's own limit on the evaluated points with the "
            "separation statistics, and the model's point on the (standard, robust) plane beside published points. "
            "Writes <build>/results/cards/<model>-<data>-<settings>.json and a figure under <build>/figures/cards/.")
    p = top.add_parser("card", help="a trade-off card for any classifier and image set", description=desc)
    p.add_argument("model", metavar="MODEL", help="a run folder, a TorchScript file, package.module:factory (with "
                   "--weights) or robustbench:NAME (with --model-dir)")
    p.add_argument("--data", required=True, metavar="DATA",
                   help="a registered data set (mnist, cifar10, restricted_tiny_imagenet, toy), a .npz file or a "
                        "folder with one sub-folder per class")
    p.add_argument("--norm", choices=("inf", "2"), required=True, help="threat model")
    p.add_argument("--eps", type=float, nargs="+", required=True, metavar="E", help="radii in [0, 1] pixel units")
    g = p.add_argument_group("the model")
    g.add_argument("--weights", metavar="FILE", help="state_dict (.pt) or .safetensors for package.module:factory")
    g.add_argument("--normalize", nargs=2, metavar=("MEAN", "STD"),
                   help="per-channel mean and std, comma-separated, for a model that expects normalised inputs")
    g.add_argument("--model-dir", metavar="DIR", help="RobustBench's model_dir holding <dataset>/<threat>/NAME.pt")
    g.add_argument("--reference-model", metavar="MODEL",
                   help="a standard model of the same data (any MODEL form) for claims 10 and 11")
    g.add_argument("--reference-weights", metavar="FILE", help="weights of a factory --reference-model")
    g.add_argument("--name", help="the card's display name (default: architecture and file)")
    g.add_argument("--recipe", metavar="TEXT", help="the training recipe, when the model is not a run folder")
    g = p.add_argument_group("the evaluation")
    g.add_argument("--n", type=int, default=1000, help="test points for robust accuracy (default 1000, the first)")
    g.add_argument("--attack", default="default", metavar="NAME",
                   help="default (APGD-CE, APGD-margin, APGD-T), thorough, pgd, apgd-ce, apgd-margin or apgd-t")
    g.add_argument("--steps", type=int, default=None, help="iterations of every attack (default: the attack's own)")
    g.add_argument("--restarts", type=int, default=None, help="restarts of every attack (default: the attack's own)")
    g.add_argument("--sanity-n", type=int, default=200, help="points for the masking checks (0 skips; default 200)")
    g.add_argument("--sanity-eps", type=float, default=None, help="radius of the masking checks (default: largest)")
    g.add_argument("--reference", choices=("autoattack",), default=None,
                   help="also run the official AutoAttack on the --n points (needs pyautoattack; slow on a CPU)")
    g.add_argument("--n-gradients", type=int, default=300, help="images for claim 10 (default 300)")
    g.add_argument("--n-judge", type=int, default=300, help="images for claim 11 (default 300)")
    g.add_argument("--large-eps", type=float, default=None,
                   help="claim 11's large eps (default: the data set's; docs/cards.md)")
    g.add_argument("--limit-per-class", type=int, default=None, metavar="K",
                   help="the data limit on at most K of the evaluated points per class (default: all of them)")
    g.add_argument("--limit-time", type=float, default=10.0, metavar="S",
                   help="seconds of integer programming per eps for a many-class limit (default 10)")
    g.add_argument("--n-separation", type=int, default=200, metavar="N",
                   help="the separation statistics on the first N of the limit's points (default 200)")
    g = p.add_argument_group("where and how")
    g.add_argument("--root", metavar="DIR", help="folder of a registered data set (default: the data cache)")
    g.add_argument("--out", metavar="DIR", help="folder for the card (default <build>/results/cards)")
    g.add_argument("--batch-size", type=int, default=500)
    g.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    g.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                   help="the attacks' precision (accuracies are counted in float32 either way)")
    g.add_argument("--no-figures", action="store_true", help="write the card only")
    g.add_argument("--json", action="store_true", help="print the model-card fields as JSON")
    p.set_defaults(func=run_card)

    p = top.add_parser(
        "cards", help="gather trade-off cards into one table and figure (a small leaderboard)",
        description="Read every card file below DIR (default <build>/results/cards) and write one table "
                    "(<build>/cards/leaderboard.md) and one accuracy-robustness figure "
                    "(<build>/figures/cards/leaderboard.png). --from-runs BUILD first writes a card for every trained "
                    "run folder of that build from its own summary (nothing is re-evaluated).")
    p.add_argument("dir", nargs="*", metavar="DIR", help="folders or card files (default <build>/results/cards)")
    p.add_argument("--from-runs", metavar="BUILD", help="write a card for each finished run folder under BUILD first")
    p.add_argument("--no-figures", action="store_true", help="write the table only")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=run_cards)


def _progress(start: float):
    def note(text: str) -> None:
        print(f"tradeoff card [{time.perf_counter() - start:6.1f} s] {text}", file=sys.stderr, flush=True)

    return note


def _normalize(pair):
    if pair is None:
        return None
    try:
        return tuple(tuple(float(v) for v in part.split(",")) for part in pair)
    except ValueError as e:
        raise UserError(f"--normalize {' '.join(pair)}: give MEAN and STD as comma-separated numbers, e.g. "
                        "--normalize 0.49,0.48,0.45 0.25,0.24,0.26") from e


def _frontier():
    """The committed CPU deep frontier (MNIST l_inf 0.3), for the plane: payload and path, or (None, "")."""
    from tradeoff.data.io import read_result

    from ..result_index import COMMITTED_RESULTS

    path = COMMITTED_RESULTS / FRONTIER_FILE
    try:
        return read_result(path)["payload"], f"reports/results/{FRONTIER_FILE.as_posix()}"
    except (OSError, ValueError):
        return None, ""


def run_card(args: argparse.Namespace) -> int:
    """``tradeoff card``: load, measure, write the card and its figure, print the model-card fields."""
    import numpy as np

    from tradeoff.data.paths import figures_dir, results_dir
    from tradeoff.deep.card import (
        CardSettings,
        card_stem,
        check_settings,
        load_card_data,
        load_card_model,
        make_card,
        recipe_of,
        write_card,
    )
    from tradeoff.deep.reference import INSTALL, reference_available

    start = time.perf_counter()
    note = _progress(start)
    if args.reference == "autoattack" and not reference_available():
        raise UserError(f"--reference autoattack needs the package pyautoattack: {INSTALL}")
    if args.reference_weights and not args.reference_model:
        raise UserError("--reference-weights goes with --reference-model")
    settings = CardSettings(norm=args.norm, eps=tuple(args.eps), n=args.n, attack=args.attack, steps=args.steps,
                            restarts=args.restarts, batch_size=args.batch_size, sanity_n=args.sanity_n,
                            sanity_eps=args.sanity_eps, reference=args.reference, n_gradients=args.n_gradients,
                            n_judge=args.n_judge, large_eps=args.large_eps, limit_per_class=args.limit_per_class,
                            limit_time=args.limit_time, n_separation=args.n_separation, precision=args.precision)
    _check_attack(args.attack)
    data = load_card_data(args.data, args.root, note)
    note(f"loading model {args.model}")
    model = load_card_model(args.model, data.info, args.norm, weights=args.weights,
                            normalize=_normalize(args.normalize), model_dir=args.model_dir)
    reference = None
    if args.reference_model:
        note(f"loading reference model {args.reference_model}")
        reference = load_card_model(args.reference_model, data.info, args.norm, weights=args.reference_weights,
                                    model_dir=args.model_dir, what="reference model")
    recipe = args.recipe
    if model.kind == "run" and recipe is None:
        from tradeoff.deep.runs import load_run_config

        recipe = recipe_of(load_run_config(args.model))
    check_settings(settings, int(np.prod(data.info.shape)))
    ready(args, f"a card of {args.model} on {args.data} (l_{args.norm}, eps {', '.join(map(str, args.eps))})")
    frontier, source = _frontier()
    payload = make_card(model, data, settings, reference=reference, frontier=frontier, frontier_source=source,
                        recipe=recipe, name=args.name, device=args.device, note=note)
    out = Path(args.out) if args.out else results_dir() / "cards"
    path = write_card(payload, out, wall_time_s=time.perf_counter() - start)
    figure = None
    if not args.no_figures:
        from ..figures.card import draw_card

        figure = draw_card(payload, figures_dir() / "cards" / f"{card_stem(payload['key'])}.png")
    if args.json:
        emit_json({"card": str(path), "figure": str(figure) if figure else None, "fields": payload["fields"]})
        return 0
    _print_card(payload)
    print(f"\ncard: {path}" + (f"\nfigure: {figure}" if figure else ""))
    print(f"wall time: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


def _check_attack(name: str) -> None:
    from tradeoff.deep.attacks import NAMED_ATTACKS

    if name.lower() not in NAMED_ATTACKS:
        raise UserError(f"unknown --attack {name!r}; use one of {', '.join(NAMED_ATTACKS)}")


def _print_card(p: dict) -> None:
    f = p["fields"]
    print(f"{p['name']}: {f['dataset']}, {f['threat_model']}, clean accuracy {f['clean_accuracy']:.4f} on "
          f"{f['n_clean']} test points")
    rows = []
    lim = {r["eps"]: r for r in (p["data_limit"].get("per_eps") or [])}
    aa = f.get("autoattack_accuracy") or {}
    for r in p["robust"]["per_eps"]:
        if r["eps"] == 0:
            continue
        li = lim.get(r["eps"]) or {}
        rows.append({"eps": r["eps"], "robust": r["accuracy"], "autoattack": aa.get(repr(float(r["eps"]))),
                     "limit": li.get("robust_accuracy") if li.get("exact") else
                     (f"[{li['lower']:.4f}, {li['upper']:.4f}]" if li else None),
                     "seconds": r["seconds"]})
    print(format_table(rows, ["eps", "robust", "autoattack", "limit", "seconds"]))
    print(f"robust accuracy: {f['attack']} on {f['n_examples']} points (an upper bound on the true value)")
    s = p["sanity"]
    print("masking checks: " + ("all passed" if s.get("ok") else f"FAILED {', '.join(s.get('failed', []))}"
                                 if s.get("status") == "run" else f"{s['status']} ({s.get('reason')})"))
    c10, c11 = p["claim10"], p["claim11"]
    if c10.get("status") == "run":
        ex = c10["variants"][c10["decides"]]["excess"]
        print(f"claim 10: excess {c10['decides']} alignment {ex['estimate']:+.3f} [{ex['low']:+.3f}, "
              f"{ex['high']:+.3f}] on {c10['n_images']} images")
    if "other_class_rate" in c11:
        r = c11["other_class_rate"]
        print(f"claim 11: J1 calls {r['estimate']:.1%} of the large-eps examples (eps {c11['attack']['eps']:g}) "
              f"another class; {c11['status']}" + (f" ({c11['reason']})" if c11.get("reason") else ""))
    else:
        print(f"claim 11: {c11['status']} ({c11.get('reason')})")
    if p["data_limit"].get("warning"):
        print(f"WARNING: {p['data_limit']['warning']}")


def run_cards(args: argparse.Namespace) -> int:
    """``tradeoff cards``: (with --from-runs, write run cards first) read the cards, write the table and figure."""
    from tradeoff.data.io import atomic_write_text
    from tradeoff.data.paths import build_dir, figures_dir, results_dir

    from ..card_table import card_rows, markdown_table, published_rows, read_cards

    if args.from_runs and not Path(args.from_runs).is_dir():
        raise UserError(f"--from-runs {args.from_runs}: no such folder; give a build folder holding runs/")
    dirs = [Path(d) for d in args.dir] or [results_dir() / "cards"]
    ready(args, ("write a card per finished run, then " if args.from_runs else "")
          + f"read the cards below {', '.join(map(str, dirs))} and write the table and figure")
    wrote = _cards_from_runs(Path(args.from_runs)) if args.from_runs else []
    missing = [str(d) for d in dirs if not d.exists()]
    if missing:
        raise UserError(f"no such folder or file: {', '.join(missing)} (write cards with tradeoff card first)")
    cards, skipped = read_cards(dirs)
    if not cards:
        raise UserError(f"no card file (kind deep.card) below {', '.join(map(str, dirs))}; write one with "
                        "tradeoff card MODEL --data DATA --norm NORM --eps E")
    rows = card_rows(cards)
    pub = published_rows(rows)
    table = atomic_write_text(build_dir() / "cards" / "leaderboard.md", markdown_table(rows, pub))
    figure = None
    if not args.no_figures:
        from ..figures.card_board import draw_leaderboard

        figure = draw_leaderboard(rows, pub, figures_dir() / "cards" / "leaderboard.png")
    if args.json:
        emit_json({"rows": rows, "published": pub, "table": str(table), "figure": str(figure) if figure else None,
                   "written_from_runs": wrote, "skipped": skipped})
        return 0
    print(format_table(rows, ["model", "dataset", "threat", "eps", "clean", "robust", "attack", "n", "limit"]))
    for path, why in skipped:
        print(f"skipped {path}: {why}", file=sys.stderr)
    print(f"\n{len(cards)} card(s); table: {table}" + (f"; figure: {figure}" if figure else ""))
    return 0


def _cards_from_runs(build: Path) -> list[str]:
    """Write a card for every finished run folder under ``build`` (deep.card_runs); the paths written."""
    from tradeoff.data.io import write_result
    from tradeoff.data.kinds import Kind
    from tradeoff.data.paths import results_dir
    from tradeoff.deep.card import card_stem
    from tradeoff.deep.card_runs import finished_runs, run_cards

    if not build.is_dir():
        raise UserError(f"--from-runs {build}: no such folder; give a build folder holding runs/")
    runs = finished_runs(build)
    if not runs:
        raise UserError(f"--from-runs {build}: no finished run folder (config.toml, model.pt, summary.json) below it")
    frontier, source = _frontier()
    out = []
    for run in runs:
        for payload, scale in run_cards(run, frontier, source):
            path = results_dir() / "cards" / f"{card_stem(payload['key'])}.json"
            out.append(str(write_result(path, Kind.DEEP_CARD, payload, scale=scale,
                                        dataset=payload["data"]["name"])))
        print(f"run card: {run}", file=sys.stderr)
    return out
