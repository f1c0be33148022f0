"""Where and with what a result was computed: git commit, package versions, machine and device."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

_PACKAGES = ("numpy", "scipy", "scikit-learn", "sympy", "matplotlib", "torch")


def git_commit(cwd: str | os.PathLike | None = None) -> str:
    """The checkout's HEAD commit (with ``-dirty`` if the tree has changes); else ``$TRADEOFF_GIT_COMMIT`` (set it
    when running from a copy of the tree without ``.git``, e.g. on a remote GPU machine); else ``"unknown"``."""
    cwd = Path(cwd) if cwd else Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return os.environ.get("TRADEOFF_GIT_COMMIT", "unknown")


def cpu_model() -> str:
    """The CPU's model name as the OS reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_description() -> dict:
    """The accelerator torch sees (name, count, memory), or the CPU when there is none."""
    info: dict = {"cpu": cpu_model(), "cpu_count": os.cpu_count()}
    try:
        import torch
    except ImportError:
        info["accelerator"] = None
        return info
    info["torch_threads"] = torch.get_num_threads()
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info["accelerator"] = {
            "name": props.name,
            "count": torch.cuda.device_count(),
            "memory_gib": round(props.total_memory / 2**30, 1),
            "cuda": torch.version.cuda,
        }
    else:
        info["accelerator"] = None
    return info


def package_versions() -> dict:
    """Versions of Python and the numerical packages tradeoff depends on."""
    out = {"python": sys.version.split()[0]}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    try:
        out["tradeoff"] = metadata.version("tradeoff")
    except metadata.PackageNotFoundError:
        out["tradeoff"] = None
    return out


def collect_provenance() -> dict:
    """Everything a reader needs to know where a number came from."""
    return {
        "git_commit": git_commit(),
        "versions": package_versions(),
        "platform": platform.platform(),
        "machine": device_description(),
    }


def machine_line() -> str:
    """A one-line description of the machine, for benchmark output."""
    d = device_description()
    acc = d.get("accelerator")
    gpu = f", GPU {acc['name']}" if acc else ""
    return f"{d['cpu']} ({d['cpu_count']} cores){gpu}, {platform.system()} {platform.machine()}"
