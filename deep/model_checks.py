"""Checks that a loaded module is a usable classifier: finite weights, and on a probe batch, logits of shape
``(N, classes)`` that are finite and the same on every call.

The probe batch is a fixed pseudo-random batch of images in [0, 1] (the project's input convention: normalisation
lives inside the model). Whether a model expects other inputs (already normalised, or pixels in 0..255) cannot be
told from its outputs in general, so it is not checked here; see docs/cards.md "Loading models".

A model given in train mode is called twice on the probe batch as it was given: different outputs (dropout, noise
injection) are refused, since evaluation needs a deterministic model; equal outputs (a model whose only train-mode
layers are batch norm) mean it is put in eval mode, and said so. Batch-norm running statistics that the train-mode
calls update are restored afterwards, so probing changes no weight.
"""

from __future__ import annotations

import torch
from torch import nn

from tradeoff.data.errors import first_line

#: Images in the probe batch (more than one, so that a model that mixes the batch is seen).
PROBE_SIZE = 4
PROBE_SEED = 20190506


def probe_batch(input_shape: tuple[int, ...], device: str | torch.device = "cpu") -> torch.Tensor:
    """The fixed probe batch: ``PROBE_SIZE`` images of ``input_shape`` (C, H, W), uniform in [0, 1], seeded."""
    gen = torch.Generator().manual_seed(PROBE_SEED)
    return torch.rand((PROBE_SIZE, *input_shape), generator=gen).to(device)


def check_finite_weights(model: nn.Module, what: str) -> None:
    """A one-line ValueError naming the first parameter or buffer of ``model`` that holds NaN or ±inf."""
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            bad = int((~torch.isfinite(t)).sum())
            raise ValueError(f"{what}: weight {name} holds {bad} non-finite value(s) (NaN or inf); the weights are "
                             "broken (a diverged training run?): use another checkpoint")


def _call(model: nn.Module, x: torch.Tensor, what: str) -> torch.Tensor:
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as e:
        raise ValueError(f"{what}: the model fails on a probe batch of shape {tuple(x.shape)} ({first_line(e)}); "
                         "check the input shape (C, H, W) it takes") from e
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"{what}: the model returns a {type(out).__name__}, not a tensor of logits; wrap it so that "
                         "forward returns the (N, classes) logits")
    return out


def _check_output(out: torch.Tensor, n: int, num_classes: int | None, what: str) -> int:
    want = f"({n}, {num_classes})" if num_classes is not None else f"({n}, classes)"
    if out.dim() != 2 or out.shape[0] != n or (num_classes is not None and out.shape[1] != num_classes):
        raise ValueError(f"{what}: output shape is {tuple(out.shape)} on a batch of {n}, expected {want}; give the "
                         "right number of classes, or wrap the model so that it returns one row of logits per image")
    if out.shape[1] < 2:
        raise ValueError(f"{what}: output shape is {tuple(out.shape)}: one logit per image, a classifier needs one "
                         "per class (2 or more); wrap a binary model to return two logits [-z, z]")
    if not out.is_floating_point() or not bool(torch.isfinite(out).all()):
        raise ValueError(f"{what}: the logits on the probe batch are not finite floats (dtype {out.dtype}); fix "
                         "the weights or the model's forward")
    return int(out.shape[1])


def _differs(a: torch.Tensor, b: torch.Tensor) -> bool:
    return not torch.allclose(a, b, rtol=1e-5, atol=1e-6)


def check_classifier(model: nn.Module, input_shape: tuple[int, ...], num_classes: int | None, what: str,
                     device: str | torch.device = "cpu") -> tuple[int, list[str]]:
    """Check ``model`` on the probe batch and return (its number of classes, notes); puts a deterministic train-mode
    model in eval mode. ``num_classes`` None: taken from the output. One-line ValueErrors name ``what`` (the
    model's source), the check that failed, the value seen and the fix."""
    check_finite_weights(model, what)
    x = probe_batch(input_shape, device)
    notes: list[str] = []
    training = any(m.training for m in model.modules())
    saved = {k: v.detach().clone() for k, v in model.named_buffers()} if training else {}
    cuda = [torch.device(device)] if torch.device(device).type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):  # the caller's random state is left as it was
        first, second = _call(model, x, what), _call(model, x, what)
    if saved:
        with torch.no_grad():
            for name, buf in model.named_buffers():
                buf.copy_(saved[name])
    num_classes = _check_output(first, len(x), num_classes, what)
    if _differs(first, second):
        mode = "train mode" if training else "eval mode"
        raise ValueError(f"{what}: the model gives different logits on two calls with the same batch in {mode} "
                         "(dropout or noise?): call model.eval() / remove the randomness before loading it")
    if training:
        model.eval()
        notes.append("the model came in train mode (its logits did not vary between calls): put in eval mode")
        with torch.random.fork_rng(devices=cuda):
            first, second = _call(model, x, what), _call(model, x, what)
        _check_output(first, len(x), num_classes, what)
        if _differs(first, second):
            raise ValueError(f"{what}: the model gives different logits on two calls with the same batch in eval "
                             "mode: remove the randomness before loading it")
    return num_classes, notes
