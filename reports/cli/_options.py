"""The option types of the command line, on the one validation layer (data.checks).

An option's ``type=`` is one of the classes here; :class:`reports.cli._base.CommandParser` calls its
``parse(option, text)``, so a refused value is one line naming the option, the value, what is allowed and the fix
(``--d 0: must be an integer >= 1``). Numbers are written as Python writes them (``1e-3``, ``-inf`` reaches the
range check and is named there), NaN and ±inf are refused everywhere, integers may be written ``1e6``. Checks that
need two options (ε against ``--norm``, a size against the data set) are :func:`check_eps` and the data.checks
functions, called by the commands after parsing.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from tradeoff.data import checks


class OptionType:
    """An option's value type: ``parse(option, text)`` returns the value or raises data.checks.CheckError."""

    #: what argparse's help calls the type (and the metavar when none is given)
    name = "VALUE"

    def parse(self, option: str, text: str):
        raise NotImplementedError

    def __call__(self, text: str):  # argparse calls the type directly only for defaults given as text
        return self.parse("value", text)


def _float(option: str, text: str, allowed: str, fix: str | None = None) -> float:
    try:
        return float(str(text).strip())
    except ValueError:
        checks.fail(option, text, allowed, fix)


class Bound:
    """An :class:`OptionType` bound to its option's name (reports.cli._base.bind_types): argparse calls it with the
    text; a refused value is an argparse.ArgumentTypeError carrying the one-line message of data.checks."""

    def __init__(self, type_: OptionType, option: str):
        self.type, self.option = type_, option
        self.__name__ = type_.name

    def __call__(self, text: str):
        try:
            return self.type.parse(self.option, text)
        except checks.CheckError as e:
            raise argparse.ArgumentTypeError(str(e)) from None


class Number(OptionType):
    """A finite number within a range (data.checks.number)."""

    name = "X"

    def __init__(self, low: float | None = None, high: float | None = None, low_open: bool = False,
                 high_open: bool = False, fix: str | None = None):
        self.low, self.high, self.low_open, self.high_open, self.fix = low, high, low_open, high_open, fix

    def parse(self, option: str, text: str) -> float:
        value = _float(option, text, "a number", self.fix)
        try:
            return checks.number(option, value, low=self.low, high=self.high, low_open=self.low_open,
                                 high_open=self.high_open, fix=self.fix)
        except checks.CheckError:  # named as written ("nan", "-1e-3", not its float's repr)
            checks.fail(option, text, "a finite number" + _rule(self), self.fix)


def _rule(t: Number) -> str:
    r = checks._range(t.low, t.high, t.low_open, t.high_open)
    return f" {r}" if r else ""


class Integer(OptionType):
    """An integer within ``[low, high]``; ``1e6`` is read as 1000000 (data.checks.integer)."""

    name = "N"

    def __init__(self, low: int | None = None, high: int | None = None, fix: str | None = None):
        self.low, self.high, self.fix = low, high, fix

    def parse(self, option: str, text: str) -> int:
        allowed = "an integer" + (f" {checks._range(self.low, self.high, False, False)}"
                                  if self.low is not None or self.high is not None else "")
        t = str(text).strip()
        try:
            value = int(t)
        except ValueError:
            x = _float(option, text, allowed, self.fix)
            if not (math.isfinite(x) and x.is_integer()):
                checks.fail(option, text, allowed, self.fix)
            value = int(x)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            checks.fail(option, text, allowed, self.fix)  # named as written (1e30, not its float's digits)
        return value


class Radius(Number):
    """A radius in pixel space: a finite number >= 0 (the bound of its norm is checked by :func:`check_eps`)."""

    name = "EPS"

    def __init__(self, positive: bool = False):
        super().__init__(low=0.0, low_open=positive)


class PathText(OptionType):
    """A non-empty path (data.checks.path_text): nothing else is checked at parse time."""

    name = "PATH"

    def parse(self, option: str, text: str) -> Path:
        return checks.path_text(option, text)


class OutputFolder(OptionType):
    """A folder to write into (data.checks.output_folder)."""

    name = "DIR"

    def parse(self, option: str, text: str) -> Path:
        return checks.output_folder(option, text)


class InputFolder(OptionType):
    """An existing folder to read (data.checks.input_folder)."""

    name = "DIR"

    def __init__(self, what: str = "a folder"):
        self.what = what

    def parse(self, option: str, text: str) -> Path:
        return checks.input_folder(option, text, self.what)


class DataFolder(OptionType):
    """A data set's folder: a non-empty path that, when it exists, is a folder (a file there is a mistake, not a data
    set whose files are all missing). Whether it holds the data set is the reader's check."""

    name = "DIR"

    def parse(self, option: str, text: str) -> Path:
        path = checks.path_text(option, text)
        if path.exists() and not path.is_dir():
            raise checks.CheckError(f"{option} {text} is a file, not a folder; give the folder that holds (or will "
                                    f"hold) the data set's files, or omit {option} to use the cache")
        return path


class OutputFile(OptionType):
    """A file to write (data.checks.output_file), with ``suffix`` when given."""

    name = "FILE"

    def __init__(self, suffix: str | None = None):
        self.suffix = suffix

    def parse(self, option: str, text: str) -> Path:
        return checks.output_file(option, text, self.suffix)


class InputFile(OptionType):
    """An existing file to read (data.checks.input_file)."""

    name = "FILE"

    def parse(self, option: str, text: str) -> Path:
        return checks.input_file(option, text)


def check_eps(option: str, values, norm: str, dim: int | None = None, positive: bool = False) -> None:
    """Every radius of ``values`` (one or a list) within its norm's range in pixel space (data.checks.eps: [0, 1]
    for l_inf, [0, sqrt(dim)] for l_2)."""
    for v in values if isinstance(values, (list, tuple)) else [values]:
        checks.eps(option, v, norm, dim=dim, positive=positive,
                   fix=f"give {option} in pixel units for --norm {norm}")


class EtaRadius:
    """A theory radius given on the command line: a number, or a multiple of eta written ``eta``, ``2eta``, ``0.5*eta``
    (resolved once eta is known)."""

    def __init__(self, text: str):
        t = str(text).strip().lower().replace("*", "")
        self.text = text
        self.of_eta = t.endswith("eta")
        factor = (t[: -len("eta")] or "1") if self.of_eta else t
        try:
            self.value = float(factor)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number or a multiple of eta such as 2eta, got {text!r}") \
                from None
        if not (math.isfinite(self.value) and self.value >= 0):
            raise argparse.ArgumentTypeError(f"must be a finite number >= 0 (or a multiple of eta), got {text!r}")

    def resolve(self, eta: float) -> float:
        """The radius in absolute units."""
        return self.value * eta if self.of_eta else self.value


def eta_radius_list(text: str) -> list[EtaRadius]:
    """argparse type: comma-separated radii, e.g. ``0,eta,2eta``."""
    tokens = [t for t in str(text).split(",") if t.strip()]
    if not tokens:
        raise argparse.ArgumentTypeError(f"must be a comma-separated list of radii, e.g. 0,eta,2eta (got {text!r})")
    return [EtaRadius(t) for t in tokens]
