"""The one validation layer: the checks every entry point makes on what a user gives, the command line (its options,
reports/cli/_options.py), the training configs (deep.config) and the Python API alike.

Each check returns the value in its canonical form or raises :class:`CheckError` (a ValueError) whose message is one
line naming what was given, the value, what is allowed and, where there is one, the fix. ``name`` says who asks and
sets the wording:

* an option, an environment variable or a positional argument (``"--eps"``, ``"$TRADEOFF_BUILD"``, ``"RUN"``):
  ``--eps 2.0: must be a number in [0, 1] (...); <fix>``;
* a config field (``"config field 'adv.eps'"``): ``config field 'adv.eps' = 2.0 is invalid: allowed ...; <fix>``;
* an argument of a function (``"eps"``): ``eps must be a number in [0, 1] (...), got 2.0; <fix>``.

The rules:

* numbers (:func:`number`, :func:`integer`): finite (NaN and ±inf refused everywhere a number is asked for),
  within the range given; booleans are not numbers and strings are not parsed here;
* booleans only as booleans (:func:`boolean`: ``"no"``, ``0`` and ``1`` are refused);
* ε per norm (:func:`eps`): pixel space is [0, 1], so an ℓ∞ radius lies in [0, 1] and an ℓ2 radius in
  [0, √n] for n pixels (the box's diameter: beyond it every radius is the same threat model); without n, any
  finite number >= 0. ``inf`` is refused: an attack over the whole box is asked for with the box's diameter;
* sizes against the data set's real sizes (data.registry.dataset_size, on :func:`integer`): asking for more examples
  than a split has is refused, never cut silently;
* paths (:func:`path_text`, :func:`output_folder`, :func:`output_file`, :func:`input_folder`,
  :func:`input_file`): an empty path (which would mean the current folder) is refused, folders are checked for
  kind and permission before any work starts, and the kernel's pseudo file systems (/proc, /sys, /dev) are
  never an output;
* memory and time (:func:`memory`, :func:`work`): a size whose arrays cannot fit in the memory available now, or
  whose work exceeds a stated limit, is refused with the option to lower.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

#: Folders that are never an output (the kernel's pseudo file systems).
PSEUDO_FOLDERS = ("/proc", "/sys", "/dev")


class CheckError(ValueError):
    """A value refused by a check of this module (one line: what, the value, what is allowed, the fix)."""


# ----------------------------------------------------------------------------------------------- wording
def _shown(value: Any) -> str:
    """A value as the user wrote it: plain text as it is (quoted when empty or spaced), anything else as repr."""
    if isinstance(value, str):
        return value if value and value.strip() == value and " " not in value else repr(value)
    return repr(value)


def message(name: str, value: Any, allowed: str, fix: str | None = None) -> str:
    """The one-line message of a refused value, worded for an option, a config field or an argument (see the
    module docstring)."""
    if name.startswith(("-", "$")) or name[:1].isupper():  # an option, a variable or a positional (RUN)
        text = f"{name} {_shown(value)}: must be {allowed}"
    elif name.startswith("config field"):
        text = f"{name} = {value!r} is invalid: allowed {allowed}"
    else:
        text = f"{name} must be {allowed}, got {value!r}"
    return f"{text}; {fix}" if fix else text


def fail(name: str, value: Any, allowed: str, fix: str | None = None) -> NoReturn:
    """Raise the :class:`CheckError` of :func:`message`."""
    raise CheckError(message(name, value, allowed, fix))


def _bound(x: float) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


def _range(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{_bound(low)}, {_bound(high)}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {_bound(low)}"
    if high is not None:
        return f"{'<' if high_open else '<='} {_bound(high)}"
    return ""


# ----------------------------------------------------------------------------------------------- numbers
def is_number(value: Any) -> bool:
    """True for an int or a float, numpy's included (a bool is not a number here)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def number(name: str, value: Any, *, low: float | None = None, high: float | None = None, low_open: bool = False,
           high_open: bool = False, fix: str | None = None) -> float:
    """``value`` as a finite float within the range (``low_open``/``high_open``: the bound itself excluded)."""
    if hasattr(value, "ndim") and getattr(value, "ndim", 1) == 0 and hasattr(value, "item"):
        value = value.item()
    ok = is_number(value) and math.isfinite(float(value))
    if ok:
        x = float(value)
        ok = (low is None or (x > low if low_open else x >= low)) and (high is None or (x < high if high_open
                                                                                       else x <= high))
    if not ok:
        rule = _range(low, high, low_open, high_open)
        fail(name, value, "a finite number" + (f" {rule}" if rule else ""), fix)
    return float(value)


