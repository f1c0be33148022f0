"""The protocol of an exact study (theory/studies, linear/studies): definition → run → result → result file.

A study is defined by a frozen dataclass of its settings, validated when it is made (a ValueError in one line names
the setting and the fix). Its ``run()`` computes and returns a :class:`StudyResult`: the result kind (data.kinds), the
payload, the data set label and seeds the envelope records, the wall time and any warnings for the user (a solver that
did not converge). :func:`write_study` writes it where data.kinds says the kind lives, under ``<results>``, at scale
``exact`` (data.scales). The command line only parses options into a definition, runs it, writes, draws and prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .io import write_result
from .kinds import KINDS, Kind
from .scales import Scale


@dataclass(frozen=True)
class StudyResult:
    """What a study computed: its kind and payload, the envelope's data set label and seeds, the wall time in
    seconds, and warnings for the user (e.g. an unconverged fit; the numbers are written all the same)."""

    kind: Kind
    payload: dict
    dataset: str
    seeds: tuple[int, ...]
    wall_time_s: float
    warnings: tuple[str, ...] = ()


class Study(Protocol):
    """A study definition: settings checked when it is made, and ``run()`` computing its :class:`StudyResult`."""

    def run(self) -> StudyResult:
        """Compute the study's payload (the settings were checked when the definition was made)."""
        ...


def result_path(kind: Kind, results_root: str | os.PathLike) -> Path:
    """Where a study's result file of ``kind`` lives: ``<results_root>/<file of the kind>`` (data.kinds)."""
    return Path(results_root) / KINDS[kind].file


def write_study(result: StudyResult, results_root: str | os.PathLike) -> Path:
    """Write ``result`` as a result file (data.io.write_result, scale ``exact``) at :func:`result_path`."""
    return write_result(result_path(result.kind, results_root), result.kind, result.payload,
                        wall_time_s=result.wall_time_s, scale=Scale.EXACT, dataset=result.dataset,
                        seeds=[int(s) for s in result.seeds])
