"""Where tradeoff keeps downloaded data and the outputs of its runs."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Dataset cache: ``$TRADEOFF_DATA``, else ``~/.cache/tradeoff``."""
    env = os.environ.get("TRADEOFF_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tradeoff"


def build_dir() -> Path:
    """Outputs of runs, figures and the report: ``$TRADEOFF_BUILD``, else ``reports/build`` under the cwd."""
    env = os.environ.get("TRADEOFF_BUILD")
    return Path(env).expanduser() if env else Path("reports") / "build"


def results_dir() -> Path:
    """Result JSON files written by the commands (``<build>/results``)."""
    return build_dir() / "results"


def figures_dir() -> Path:
    """Figures drawn by reports/ (``<build>/figures``)."""
    return build_dir() / "figures"


def runs_dir() -> Path:
    """Deep-learning run folders (``<build>/runs``)."""
    return build_dir() / "runs"


def share_file(path: str | os.PathLike) -> Path:
    """Give a file written atomically into the cache the usual permissions (``0o666`` minus the umask) instead of
    the owner-only ``0o600`` of its temporary file, so that a shared cache stays readable."""
    path = Path(path)
    mask = os.umask(0)
    os.umask(mask)
    path.chmod(0o666 & ~mask)
    return path
