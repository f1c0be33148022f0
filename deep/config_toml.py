"""A TrainConfig's TOML form: read it from a file or a text (:func:`load_config`, :func:`loads_config`), write it
(:func:`dumps_config`), and the example configs shipped in deep/configs/ (:func:`example_configs`).

Reading TOML uses :mod:`tomllib` (Python >= 3.11) or the ``tomli`` package on 3.10; writing needs nothing (the writer
below handles the flat tables this config uses).

TOML rules (each violation is a one-line ValueError naming the field, what is allowed and how to write it): top-level
keys plus the tables ``[adv]`` and ``[eval]``, no other key or table; booleans are TOML ``true``/``false`` (never
strings such as ``"no"``); integers are written without a decimal point; a number is accepted wherever a float is
expected; a single value where a list is expected (``[eval] eps = 0.05``, ``milestones = 50``) is read as a
one-element list, for every list field; ``"none"`` stands for None in the optional fields; ``name`` is a plain
folder name (deep.config.NAME_RULE) because the run folder is ``<build>/runs/<name>``. The rules are applied by
deep.config.config_from_dict (deep.config_fields) and TrainConfig.validate (sizes, radii and paths through
data.checks). A file may start with a UTF-8 byte-order mark; a file that sets nothing (empty, or only comments) is
refused, since it would silently train the default MNIST run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .config import TrainConfig, config_from_dict

EXAMPLES_DIR = Path(__file__).resolve().parent / "configs"


def _load_toml_bytes(raw: bytes, source: str) -> dict:
    try:
        import tomllib  # Python >= 3.11
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError as e:
            raise ValueError(
                f"reading {source} needs Python >= 3.11 (tomllib) or the 'tomli' package: pip install tomli"
            ) from e
    try:
        text = raw.decode("utf-8-sig")  # a UTF-8 byte-order mark (some editors write one) is read, not refused
    except UnicodeDecodeError as e:
        raise ValueError(f"{source} is not a TOML text file (not UTF-8 at byte {e.start}); give a TOML config, e.g. "
                         "the example 'mnist_standard' (deep/configs/mnist_standard.toml)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{source}: not valid TOML ({e})") from e


def example_configs() -> list[str]:
    """Names of the example configs shipped in deep/configs/."""
    return sorted(p.stem for p in EXAMPLES_DIR.glob("*.toml"))


def load_config(path: str | Path) -> TrainConfig:
    """Read a TrainConfig from a TOML file (top-level keys plus ``[adv]`` and ``[eval]`` tables); a bare example
    name (see :func:`example_configs`) loads deep/configs/NAME.toml."""
    path = Path(path)
    if not path.is_file() and (EXAMPLES_DIR / f"{path.name}.toml").is_file() and path.name == str(path):
        path = EXAMPLES_DIR / f"{path.name}.toml"
    if path.is_dir():
        raise ValueError(f"config {path} is a folder, not a TOML file; give CONFIG.toml (a run folder's config is "
                         f"{path / 'config.toml'})")
    if not path.is_file():
        raise FileNotFoundError(
            f"config file {path} not found; give a TOML path or an example name: {', '.join(example_configs())}"
        )
    data = _load_toml_bytes(path.read_bytes(), str(path))
    if not data:
        raise ValueError(f"config {path} sets nothing (it is empty or only comments): it would silently train the "
                         "default MNIST run; write the fields to set (e.g. name, dataset, [adv] eps) or start from an "
                         f"example: {', '.join(example_configs())}")
    return config_from_dict(data)


def loads_config(text: str) -> TrainConfig:
    """Parse a TrainConfig from TOML text."""
    return config_from_dict(_load_toml_bytes(text.encode("utf-8"), "<string>"))


def _toml_value(v: Any) -> str:
    if v is None:
        return '"none"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if math.isnan(v):
            return "nan"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps_config(cfg: TrainConfig) -> str:
    """The TOML text of ``cfg`` (round-trips through :func:`loads_config`)."""
    d = cfg.to_dict()
    nested = {k: d.pop(k) for k in ("adv", "eval")}
    lines = [f"{k} = {_toml_value(v)}" for k, v in d.items()]
    for table, values in nested.items():
        lines += ["", f"[{table}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"
