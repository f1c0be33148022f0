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