def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None,
            fix: str | None = None) -> int:
    """``value`` as an int within ``[low, high]`` (floats, even integral ones, and booleans refused)."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    ok = ok and (low is None or int(value) >= low) and (high is None or int(value) <= high)
    if not ok:
        rule = _range(low, high, False, False)
        fail(name, value, "an integer" + (f" {rule}" if rule else ""), fix)
    return int(value)


def boolean(name: str, value: Any) -> bool:
    """``value`` if it is a bool (``True``/``False``); strings such as ``"no"`` and numbers are refused."""
    if not isinstance(value, bool):
        try:
            import numpy as np

            if isinstance(value, np.bool_):
                return bool(value)
        except ImportError:  # pragma: no cover - numpy is a dependency
            pass
        fail(name, value, "True or False (a boolean; strings such as 'no' and numbers are not read as booleans)")
    return value


def choice(name: str, value: Any, options: Iterable[Any]) -> Any:
    """``value`` if it is one of ``options``."""
    options = tuple(options)
    if value not in options:
        fail(name, value, "one of " + ", ".join(_shown(o) for o in options))
    return value


# ----------------------------------------------------------------------------------------------- radii
NORMS = ("inf", "2")


def norm(name: str, value: Any) -> str:
    """A threat model's norm as its name: ``"inf"`` or ``"2"`` (the numbers ``inf`` and ``2`` are read as them)."""
    if is_number(value) and (value == math.inf or value == 2):
        return "inf" if value == math.inf else "2"
    return choice(name, value, NORMS)


def eps_bound(norm_name: str, dim: int | None = None) -> float:
    """The largest meaningful radius in pixel space [0, 1]^dim: 1 for ℓ∞, √dim for ℓ2 (inf when dim is unknown)."""
    if norm_name == "inf":
        return 1.0
    return math.sqrt(dim) if dim else math.inf


def eps(name: str, value: Any, norm_name: str, *, dim: int | None = None, positive: bool = False,
        fix: str | None = None) -> float:
    """A radius in pixel space for the ``norm_name`` ball: a finite number in [0, 1] for ℓ∞, in [0, √dim] for ℓ2
    (``dim`` pixels; any finite number >= 0 without it); ``positive`` excludes 0."""
    bound = eps_bound(norm_name, dim)
    where = ("l_inf: pixel space is [0, 1]" if norm_name == "inf" else
             f"l_2: sqrt({dim}), the diameter of the [0, 1] pixel box" if dim else "l_2")
    ok = is_number(value) and math.isfinite(float(value)) and (float(value) > 0 if positive else float(value) >= 0)
    ok = ok and float(value) <= bound
    if not ok:
        if math.isfinite(bound):
            allowed = f"a number in {'(' if positive else '['}0, {bound:.6g}] ({where})"
        else:
            allowed = f"a finite number {'>' if positive else '>='} 0 ({where})"
        fail(name, value, allowed, fix)
    return float(value)


