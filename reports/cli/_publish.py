"""How a command publishes its result files and figures: only when the whole command succeeded (data.outputs).

A command opens :func:`outputs` around its work; :func:`publish` writes a study's result file and draws that file's
figures into the command's staging folder; when the ``with`` block ends normally every staged file replaces its final
path (``<build>/results/...``, ``<build>/figures/...``), and when it raises nothing was replaced: a failing rerun
leaves the earlier result and figures byte-identical. The figures are drawn from the staged file by the drawer of
its kind (reports.figures.results.DRAWERS) with the file's final path, so a drawer that reads the files beside it
(the linear frontier's figure reads the limit, theory and deep results) sees the committed ones.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterator
from pathlib import Path

from tradeoff.data.io import read_result
from tradeoff.data.kinds import as_kind
from tradeoff.data.outputs import Stage, staged
from tradeoff.data.paths import build_dir, figures_dir, results_dir
from tradeoff.data.study import StudyResult, result_path, write_study

_STAGE: contextvars.ContextVar[Stage | None] = contextvars.ContextVar("tradeoff_stage", default=None)
_NOTES: contextvars.ContextVar[list | None] = contextvars.ContextVar("tradeoff_notes", default=None)


@contextlib.contextmanager
def outputs() -> Iterator[Stage]:
    """The command's staging folder for the ``with`` block (data.outputs.staged in the build folder); nested calls
    share the outer one, so a command made of steps (``theory all``) commits once, at its end."""
    outer = _STAGE.get()
    if outer is not None:
        yield outer
        return
    notes: list[tuple[str, bool]] = []
    with staged(build_dir()) as stage:
        token, notes_token = _STAGE.set(stage), _NOTES.set(notes)
        try:
            yield stage
        finally:
            _STAGE.reset(token)
            _NOTES.reset(notes_token)
    for line, to_stderr in notes:  # once the files are in place
        print(line, file=sys.stderr if to_stderr else sys.stdout)


def announce(line: str, to_stderr: bool = False) -> None:
    """Print ``line`` (e.g. ``wrote <file>``) once the outermost :func:`outputs` block has put the files in place;
    at once outside any block."""
    notes = _NOTES.get()
    if notes is None:
        print(line, file=sys.stderr if to_stderr else sys.stdout)
    else:
        notes.append((line, to_stderr))


def current() -> Stage:
    """The open staging folder (a RuntimeError outside :func:`outputs`: results are never written directly)."""
    stage = _STAGE.get()
    if stage is None:
        raise RuntimeError("publish() needs an open outputs() block")
    return stage


def draw_staged(staged: Path, final: Path, figures: Path) -> list[Path]:
    """The figures of the staged result file ``staged`` (whose final path is ``final``) drawn into ``figures``."""
    from ..figures.results import DRAWERS

    env = read_result(staged)
    try:
        kind = as_kind(env["kind"])
    except ValueError:
        return []
    drawer = DRAWERS.get(kind)
    return drawer(env, final, figures) if drawer is not None else []


def publish(result: StudyResult, draw: bool = True) -> tuple[Path, list[Path]]:
    """Write ``result``'s file (data.study.write_study) and draw its figures (unless ``draw`` is False) into the
    open staging folder; return the final paths they will have once the command succeeds."""
    stage = current()
    final = result_path(result.kind, results_dir())
    staged_path = write_study(result, stage.path(results_dir()))
    figures = draw_staged(staged_path, final, stage.path(figures_dir())) if draw else []
    return final, [stage.final(f) for f in figures]
