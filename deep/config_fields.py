"""Typed dataclass fields from plain values: the converter from a nested dict (a decoded TOML document) to nested
dataclasses, and the type check that names a bad field with its TOML spelling. Nothing here knows a particular
schema; deep.config uses it for the TrainConfig.

Conversion rules (:func:`from_dict`): a field whose type is a dataclass is built from a table (a dict) of its own;
the string ``"none"`` stands for None (TOML has no null); a single number where a list is expected is a
one-element list; integers become floats in float fields (and in lists of floats); a field's metadata may name a
``from_number`` function that turns a number into the field's value (or each number of a list field). Unknown
fields are errors naming the field and listing the allowed ones, with a hint when the field belongs to a nested
table, or the replacement of a renamed field. Types are not checked here: :func:`check_types` does that.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

#: How each field type is written in TOML (for the error messages).
TOML_SPELLING = {
    bool: "true or false (a TOML boolean, without quotes)",
    int: "an integer (e.g. 10; no quotes, no decimal point)",
    float: "a number (e.g. 0.001; no quotes)",
    str: 'a string in double quotes (e.g. "mnist")',
}


def is_number(value: Any) -> bool:
    """True for an int or a float (a bool is not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def field_kind(hint: Any) -> tuple[type | None, bool, bool]:
    """(element type, optional, is a list) of a field's type hint; element type None when not a simple type."""
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        rest = [a for a in args if a is not type(None)]
        optional = len(rest) < len(args)
        if len(rest) != 1:
            return None, optional, False
        hint = rest[0]
    if typing.get_origin(hint) is list:
        args = typing.get_args(hint)
        return (args[0] if args and args[0] in TOML_SPELLING else None), optional, True
    return (hint if hint in TOML_SPELLING else None), optional, False


def _type_ok(value: Any, base: type) -> bool:
    if base is bool:
        return isinstance(value, bool)
    if base is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if base is float:
        return is_number(value)
    return isinstance(value, base)


def check_types(obj: Any, prefix: str) -> None:
    """ValueError naming the first field of dataclass ``obj`` whose value has the wrong type, with its TOML
    spelling. Lists: every element is checked (``eval.eps[0]``); a single value given for a list is accepted by the
    TOML reader as a one-element list."""
    hints = typing.get_type_hints(type(obj))
    for f in fields(obj):
        base, optional, is_list = field_kind(hints[f.name])
        if base is None:
            continue
        value = getattr(obj, f.name)
        if value is None and optional:
            continue
        none = ' or "none"' if optional else ""
        name = prefix + f.name
        if is_list:
            if not isinstance(value, (list, tuple)):
                raise ValueError(f"config field {name!r} = {value!r} is invalid: allowed a list of "
                                 f"{TOML_SPELLING[base]}, e.g. [0.1, 0.3] (one value may be given alone){none}")
            for i, v in enumerate(value):
                if not _type_ok(v, base):
                    raise ValueError(f"config field '{name}[{i}]' = {v!r} (in {name} = {list(value)!r}) is invalid: "
                                     f"allowed {TOML_SPELLING[base]}")
        elif not _type_ok(value, base):
            raise ValueError(f"config field {name!r} = {value!r} is invalid: allowed {TOML_SPELLING[base]}{none}")


def _nested(cls: type, hints: dict) -> list[tuple[str, type]]:
    """The fields of ``cls`` that are tables of their own (their type is a dataclass), in field order."""
    return [(f.name, hints[f.name]) for f in fields(cls) if dataclasses.is_dataclass(hints[f.name])]


def from_dict(cls: type, data: Any, prefix: str = "", renamed: Mapping[str, str] | None = None) -> Any:
    """An instance of dataclass ``cls`` from the dict ``data`` (see the module docstring for the rules), not
    validated. ``prefix`` names the table in messages (``"adv."``); ``renamed[dotted name]`` tells how to write a
    renamed field instead (raised when it is the only unknown field of its table)."""
    renamed = renamed or {}
    if not isinstance(data, dict):
        table = prefix.rstrip(".") or "top level"
        raise ValueError(f"config table {table!r} must be a table, got {data!r}: write [{table}] on its own line, "
                         "then one key = value per line")
    known = {f.name: f for f in fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(data) - set(known))
    if len(unknown) == 1 and prefix + unknown[0] in renamed:
        raise ValueError(f"config field {prefix + unknown[0]!r} was renamed: {renamed[prefix + unknown[0]]}")
    if unknown:
        tables = [t for t, c in _nested(cls, hints) if unknown[0] in {f.name for f in fields(c)}]
        hint = "; did you mean " + " or ".join(f"{unknown[0]} under [{t}]" for t in tables) if tables else ""
        raise ValueError(
            f"unknown config field {prefix + unknown[0]!r}: allowed fields are {', '.join(sorted(known))}{hint}"
        )
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            value = from_dict(hint, value, f"{prefix}{name}.", renamed)
        elif isinstance(value, list):
            value = list(value)
        if isinstance(value, str) and value == "none":
            value = None
        base, _, is_list = field_kind(hint)
        convert = known[name].metadata.get("from_number")
        if convert is not None and not is_list and is_number(value):
            value = convert(value)
        if convert is not None and is_list and isinstance(value, list):
            value = [convert(v) if is_number(v) else v for v in value]
        if is_list and is_number(value):  # a single value where a list is expected: a one-element list
            value = [value]
        if base is float:
            if is_list and isinstance(value, list):
                value = [float(v) if is_number(v) else v for v in value]
            elif is_number(value):
                value = float(value)
        kwargs[name] = value
    return cls(**kwargs)