# ----------------------------------------------------------------------------------------------- sizes
# ----------------------------------------------------------------------------------------------- paths
def path_text(name: str, value: Any) -> Path:
    """``value`` as a Path: a non-empty string (an empty path would mean the current folder), no NUL byte."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        fail(name, value, "a non-empty path (an empty one would mean the current folder)",
             "give the folder or file explicitly, e.g. . for the current folder")
    return Path(value).expanduser()


def _pseudo(path: Path) -> str | None:
    resolved = str(path.resolve())
    return next((p for p in PSEUDO_FOLDERS if resolved == p or resolved.startswith(p + "/")), None)


def output_folder(name: str, value: Any, what: str = "the output folder") -> Path:
    """A folder to write into: if it exists, a folder this process may write; otherwise its nearest existing parent
    must be (it will be created). Never under /proc, /sys or /dev."""
    path = path_text(name, value)
    _writable(name, value, path, what)
    return path


def _writable(name: str, value: Any, path: Path, what: str) -> None:
    """``path`` is, or can be made as, a folder this process writes (its nearest existing parent is a writable
    folder), outside the pseudo file systems; the message names ``value`` as given."""
    pseudo = _pseudo(path)
    if pseudo:
        fail(name, value, f"{what} on a normal file system (not under {pseudo})", "choose a folder of your own")
    probe = path
    while not probe.exists():
        if probe.is_symlink():  # a dangling link: nothing can be created through it
            fail(name, value, f"{what} (a folder)", f"{probe} is a broken link; remove it or choose another folder")
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        fail(name, value, f"{what} (a folder)", f"{probe} is a file, not a folder; choose another path")
    if not os.access(probe, os.W_OK | os.X_OK):
        fail(name, value, f"{what}, a folder you may write", f"{probe} is not writable; choose another folder")


def output_file(name: str, value: Any, suffix: str | None = None) -> Path:
    """A file to write: not an existing folder, its folder writable (:func:`output_folder`), with ``suffix`` when
    given (e.g. ``.npz``)."""
    path = path_text(name, value)
    if suffix and path.suffix != suffix:
        fail(name, value, f"a {suffix} file name", f"e.g. {path.with_suffix(suffix).name}")
    if path.is_dir():
        fail(name, value, "a file name", "it is a folder; give a file inside it")
    _writable(name, value, path.parent, "a file in a folder")
    return path


def input_folder(name: str, value: Any, what: str = "a folder") -> Path:
    """An existing folder this process may read."""
    path = path_text(name, value)
    if not path.exists():
        fail(name, value, f"{what} that exists", "check the path")
    if not path.is_dir():
        fail(name, value, what, "it is a file, not a folder; give the folder that holds it")
    if not os.access(path, os.R_OK | os.X_OK):
        fail(name, value, f"{what} you may read", "check its permissions")
    return path


def input_file(name: str, value: Any, what: str = "a file") -> Path:
    """An existing file this process may read."""
    path = path_text(name, value)
    if not path.exists():
        fail(name, value, f"{what} that exists", "check the path")
    if path.is_dir():
        fail(name, value, what, "it is a folder, not a file")
    if not os.access(path, os.R_OK):
        fail(name, value, f"{what} you may read", "check its permissions")
    return path


# ----------------------------------------------------------------------------------------------- memory and time
def available_memory() -> int | None:
    """Bytes of memory a new allocation can have now (Linux MemAvailable, else free physical pages; None if the
    system does not say)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, e.g. ``7.3 TiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError("unreachable")


def memory(name: str, value: Any, n_bytes: float, fix: str, limit: float | None = None) -> None:
    """Refuse ``value`` of ``name`` when its arrays need ``n_bytes``: more than the memory available now (or than
    ``limit`` bytes, when given)."""
    avail = available_memory() if limit is None else limit
    if avail is not None and n_bytes > avail:
        fail(name, value, f"small enough for memory: it needs {format_bytes(n_bytes)}, more than the "
                          f"{format_bytes(avail)} {'available' if limit is None else 'allowed'}", fix)


def work(name: str, value: Any, amount: float, limit: float, unit: str, fix: str) -> None:
    """Refuse ``value`` of ``name`` when its work, ``amount`` ``unit``, exceeds ``limit`` (a time guard: a size that
    would run for days is a typing mistake more often than a wish)."""
    if not amount <= limit:
        fail(name, value, f"at most {limit:.3g} {unit} of work in total (this asks {amount:.3g})", fix)
