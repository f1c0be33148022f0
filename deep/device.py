"""Where a run computes: its device (:func:`resolve_device`) and the precision and memory-layout policy of every
forward and backward pass on it (training steps, attacks, sanity checks).

One policy per device, chosen from the hardware and the run's ``amp`` and ``channels_last`` settings
(deep.config.TrainConfig; ``--precision`` on the command line):

- **bf16** (``torch.autocast`` to bfloat16; parameters, optimiser state and losses stay float32) where the device has
  bf16 matrix instructions: a CUDA GPU of compute capability 8.0 or newer, or a CPU with AMX-BF16 or AVX512-BF16
  (oneDNN then runs convolutions and matrix products on them). A CPU without them runs float32 and says so once.
- **float32** when ``amp`` is off (``--precision fp32``), the reference every bf16 number is checked against.
- **channels-last** (NHWC) memory for 4-d images and convolution weights when ``channels_last`` is on, on every
  device: oneDNN's and cuDNN's fastest convolutions use it (float32 included).

Numbers that decide claims do not depend on the policy: accuracies are always counted by a float32 forward pass
(deep.attacks.correctness re-checks every adversarial example found under bf16 outside autocast), and every result
file records the policy it ran under (:meth:`Precision.describe`). Measured speed-ups and the bf16-vs-float32
agreement are in docs/experiments.md ("Precision").
"""

from __future__ import annotations

import contextlib
import functools
import sys
from dataclasses import dataclass

import torch

from .distributed import DistInfo

#: CPU flags (Linux /proc/cpuinfo) of bf16 matrix instructions, best first, with the name results record
CPU_BF16_FLAGS = (("amx_bf16", "AMX-BF16"), ("avx512_bf16", "AVX512-BF16"))


@functools.lru_cache(maxsize=1)
def _cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def bf16_units(device: torch.device | str = "cpu") -> str | None:
    """The bf16 matrix instructions of ``device``, or None: ``"AMX-BF16"`` / ``"AVX512-BF16"`` for a CPU whose flags
    list them and whose oneDNN build can use them, ``"CUDA sm_XY"`` for a GPU of compute capability 8.0 or newer."""
    device = torch.device(device)
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        return f"CUDA sm_{major}{minor}" if major >= 8 else None
    if device.type != "cpu":
        return None
    flags = _cpu_flags()
    found = next((name for flag, name in CPU_BF16_FLAGS if flag in flags), None)
    return found if found is not None and _onednn_bf16() else None


def _onednn_bf16() -> bool:
    """Whether this torch build's oneDNN runs bf16 kernels on this CPU."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return torch.backends.mkldnn.is_available()


@dataclass(frozen=True)
class Precision:
    """A resolved policy: ``dtype`` of the autocast region (``torch.bfloat16``, or None for float32),
    ``channels_last`` memory for images and convolution weights, on ``device_type``; ``units`` the matrix
    instructions bf16 runs on (None for float32); ``note`` why this policy was chosen."""

    dtype: torch.dtype | None
    channels_last: bool
    device_type: str
    units: str | None = None
    note: str = ""

    @property
    def name(self) -> str:
        """``"bf16"`` or ``"fp32"``."""
        return "bf16" if self.dtype is torch.bfloat16 else "fp32"

    def autocast(self):
        """The autocast region of a forward pass (a no-op context for float32)."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=self.dtype)

    def model(self, model: torch.nn.Module) -> torch.nn.Module:
        """``model`` with channels-last convolution weights when the policy says so (in place; same values)."""
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        return model

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """A 4-d image batch in the policy's memory format (same values; other tensors unchanged)."""
        if self.channels_last and x.dim() == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    def describe(self) -> dict:
        """JSON-ready, for result files: ``{"precision": "bf16" | "fp32", "channels_last": bool, "units": ...,
        "note": ...}``."""
        return {"precision": self.name, "channels_last": self.channels_last, "units": self.units, "note": self.note}


def fp32_on(device: torch.device | str) -> Precision:
    """Plain float32 in the tensors' own layout on ``device`` (what a caller that names no policy gets)."""
    return Precision(None, False, torch.device(device).type, None, "float32")

_said: set[str] = set()


def _say_once(text: str) -> None:
    if text not in _said:
        _said.add(text)
        print(f"tradeoff: {text}", file=sys.stderr)


def resolve_precision(device: torch.device | str, amp: bool = True, channels_last: bool = True) -> Precision:
    """The policy for ``device``: bf16 autocast when ``amp`` and the device has bf16 matrix instructions
    (:func:`bf16_units`), else float32 (a CPU or GPU without them says so once on stderr); channels-last memory
    when ``channels_last``."""
    device = torch.device(device)
    if not amp:
        return Precision(None, channels_last, device.type, None, "float32 (asked for: --precision fp32 / amp = false)")
    units = bf16_units(device)
    if units is None:
        what = "GPU" if device.type == "cuda" else "CPU"
        _say_once(f"this {what} has no bf16 matrix instructions (AMX-BF16, AVX512-BF16 or CUDA sm_80+): float32")
        return Precision(None, channels_last, device.type, None, f"float32: the {what} has no bf16 matrix instructions")
    return Precision(torch.bfloat16, channels_last, device.type, units, f"bf16 autocast on {units}")


def parse_precision(text: str) -> bool:
    """``--precision`` as the ``amp`` setting: ``"auto"`` / ``"bf16"`` -> True (bf16 where the hardware has it),
    ``"fp32"`` -> False; a ValueError naming the choices otherwise."""
    value = str(text).strip().lower()
    if value in ("auto", "bf16"):
        return True
    if value == "fp32":
        return False
    raise ValueError(f"--precision {text!r} is unknown: choose auto (bf16 where the hardware has it), bf16 or fp32")


def resolve_device(name: str, dist: DistInfo | None = None) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is an error naming the fix."""
    dist = dist or DistInfo()
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError("device = 'cuda' but torch sees no GPU; set device = 'cpu' or 'auto'")
    return torch.device("cuda", dist.local_rank if dist.enabled else torch.cuda.current_device())
