"""The protocol of an exact study (theory/studies, linear/studies): definition → run → result → result file.

A study is defined by a frozen dataclass of its settings, validated when it is made (a ValueError in one line names
the setting and the fix). Its ``run()`` computes and returns a :class:`StudyResult`: the result kind (data.kinds), the
payload, the data set label and seeds the envelope records, the wall time and any warnings for the user (a solver that
did not converge). :func:`write_study` writes it where data.kinds says the kind lives, under ``<results>``, at scale
``exact`` (data.scales), with the definition's settings and their hash in the envelope. A study file is keyed by its
settings: a file of other settings already at that place is kept beside it as ``<name>-<its settings hash>.json``,
never overwritten (``tradeoff theory all`` does not replace a richer file written by a single command), and the
report chooses among them by scale and settings (reports.result_index). The command line only parses options into a
definition, runs it, writes, draws and prints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .io import read_result, settings_hash, to_jsonable, write_result
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
    settings: dict | None = None


#: Fields of a study definition that say where data lives on this machine, not what was computed.
_MACHINE_FIELDS = ("root",)


def study_settings(study: Any) -> dict:
    """The settings of a study definition (a dataclass) as plain JSON values, without the fields that only say
    where the data lives on this machine."""
    return {k: to_jsonable(v) for k, v in dataclasses.asdict(study).items() if k not in _MACHINE_FIELDS}


class Study(Protocol):
    """A study definition: settings checked when it is made, and ``run()`` computing its :class:`StudyResult`."""

    def run(self) -> StudyResult:
        """Compute the study's payload (the settings were checked when the definition was made)."""
        ...


def result_path(kind: Kind, results_root: str | os.PathLike) -> Path:
    """Where a study's result file of ``kind`` lives: ``<results_root>/<file of the kind>`` (data.kinds)."""
    return Path(results_root) / KINDS[kind].file


def write_study(result: StudyResult, results_root: str | os.PathLike) -> Path:
    """Write ``result`` as a result file (data.io.write_result, scale ``exact``, with its settings) at
    :func:`result_path`; a file of other settings there is kept beside it first (:func:`keep_aside`)."""
    path = result_path(result.kind, results_root)
    if result.settings is not None:
        keep_aside(path, settings_hash(result.settings))
    return write_result(path, result.kind, result.payload, wall_time_s=result.wall_time_s, scale=Scale.EXACT,
                        dataset=result.dataset, seeds=[int(s) for s in result.seeds], settings=result.settings)


def keyed_path(path: Path, key: str) -> Path:
    """``theory/finite_sample.json`` -> ``theory/finite_sample-<key>.json``."""
    return path.with_name(f"{path.stem}-{key}{path.suffix}")


def keep_aside(path: Path, new_hash: str) -> Path | None:
    """Before a file of settings ``new_hash`` is written at ``path``: a result file of other settings there moves to
    :func:`keyed_path` (its settings hash; a file written before files recorded settings: ``unkeyed-`` and a digest
    of its bytes), and a file kept aside earlier with the settings being written is removed (the new file supersedes
    it). Returns where the old file went, or None. An unreadable file at ``path`` is left to be replaced."""
    stale = keyed_path(path, new_hash)
    if stale.is_file():
        stale.unlink()
    if not path.is_file():
        return None
    try:
        old = read_result(path).get("settings_hash")
    except (ValueError, OSError):
        return None
    if old == new_hash:
        return None
    key = old or "unkeyed-" + hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    dest = keyed_path(path, str(key))
    os.replace(path, dest)
    return dest
