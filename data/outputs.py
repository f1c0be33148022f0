"""A command's outputs, written only when the whole command succeeded: result files and figures are made in a
staging folder inside the build folder and moved into place at the end, each file by an atomic rename.

A command that fails (a bad value found late, a figure that cannot be drawn, Ctrl-C) leaves every earlier file
byte-identical: the staging folder is removed and nothing was replaced. ``kill -9`` can leave a staging folder
behind (``<build>/.staging-<pid>-…``); it is never read, and :func:`staged` removes those of processes that are gone.

>>> with staged(build_dir()) as stage:                              # doctest: +SKIP
...     path = write_study(result, stage.path(results_dir()))       # <build>/.staging-…/results/theory/...
...     draw(path, stage.path(figures_dir()))
... # here every staged file has replaced its final path
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = ".staging-"


class Stage:
    """One command's staging folder inside ``build``: :meth:`path` maps a final path under ``build`` to its staged
    place, :meth:`final` back; :meth:`commit` moves every staged file to its final path."""

    def __init__(self, build: str | os.PathLike):
        self.build = Path(build)
        self.build.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=self.build))

    def _relative(self, final: str | os.PathLike) -> Path:
        final = Path(final)
        try:
            return final.resolve().relative_to(self.build.resolve())
        except ValueError:
            raise ValueError(f"{final} is outside the build folder {self.build}; only files under it are "
                             "staged") from None

    def path(self, final: str | os.PathLike) -> Path:
        """Where the file or folder ``final`` (under the build folder) is made until the commit."""
        return self.root / self._relative(final)

    def final(self, staged: str | os.PathLike) -> Path:
        """The final path of a staged file."""
        return self.build / Path(staged).resolve().relative_to(self.root.resolve())

    def files(self) -> list[Path]:
        """The staged files, in a stable order."""
        return sorted(p for p in self.root.rglob("*") if p.is_file())

    def commit(self) -> list[Path]:
        """Move every staged file to its final path (folders created as needed; each move an atomic rename) and
        remove the staging folder. Returns the final paths."""
        done = []
        for f in self.files():
            target = self.final(f)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, target)
            done.append(target)
        self.discard()
        return done

    def discard(self) -> None:
        """Remove the staging folder and what it holds."""
        shutil.rmtree(self.root, ignore_errors=True)


def _remove_orphans(build: Path) -> None:
    """Remove the staging folders of processes that are gone (left by ``kill -9``)."""
    if not build.is_dir():
        return
    for d in build.glob(f"{PREFIX}*"):
        pid = d.name[len(PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:  # alive under another user, or not ours to judge
            pass


@contextlib.contextmanager
def staged(build: str | os.PathLike) -> Iterator[Stage]:
    """A :class:`Stage` in ``build`` for the ``with`` block: committed when the block ends normally, discarded when
    it raises (the exception goes on)."""
    build = Path(build)
    _remove_orphans(build)
    stage = Stage(build)
    try:
        yield stage
    except BaseException:
        stage.discard()
        raise
    stage.commit()
