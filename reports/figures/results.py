"""Every figure a result file has, drawn from that file: the one place that maps a result file to its figures.

A producing command that shows its figures right away (``tradeoff theory ...``, ``tradeoff linear fig5|frontier``,
``tradeoff deep reproduce``) writes its result files and then calls :func:`draw_result_files` on them; the figures
are functions of the payloads (reports/figures/*), never of the command's objects in memory, so the same file
gives the same figure whoever draws it. The report draws its own figures (the overviews, the figures from the rows
behind claims 5-8: reports.figures.verdicts) from the result files it reads, with the same functions.

=========================== ===================================================================================
kind                        figures (under the figures folder)
=========================== ===================================================================================
``theory.averaging``        ``theory_averaging.png``
``theory.frontier``         ``theory_frontier.png``
``theory.finite_sample``    ``theory_finite_sample.png``
``theory.gaussian_model``   ``theory_gaussian_model.png``
``linear.fig5``             ``fig5a_weights.png``, ``fig5b_correlation.png``, ``fig5c_topk.png``
``linear.frontier``         ``frontier_mnist.png`` (with the limit, theory and deep files of the same results)
``deep.sweep``              ``fig1_<dataset>.png``, ``fig6_…``, ``fig7_…`` (with the ``mixed`` file beside it)
``deep.pictures``           ``fig2_…``, ``fig3_…``, ``fig4_…``, ``fig8_…``, ``fig9_…``, ``fig10_…``
``deep.large_eps``          ``fig3_grid_<dataset>.png`` (claim 11's random example grid, from the judged examples)
=========================== ===================================================================================
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from tradeoff.data.io import read_result
from tradeoff.data.kinds import Kind, as_kind

Drawer = Callable[[dict, Path, Path], list[Path]]  # (envelope, result path, figures folder) -> PNGs


def _averaging(env: dict, path: Path, out: Path) -> list[Path]:
    from .theory_frontier import averaging_figure

    return [averaging_figure(env["payload"], out / "theory_averaging.png")]


def _frontier(env: dict, path: Path, out: Path) -> list[Path]:
    from .theory_frontier import draw_frontier

    return [draw_frontier(env["payload"], out / "theory_frontier.png")]


def _finite(env: dict, path: Path, out: Path) -> list[Path]:
    from .theory_finite import finite_sample_figure

    return [finite_sample_figure(env["payload"], out / "theory_finite_sample.png")]


def _gaussian(env: dict, path: Path, out: Path) -> list[Path]:
    from .gaussian_model import draw_sample_size

    return [draw_sample_size(env["payload"], out / "theory_gaussian_model.png")]


def _fig5(env: dict, path: Path, out: Path) -> list[Path]:
    from .linear import draw_fig5

    return draw_fig5(env["payload"], out)


def _linear_frontier(env: dict, path: Path, out: Path) -> list[Path]:
    from .frontier_everywhere import frontier_figure

    return [frontier_figure(env["payload"], path.parent.parent, out)]  # <results>/linear/frontier.json


def _sweep(env: dict, path: Path, out: Path) -> list[Path]:
    from .deep import sweep_figures

    payload, mixed = dict(env["payload"]), None
    payload.setdefault("scale", env.get("scale"))  # older sweep files name their scale in the envelope only
    if payload.get("experiment") == "fig7":  # Appendix B's mixed batches of the same dataset and scale, if run
        beside = path.with_name(path.name.replace("fig7_", "mixed_", 1))
        other = read_result(beside) if beside.is_file() else None
        if other is not None and other.get("kind") == Kind.DEEP_SWEEP and other.get("scale") == env.get("scale"):
            mixed = other["payload"]
    return sweep_figures(payload, out, mixed)


def _pictures(env: dict, path: Path, out: Path) -> list[Path]:
    from tradeoff.deep.experiments.picture_file import read_pictures

    from .deep import picture_figures

    payload, pictures = read_pictures(path)
    return picture_figures(pictures, str(payload["scale"]), out)


def _large_eps(env: dict, path: Path, out: Path) -> list[Path]:
    from .deep import _title, claim11_grid, dataset_name

    payload = env["payload"]
    examples = path.parent / str((payload.get("judged_examples") or {}).get("file", ""))
    if "grid" not in payload or not examples.is_file():  # an older producer, or the examples were not kept
        return []
    name = dataset_name(payload.get("dataset"))
    return [claim11_grid(payload, examples, out / f"fig3_grid_{name}.png", _title(name, str(env.get("scale"))))]


#: The figures of each kind that has some.
DRAWERS: dict[Kind, Drawer] = {
    Kind.THEORY_AVERAGING: _averaging, Kind.THEORY_FRONTIER: _frontier, Kind.THEORY_FINITE_SAMPLE: _finite,
    Kind.THEORY_GAUSSIAN_MODEL: _gaussian, Kind.LINEAR_FIG5: _fig5, Kind.LINEAR_FRONTIER: _linear_frontier,
    Kind.DEEP_SWEEP: _sweep, Kind.DEEP_PICTURES: _pictures, Kind.DEEP_LARGE_EPS: _large_eps,
}


def draw_result_file(path: str | os.PathLike, figures_dir: str | os.PathLike) -> list[Path]:
    """Draw the figures of the result file at ``path`` (see the module's table) into ``figures_dir``; none for a
    kind without figures. A ValueError names a file that is not a result file or lacks what its figure needs."""
    path = Path(path)
    env = read_result(path)
    try:
        kind = as_kind(env["kind"])
    except ValueError:
        return []
    drawer = DRAWERS.get(kind)
    return drawer(env, path, Path(figures_dir)) if drawer is not None else []


def draw_result_files(paths: Iterable[str | os.PathLike], figures_dir: str | os.PathLike) -> list[Path]:
    """:func:`draw_result_file` for each of ``paths`` in order; every figure drawn."""
    return [fig for p in paths for fig in draw_result_file(p, figures_dir)]
