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


#: Environment variables naming the folders of datasets that cannot be downloaded automatically.
DATASET_ROOT_VARS = {"cifar10": "TRADEOFF_CIFAR10_ROOT", "restricted_imagenet": "TRADEOFF_IMAGENET_ROOT",
                     "restricted_tiny_imagenet": "TRADEOFF_TINY_IMAGENET_ROOT"}


def dataset_root(name: str) -> Path | None:
    """The folder of dataset ``name`` given by its environment variable (``$TRADEOFF_CIFAR10_ROOT``: a CIFAR-10 copy
    in any of its formats; ``$TRADEOFF_IMAGENET_ROOT``: an ImageNet folder or sample with ``train/`` and/or ``val/``;
    ``$TRADEOFF_TINY_IMAGENET_ROOT``: the Restricted Tiny ImageNet folder with ``train/`` and ``val/``), or None when
    it is unset (CIFAR-10 then uses the cache; the ImageNet data sets need a folder)."""
    if name not in DATASET_ROOT_VARS:
        raise ValueError(f"no root variable for dataset {name!r}; known: {', '.join(DATASET_ROOT_VARS)}")
    env = os.environ.get(DATASET_ROOT_VARS[name])
    return Path(env).expanduser() if env else None
