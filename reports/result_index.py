"""The result index: every result file under the result folders, read once, and the preferred file per kind.

:func:`collect_results` reads each ``*.json`` below the given folders (``data.io.read_result``; the envelope is
described in reports/RESULTS.md) and lists the files it could not read with the reason. :class:`ResultIndex` orders
the files of each kind from the preferred one: largest scale; then, among files keyed by their settings (data.study:
``settings_hash``), the one that holds the most numbers (the richer study); then newest ``created``, then path. The
report builder and the claim rules read results only through this module.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradeoff.data import paths
from tradeoff.data.io import read_result
from tradeoff.data.scales import Scale, as_scale

# The committed GPU results ship inside the package, so they are found wherever the package is installed.
COMMITTED_RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class ResultFile:
    """One result file's envelope (see reports/RESULTS.md); ``path`` is the display path."""

    path: str
    kind: str
    created: str
    scale: Scale
    dataset: str | None
    seeds: tuple | None
    wall_time_s: float | None
    provenance: dict
    payload: Any
    settings_hash: str | None = None

    @property
    def numbers(self) -> int:
        """How many numbers the payload holds (how much a study measured)."""
        return count_numbers(self.payload)


def count_numbers(obj: Any) -> int:
    """The number of int/float leaves (not booleans) in a JSON value."""
    if isinstance(obj, dict):
        return sum(count_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(count_numbers(v) for v in obj)
    return int(isinstance(obj, (int, float)) and not isinstance(obj, bool))


@dataclass(frozen=True)
class SkippedFile:
    """A file under a result folder that is not a readable result file, and why."""

    path: str
    reason: str


@dataclass
class Collection:
    """Everything read from the result folders."""

    results: list[ResultFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    sources: list[tuple[str, bool]] = field(default_factory=list)


def default_result_dirs() -> list[Path]:
    """``<build>/results`` (computed here) and the committed ``reports/results`` (GPU runs)."""
    return [paths.results_dir(), COMMITTED_RESULTS]


def display_path(path: str | os.PathLike) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute; always with ``/``."""
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.resolve().as_posix()


def collect_results(dirs: list[str | os.PathLike]) -> Collection:
    """Read every ``*.json`` below each folder (recursively, sorted). Files that are not result files are listed
    as skipped with the reason; folders that do not exist are recorded as absent. Never raises for a bad file."""
    out = Collection()
    seen: set[Path] = set()
    for d in dirs:
        d = Path(d)
        out.sources.append((display_path(d), d.is_dir()))
        if not d.is_dir():
            continue
        for f in sorted(d.rglob("*.json")):
            if f.name.startswith(".") or not f.is_file() or f.resolve() in seen:
                continue
            seen.add(f.resolve())
            shown = display_path(f)
            try:
                env = read_result(f)
            except (ValueError, OSError) as e:
                out.skipped.append(SkippedFile(shown, str(e).replace(f"{f}: ", "")))
                continue
            if not isinstance(env.get("payload"), dict) or not isinstance(env.get("kind"), str):
                out.skipped.append(SkippedFile(shown, "envelope has no payload object or no kind string"))
                continue
            try:
                scale = as_scale(env.get("scale"))
            except ValueError:
                out.skipped.append(SkippedFile(shown, f"scale {env.get('scale')!r} is not one of data.scales (written "
                                                      "by an older version?); rerun the command that wrote it"))
                continue
            seeds = env.get("seeds")
            out.results.append(ResultFile(
                path=shown, kind=env["kind"], created=str(env.get("created") or ""), scale=scale,
                dataset=env.get("dataset"), seeds=tuple(seeds) if isinstance(seeds, list) else None,
                wall_time_s=env.get("wall_time_s") if isinstance(env.get("wall_time_s"), (int, float)) else None,
                provenance=env.get("provenance") if isinstance(env.get("provenance"), dict) else {},
                payload=env["payload"],
                settings_hash=env.get("settings_hash") if isinstance(env.get("settings_hash"), str) else None,
            ))
    out.results.sort(key=lambda r: r.path)
    out.skipped.sort(key=lambda s: s.path)
    return out


class ResultIndex:
    """Result files by kind, each list ordered from the preferred file (largest scale, then the richer of files keyed
    by their settings, then newest, then path)."""

    def __init__(self, results: list[ResultFile]):
        by_kind: dict[str, list[ResultFile]] = defaultdict(list)
        for r in results:
            by_kind[r.kind].append(r)
        self._by_kind = {k: _preferred_first(v) for k, v in by_kind.items()}

    def all(self, kind: str) -> list[ResultFile]:
        """Every file of ``kind``, preferred first."""
        return list(self._by_kind.get(kind, []))

    def best(self, kind: str) -> ResultFile | None:
        """The preferred file of ``kind``, or None."""
        files = self._by_kind.get(kind)
        return files[0] if files else None

    def kinds(self) -> list[str]:
        """All kinds present, sorted."""
        return sorted(self._by_kind)


def _preferred_first(files: list[ResultFile]) -> list[ResultFile]:
    """Largest scale first; then, among files keyed by their settings, the one holding the most numbers (files
    without settings count 0 here, so deep results keep the newest first); then newest ``created`` (ISO text sorts
    by time), then path (stable sorts, applied from the least to the most important key)."""
    out = sorted(files, key=lambda r: r.path)
    out.sort(key=lambda r: r.created, reverse=True)
    out.sort(key=lambda r: r.numbers if r.settings_hash else 0, reverse=True)
    out.sort(key=lambda r: r.scale.rank, reverse=True)
    return out
