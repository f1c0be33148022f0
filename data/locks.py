"""Locks that keep two processes from writing one folder at once: an OS file lock (``fcntl.flock``) on a lock file,
so the kernel releases it when the holder ends, however it ends (``kill -9`` included), and no stale lock is ever
left to clean up.

:func:`hold` takes the lock without waiting. A second writer gets :class:`Locked` (a ValueError, one line) naming the
folder, the holder's process id and command, and what to do; the lock file (kept between runs, it holds only the
last holder's pid and command) is written after the lock is taken. Within one process the lock is re-entrant: a
process that already holds it (a run folder opened again by the same command) passes. The run store takes it in
deep.runs.open_run; the commands that write a build folder's shared state (sweeps, merges, the campaign) take one
of their own.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

#: The lock file's name inside a locked folder.
LOCK_NAME = ".tradeoff.lock"

_HELD: dict[str, list] = {}  # resolved lock path -> [open file, depth] of the locks this process holds


class Locked(ValueError):
    """The folder is being written by another process (one line: which folder, the holder's pid, the fix)."""


def holder(lock_file: str | os.PathLike) -> str:
    """What the lock file says of its last holder: ``"process 1234 (tradeoff deep train ...)"``, or
    ``"another process"`` when it says nothing yet."""
    try:
        lines = Path(lock_file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    if not lines or not lines[0].strip().isdigit():
        return "another process"
    command = lines[1].strip() if len(lines) > 1 else ""
    return f"process {lines[0].strip()}" + (f" ({command[:120]})" if command else "")


@contextlib.contextmanager
def hold(folder: str | os.PathLike, what: str | None = None, name: str = LOCK_NAME) -> Iterator[Path]:
    """Hold the lock of ``folder`` (created if absent) for the ``with`` block; :class:`Locked` at once when another
    process holds it. ``what`` names the folder in the message (default ``folder <path>``)."""
    import fcntl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    key = str(path.resolve())
    if key in _HELD:  # re-entrant within this process
        _HELD[key][1] += 1
        try:
            yield path
        finally:
            _HELD[key][1] -= 1
        return
    f = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise Locked(f"{what or f'folder {folder}'} is being written by {holder(path)}; wait for it to finish (or "
                     "stop it), then run again: two writers would mix their files") from None
    try:
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n{' '.join(_command())}\n")
        f.flush()
        _HELD[key] = [f, 1]
        yield path
    finally:
        _HELD.pop(key, None)
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
        finally:
            f.close()


def _command() -> list[str]:
    argv = list(sys.argv) or ["python"]
    argv[0] = Path(argv[0]).name
    return argv
