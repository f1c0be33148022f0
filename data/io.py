"""Atomic file writes and the result-file envelope shared by every producer of results.

A result file is JSON: ``{"schema": 1, "kind": ..., "created": ..., "provenance": {...},
"wall_time_s": ..., "scale": ..., "evidence": ..., "dataset": ..., "payload": {...}}``; ``scale`` is a data.scales.Scale
and ``evidence`` whether that scale may decide a claim. ``provenance`` is recorded when the file is written: the
exact command line, the package version, the commit, the machine and device (data.provenance) and the precision the
payload ran at. A result keyed by its settings also records ``settings`` and ``settings_hash``. See
reports/RESULTS.md.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .scales import Scale, as_scale

RESULT_SCHEMA = 1


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None], mode: str = "wb") -> Path:
    """Write ``path`` atomically: ``write(fileobj)`` fills a temporary file in the same folder,
    which is flushed, fsynced and renamed over ``path``. On any error the temporary file is removed
    and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the final file the usual permissions
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Atomically replace ``path`` with ``data``."""
    return atomic_write(path, lambda f: f.write(data), "wb")


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Atomically replace ``path`` with UTF-8 ``text``."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(obj: Any) -> Any:
    """Convert dataclasses, numpy scalars/arrays, paths and non-finite floats into plain JSON values.
    NaN and infinities become ``None`` so that the files stay strict JSON."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Atomically write ``obj`` (after :func:`to_jsonable`) as indented, key-sorted strict JSON."""
    text = json.dumps(to_jsonable(obj), indent=2, sort_keys=True, allow_nan=False) + "\n"
    return atomic_write_text(path, text)


def pack_flags(flags) -> dict:
    """0/1 flags (e.g. per-image correctness) in a compact JSON form: ``{"encoding": "packbits-base64", "n": N,
    "data": ...}`` (numpy's packbits, big bit order, then base64)."""
    import base64

    bits = np.asarray(flags).astype(bool).ravel()
    return {"encoding": "packbits-base64", "n": int(bits.size),
            "data": base64.b64encode(np.packbits(bits).tobytes()).decode("ascii")}


def unpack_flags(packed: dict) -> np.ndarray:
    """The bool array :func:`pack_flags` packed; a ValueError naming what is wrong for anything else."""
    import base64

    if not isinstance(packed, dict) or packed.get("encoding") != "packbits-base64" or "data" not in packed:
        raise ValueError("packed flags need encoding 'packbits-base64', n and data (data.io.pack_flags)")
    raw = np.frombuffer(base64.b64decode(packed["data"]), dtype=np.uint8)
    n = int(packed["n"])
    if raw.size * 8 < n:
        raise ValueError(f"packed flags hold {raw.size * 8} bits, fewer than n = {n}")
    return np.unpackbits(raw)[:n].astype(bool)


def write_result(
    path: str | os.PathLike,
    kind: str,
    payload: Any,
    *,
    scale: Scale | str,
    wall_time_s: float | None = None,
    dataset: str | None = None,
    seeds: list[int] | None = None,
    provenance: dict | None = None,
    settings: dict | None = None,
) -> Path:
    """Write a result file in the shared envelope (schema 1) atomically and return its path. ``scale`` (data.scales)
    is recorded with whether it is evidence for a claim; an unknown scale is a ValueError. ``provenance`` defaults
    to :func:`data.provenance.collect_provenance` (the command line, versions, commit, machine and device, taken
    now); the precision of the payload (:func:`precision_of`) is added to it unless it names one. ``settings``: what
    the result was computed with, recorded with its :func:`settings_hash` (data.study keys study files by it)."""
    from .provenance import collect_provenance

    scale = as_scale(scale)
    prov = dict(provenance) if provenance is not None else collect_provenance()
    prov.setdefault("precision", precision_of(payload))
    envelope = {
        "schema": RESULT_SCHEMA,
        "kind": kind,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "provenance": prov,
        "wall_time_s": wall_time_s,
        "scale": scale.value,
        "evidence": scale.evidence,
        "dataset": dataset,
        "seeds": seeds,
        "payload": payload,
    }
    if settings is not None:
        envelope["settings"] = settings
        envelope["settings_hash"] = settings_hash(settings)
    return atomic_write_json(path, envelope)


def precision_of(payload: Any) -> Any:
    """The numeric precision a payload ran at: its ``precision`` record (deep.device.Precision.describe), else the
    distinct ``precision`` of its rows (e.g. ``["bf16"]``), else None (exact computations, older files)."""
    if not isinstance(payload, dict):
        return None
    if payload.get("precision") is not None:
        return to_jsonable(payload["precision"])
    rows = payload.get("rows")
    found = sorted({str(r["precision"]) for r in rows if isinstance(r, dict) and r.get("precision")}) \
        if isinstance(rows, list) else []
    return found or None


def settings_hash(settings: Any) -> str:
    """The first 10 hex digits of the SHA-256 of ``settings`` as sorted, compact JSON (the same settings, the same
    hash on every machine)."""
    import hashlib

    text = json.dumps(to_jsonable(settings), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def read_result(path: str | os.PathLike) -> dict:
    """Read a result file and check its envelope; raise ValueError naming the file if it is not one."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e}); delete it and rerun the command that wrote it") from e
    if not isinstance(obj, dict) or obj.get("schema") != RESULT_SCHEMA or "kind" not in obj:
        raise ValueError(f"{path}: not a tradeoff result file (no schema {RESULT_SCHEMA} envelope with a 'kind')")
    return obj
