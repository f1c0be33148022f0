"""Weights files from outside the project: read a state_dict, fit its names to a module, load it.

A weights file is a PyTorch ``state_dict`` saved with ``torch.save`` (read with ``torch.load(weights_only=True)``,
which runs no pickled code) or a ``.safetensors`` file (read with the ``safetensors`` package when it is installed;
it is not a dependency of this project). Checkpoints that wrap the state_dict in a dict (``{"state_dict": ...}``,
``{"model": ...}``) are unwrapped. Names saved with a prefix the module lacks (``module.`` from DataParallel,
``model.``, ``_orig_mod.`` from torch.compile) have it stripped, and names the module has under a prefix the file
lacks get it added; every such change is reported. Every failure is a one-line ValueError or FileNotFoundError that
names the file, the check and the fix.
"""

from __future__ import annotations

import pickle
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from torch import nn

from tradeoff.data.errors import first_line

#: Entries under which checkpoints commonly keep the model's state_dict (tried in this order).
CONTAINER_KEYS = ("state_dict", "model_state_dict", "model", "net")


def _brief(names: Iterable[str], limit: int = 3) -> str:
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def read_state_dict(path: str | Path) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The tensors of weights file ``path`` by name (on the CPU) and notes on what was done to read them (a
    container entry taken). ``.safetensors`` files need the ``safetensors`` package; any other file is read with
    ``torch.load(weights_only=True)``. A missing file is a FileNotFoundError; a file that is not a state_dict (random
    bytes, JSON, a TorchScript archive, a whole pickled model, a dict of non-tensors) a one-line ValueError."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} does not exist; give the path of a saved state_dict")
    if path.suffix == ".safetensors":
        state = _read_safetensors(path)
    else:
        state = _torch_load_weights(path)
    return _unwrap(state, path)


def _read_safetensors(path: Path) -> dict:
    try:
        from safetensors.torch import load_file
    except ImportError as e:
        raise ValueError(f"weights file {path} is a .safetensors file and the safetensors package is not installed "
                         f"({first_line(e)}); install it: pip install safetensors") from e
    try:
        return load_file(str(path), device="cpu")
    except Exception as e:  # safetensors raises its own SafetensorError for a corrupt header
        raise ValueError(f"weights file {path} is not a readable .safetensors file ({first_line(e)}); write it with "
                         "safetensors.torch.save_file(model.state_dict(), path)") from e


def _torch_load_weights(path: Path):
    fix = "save the weights with torch.save(model.state_dict(), path)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns before refusing a TorchScript archive
            return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as e:
        text = str(e)
        if "TorchScript" in text:
            raise ValueError(f"weights file {path} is a TorchScript model, not a state_dict; give it as the model "
                             "itself, without weights") from e
        if not zipfile.is_zipfile(path):
            raise ValueError(f"weights file {path} is not a torch weights file (neither a torch.save zip archive "
                             f"nor a legacy torch pickle: {first_line(e)}); {fix}") from e
        if "Weights only load failed" in text:
            raise ValueError(f"weights file {path} holds pickled Python objects that torch.load(weights_only=True) "
                             f"refuses (a whole model saved with torch.save(model)?); {fix}") from e
        raise ValueError(f"weights file {path} is truncated or corrupt ({first_line(e)}); {fix}") from e


def _unwrap(state, path: Path) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The state_dict inside ``state`` (itself, or a container entry), checked to map names to tensors."""
    notes: list[str] = []
    if isinstance(state, Mapping) and not _all_tensors(state):
        for key in CONTAINER_KEYS:
            if isinstance(state.get(key), Mapping) and state[key] and _all_tensors(state[key]):
                state = state[key]
                notes.append(f"took the state_dict under the checkpoint's {key!r} entry")
                break
    if not isinstance(state, Mapping):
        raise ValueError(f"weights file {path} holds a {type(state).__name__}, not a state_dict (a dict of tensors "
                         "by name); save the weights with torch.save(model.state_dict(), path)")
    if not state:
        raise ValueError(f"weights file {path} holds an empty dict; save the weights with "
                         "torch.save(model.state_dict(), path)")
    bad = [k for k, v in state.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        k = bad[0]
        raise ValueError(f"weights file {path} is not a state_dict: its entry {k!r} holds a "
                         f"{type(state[k]).__name__}, not a tensor (entries: {_brief(map(str, state))}); save the "
                         "weights with torch.save(model.state_dict(), path)")
    return dict(state), notes


def _all_tensors(d: Mapping) -> bool:
    return all(isinstance(v, torch.Tensor) for v in d.values())


def _dotted_prefixes(keys: Iterable[str]) -> list[str]:
    """The prefixes ``"a."``, ``"a.b."``, ... that every key shares (whole dotted components, never a whole key)."""
    parts = [k.split(".") for k in keys]
    if not parts:
        return []
    out, prefix = [], ""
    for depth in range(min(len(p) for p in parts) - 1):
        first = {p[depth] for p in parts}
        if len(first) != 1:
            break
        prefix += first.pop() + "."
        out.append(prefix)
    return out


def match_names(state: Mapping[str, torch.Tensor], wanted: Iterable[str]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """``state`` renamed to fit the names ``wanted`` (a module's state_dict keys) as well as possible, by stripping
    a dotted prefix every name in the file shares and/or adding one every wanted name shares; the notes say what was
    changed (nothing when the names already fit best)."""
    wanted = set(wanted)
    best = (len(wanted & set(state)), "", "")
    for strip in [""] + _dotted_prefixes(state):
        for add in [""] + _dotted_prefixes(wanted):
            if not strip and not add:
                continue
            renamed = {add + k[len(strip):] for k in state}
            score = len(wanted & renamed)
            if score > best[0]:
                best = (score, strip, add)
    _, strip, add = best
    if not strip and not add:
        return dict(state), []
    notes = []
    if strip:
        notes.append(f"stripped the prefix {strip!r} from every weight name")
    if add:
        notes.append(f"added the prefix {add!r} to every weight name")
    return {add + k[len(strip):]: v for k, v in state.items()}, notes


def load_weights_into(module: nn.Module, state: Mapping[str, torch.Tensor], where: str, what: str) -> list[str]:
    """Load ``state`` into ``module`` (names fitted by :func:`match_names`, then strictly); returns the notes. Names
    missing from or unexpected in the file, or a tensor of another shape, are a one-line ValueError naming ``where``
    (the file), ``what`` (the module's source) and a few of the names."""
    own = module.state_dict()
    state, notes = match_names(state, own)
    missing, unexpected = set(own) - set(state), set(state) - set(own)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({_brief(missing)})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected ({_brief(unexpected)})")
        raise ValueError(f"weights file {where} does not fit the module of {what}: {'; '.join(parts)}; check that "
                         "the factory builds the architecture the weights were saved from")
    for name, t in state.items():
        if tuple(t.shape) != tuple(own[name].shape):
            raise ValueError(f"weights file {where} does not fit the module of {what}: {name} has shape "
                             f"{tuple(t.shape)} in the file but {tuple(own[name].shape)} in the module; check the "
                             "factory's arguments (widths, number of classes)")
    module.load_state_dict(state, strict=True)
    return notes
