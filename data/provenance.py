"""Where and with what a result was computed: the command line, git commit, package versions, machine and device."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

_PACKAGES = ("numpy", "scipy", "scikit-learn", "sympy", "matplotlib", "torch")


PROJECT_NAME = "tradeoff"


def _git(args: list[str], cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=True).stdout.strip()


def _project_name(pyproject: Path) -> str | None:
    """``[project] name`` of a pyproject.toml, or None when it is absent or unreadable."""
    try:
        import tomllib  # Python >= 3.11
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        name = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def project_checkout(start: str | os.PathLike) -> Path | None:
    """The top level of the git checkout holding ``start`` when it is a checkout of this project (its pyproject.toml
    names the project ``tradeoff``), else None (no git, no checkout, or someone else's repository)."""
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], Path(start))).resolve()
    except (OSError, subprocess.SubprocessError):
        return None
    return top if _project_name(top / "pyproject.toml") == PROJECT_NAME else None


def git_commit(cwd: str | os.PathLike | None = None) -> str:
    """The HEAD commit (with ``-dirty`` if tracked files changed) of the project checkout this code runs from, or of
    the checkout holding ``cwd`` when given.

    A checkout counts only when it is this project's (:func:`project_checkout`) and, without ``cwd``, when this module
    is that checkout's own ``data/provenance.py`` (an editable install): an installed wheel may sit inside someone
    else's repository, or inside a checkout of another version of this project, whose commit says nothing about the
    code that ran. Otherwise ``$TRADEOFF_GIT_COMMIT`` (set it when running from a copy of the tree without ``.git``,
    e.g. on a remote GPU machine, or from an installed wheel), else ``"unknown"``."""
    here = Path(__file__).resolve().parent.parent
    top = project_checkout(cwd if cwd is not None else here)
    if top is not None and (cwd is not None or top == here):
        try:
            sha = _git(["rev-parse", "HEAD"], top)
            dirty = _git(["status", "--porcelain", "--untracked-files=no"], top)
            return sha + ("-dirty" if dirty else "")
        except (OSError, subprocess.SubprocessError):
            pass
    return os.environ.get("TRADEOFF_GIT_COMMIT") or "unknown"


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


def command_line(argv: list[str] | None = None) -> str:
    """The command as a user would type it again: ``tradeoff ...`` for the console script (or ``python -m
    tradeoff.reports``), ``python -m bench.<name> ...`` for a benchmark module, else the program's file name; the
    arguments exactly as given (shell-quoted)."""
    argv = list(sys.argv if argv is None else argv)
    if not argv:
        return ""
    prog = Path(argv[0])
    if prog.name == "tradeoff" or prog.as_posix().endswith("reports/__main__.py"):
        head = "tradeoff"
    elif prog.parent.name == "bench" and prog.suffix == ".py":
        head = "python -m bench" + ("" if prog.stem == "__main__" else f".{prog.stem}")
    else:
        head = prog.name
    return " ".join([head, *(shlex.quote(a) for a in argv[1:])])


def device_text(machine: dict) -> str:
    """``GPU: NVIDIA H200`` or ``CPU: <model>`` from :func:`device_description`'s record."""
    acc = machine.get("accelerator") if isinstance(machine, dict) else None
    if isinstance(acc, dict) and acc.get("name"):
        return f"GPU: {acc['name']}"
    return f"CPU: {machine.get('cpu', 'unknown') if isinstance(machine, dict) else 'unknown'}"


def collect_provenance() -> dict:
    """Everything a reader needs to know where a number came from, recorded when the file is written: the exact
    command line (``argv``, and ``command`` as one could type it again), the package version, the commit, package
    versions, the platform, the machine and its device (data.io.write_result adds the precision)."""
    versions = package_versions()
    machine = device_description()
    return {
        "argv": list(sys.argv),
        "command": command_line(),
        "package_version": versions.get("tradeoff"),
        "git_commit": git_commit(),
        "versions": versions,
        "platform": platform.platform(),
        "machine": machine,
        "device": device_text(machine),
    }


def machine_line() -> str:
    """A one-line description of the machine, for benchmark output."""
    d = device_description()
    acc = d.get("accelerator")
    gpu = f", GPU {acc['name']}" if acc else ""
    return f"{d['cpu']} ({d['cpu_count']} cores){gpu}, {platform.system()} {platform.machine()}"
