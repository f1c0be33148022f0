"""How a run spreads over several GPUs: its processes (torch DistributedDataParallel launched by torchrun).

``torchrun --nproc_per_node N -m tradeoff.reports deep train CONFIG.toml [--run-dir DIR]`` trains one run
on N processes: the entry point is the ordinary ``tradeoff deep train`` command, which joins the process group
(:func:`init_distributed`). Rank, world size and local rank come from the environment torchrun sets (RANK, WORLD_SIZE,
LOCAL_RANK). Every rank holds the whole (on-device) dataset and takes the slice ``batch[rank::N]`` of each global
batch (:mod:`deep.datasets`), DDP averages the gradients, so a step is the step of the global batch. Only rank 0
writes files. The backend is NCCL on CUDA and gloo on CPU (used by the tests).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import torch
import torch.distributed as torch_dist


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in a (possibly single-process) run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """True when more than one process trains (DDP)."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, the only rank that writes files."""
        return self.rank == 0


def dist_from_env() -> DistInfo:
    """RANK / WORLD_SIZE / LOCAL_RANK from the environment (as torchrun sets them); single process otherwise."""
    try:
        return DistInfo(
            rank=int(os.environ.get("RANK", 0)),
            world_size=int(os.environ.get("WORLD_SIZE", 1)),
            local_rank=int(os.environ.get("LOCAL_RANK", 0)),
        )
    except ValueError as e:
        raise ValueError(f"RANK/WORLD_SIZE/LOCAL_RANK must be integers ({e}); launch with torchrun") from e


def init_distributed(device: str = "auto") -> DistInfo:
    """Join the process group when launched with WORLD_SIZE > 1 (NCCL with CUDA, else gloo); return the DistInfo.
    With CUDA, this rank's device becomes ``cuda:LOCAL_RANK``."""
    info = dist_from_env()
    if not info.enabled:
        return info
    use_cuda = device != "cpu" and torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(info.local_rank)
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return info


def shutdown(info: DistInfo) -> None:
    """Leave the process group (no-op for a single process)."""
    if info.enabled and torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def all_reduce_sum(t: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """Sum ``t`` over ranks in place (no-op for a single process); returns ``t``."""
    if info.enabled:
        torch_dist.all_reduce(t, op=torch_dist.ReduceOp.SUM)
    return t


def barrier(info: DistInfo) -> None:
    """Wait for every rank (no-op in a single-process run)."""
    if info.enabled:
        torch_dist.barrier()


def wrap_ddp(model: torch.nn.Module, info: DistInfo, device: torch.device) -> torch.nn.Module:
    """``DistributedDataParallel(model)`` in the distributed run ``info`` (parameters broadcast from rank 0)."""
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-256 of the model's state_dict tensors (name, dtype, bytes): equal digests mean identical weights."""
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        h.update(name.encode())
        h.update(str(t.dtype).encode())
        h.update(t.detach().to("cpu").contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def digests_agree(model: torch.nn.Module, info: DistInfo) -> bool:
    """True when every rank holds bit-identical weights (a DDP desynchronisation check)."""
    digest = weights_digest(model)
    if not info.enabled:
        return True
    gathered: list[str | None] = [None] * info.world_size
    torch_dist.all_gather_object(gathered, digest)
    return all(g == digest for g in gathered)
