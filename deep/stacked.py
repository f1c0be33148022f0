"""K models of one architecture as one module: the computation behind population training (deep.population).

A stack takes inputs ``x`` of shape ``(K, B, C, H, W)`` (member k's batch in ``x[k]``, pixels in [0, 1]) and
returns logits ``(K, B, classes)``; member k's output depends only on member k's parameters and inputs, so the
gradient of the summed loss is every member's own gradient, and an element-wise optimiser (SGD, Adam) on the
stacked parameters is K independent optimisers. Two implementations:

- :class:`GroupedMnistCNN`: the MNIST CNN of deep.models with the K members' channels side by side: each
  convolution is one grouped convolution (``groups=K``), each fully connected layer one batched matmul
  (``baddbmm``). One kernel per layer for all members instead of K small ones (bench/population.py measures it
  against a loop and ``torch.func.vmap``).
- :class:`LoopStack`: any deep.models network, K separate modules called in a loop (batch norm, ResNets, DDP);
  for K = 1 it is exactly the single model.

Both expose member k as a plain :class:`deep.models.NormalizedModel` state_dict (:meth:`member_state_dict`), so
every member is saved, loaded and evaluated as a single run would be.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .models import MnistCNN, NormalizedModel

#: the parameters of one MnistCNN, in ``model.parameters()`` order (an optimiser's state indexes them so).
_MNIST_PARAMS = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                 "fc2.weight", "fc2.bias")


class GroupedMnistCNN(nn.Module):
    """K MNIST CNNs (deep.models.MnistCNN) evaluated as one: parameter ``P`` of shape ``(K, *p.shape)`` holds
    member k's ``p`` in ``P[k]`` (fully connected weights transposed, see :meth:`to_stacked`); convolutions are
    grouped (``groups=K``) and fully connected layers batched matmuls, so a forward pass costs one kernel per layer
    whatever K."""

    def __init__(self, members: Sequence[NormalizedModel]):
        super().__init__()
        if not members or not all(isinstance(m.net, MnistCNN) for m in members):
            raise ValueError("GroupedMnistCNN stacks deep.models MnistCNN models only")
        self.k = len(members)
        first = members[0]
        self.register_buffer("mean", first.normalize.mean.detach().clone().view(1, 1, -1, 1, 1))
        self.register_buffer("std", first.normalize.std.detach().clone().view(1, 1, -1, 1, 1))
        self.width = first.net.conv1.out_channels
        for name in _MNIST_PARAMS:
            stacked = torch.stack([self.to_stacked(name, m.net.get_parameter(name).detach()) for m in members])
            self.register_parameter(name.replace(".", "_"), nn.Parameter(stacked.contiguous()))

    @staticmethod
    def to_stacked(name: str, t: torch.Tensor) -> torch.Tensor:
        """A member's tensor of parameter ``name`` (or of its optimiser state) in the stack's layout: fully
        connected weights are kept transposed, ``(in, out)``, so that the batched matmul reads them without a
        copy."""
        return t.t() if name.startswith("fc") and name.endswith("weight") else t

    @staticmethod
    def to_member(name: str, t: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`to_stacked`: a member's slice back in deep.models' layout."""
        return t.t().contiguous() if name.startswith("fc") and name.endswith("weight") else t

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(K, B, classes)`` of inputs ``(K, B, C, H, W)`` in [0, 1]."""
        k, b = x.shape[:2]
        h = ((x - self.mean) / self.std).transpose(0, 1).reshape(b, k * x.shape[2], *x.shape[3:])
        h = F.conv2d(h, self.conv1_weight.flatten(0, 1), self.conv1_bias.flatten(), padding=2, groups=k)
        h = F.max_pool2d(F.relu(h), 2)
        h = F.conv2d(h, self.conv2_weight.flatten(0, 1), self.conv2_bias.flatten(), padding=2, groups=k)
        h = F.max_pool2d(F.relu(h), 2)
        h = h.reshape(b, k, -1).transpose(0, 1)  # (K, B, features) in each member's own flatten order
        h = F.relu(torch.baddbmm(self.fc1_bias.unsqueeze(1), h, self.fc1_weight))
        return torch.baddbmm(self.fc2_bias.unsqueeze(1), h, self.fc2_weight)

    param_names = _MNIST_PARAMS

    def ordered_parameters(self) -> list[nn.Parameter]:
        """The stacked parameters in MnistCNN's ``parameters()`` order (optimiser state index i = parameter i)."""
        return [self.get_parameter(n.replace(".", "_")) for n in _MNIST_PARAMS]

    def member_state_dict(self, k: int) -> dict[str, torch.Tensor]:
        """Member ``k`` as a NormalizedModel state_dict (``0.mean``, ``0.std``, ``1.conv1.weight``, ...)."""
        sd = {"0.mean": self.mean.view(1, -1, 1, 1).clone(), "0.std": self.std.view(1, -1, 1, 1).clone()}
        for name in _MNIST_PARAMS:
            sd["1." + name] = self.to_member(name, self.get_parameter(name.replace(".", "_"))[k].detach()).clone()
        return sd

    @torch.no_grad()
    def load_member_state_dict(self, k: int, state: dict[str, torch.Tensor]) -> None:
        """Set member ``k``'s parameters from a NormalizedModel state_dict of the same architecture."""
        for name in _MNIST_PARAMS:
            self.get_parameter(name.replace(".", "_"))[k].copy_(self.to_stacked(name, state["1." + name]))


class LoopStack(nn.Module):
    """K models of any architecture called one after the other (``x[k]`` through member k); K = 1 is exactly
    the single model. ``train_members`` (used in train mode) may wrap the members in DDP or ``torch.compile``;
    ``attack_members`` (eval mode) are the plain (or compiled) members."""

    def __init__(self, members: Sequence[NormalizedModel]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.k = len(members)
        #: what runs in train mode (DDP / compiled wrappers) and in eval mode (the attack: no DDP hooks)
        self.train_members: list[nn.Module] = list(members)
        self.attack_members: list[nn.Module] = list(members)
        self.channels_last = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(K, B, classes)`` of inputs ``(K, B, C, H, W)``."""
        mods = self.train_members if self.training else self.attack_members
        outs = []
        for i, m in enumerate(mods):
            xi = x[i].contiguous(memory_format=torch.channels_last) if self.channels_last else x[i]
            outs.append(m(xi))
        return torch.stack(outs)

    def forward_some(self, x: torch.Tensor, active: Sequence[bool], fill: torch.Tensor) -> torch.Tensor:
        """Like :meth:`forward` for the members with ``active[k]``; ``fill[k]`` for the others, whose modules are not
        called (their batch norm statistics do not move)."""
        mods = self.train_members if self.training else self.attack_members
        outs = []
        for i, m in enumerate(mods):
            if not active[i]:
                outs.append(fill[i])
                continue
            xi = x[i].contiguous(memory_format=torch.channels_last) if self.channels_last else x[i]
            outs.append(m(xi))
        return torch.stack(outs)

    def ordered_parameters(self) -> list[nn.Parameter]:
        """Every member's parameters, member by member (each in its own ``parameters()`` order)."""
        return [p for m in self.members for p in m.parameters()]

    def member_state_dict(self, k: int) -> dict[str, torch.Tensor]:
        """Member ``k``'s state_dict."""
        return {n: t.detach().clone() for n, t in self.members[k].state_dict().items()}

    def load_member_state_dict(self, k: int, state: dict[str, torch.Tensor]) -> None:
        """Load member ``k``'s state_dict."""
        self.members[k].load_state_dict(state)


def can_group(model_name: str) -> bool:
    """True when deep.models' ``model_name`` has a grouped stack (the MNIST CNN: no batch norm, fixed layers)."""
    return model_name == "mnist_cnn"


def build_stack(members: Sequence[NormalizedModel], grouped: bool | None = None) -> GroupedMnistCNN | LoopStack:
    """A :class:`GroupedMnistCNN` of MnistCNN members when ``grouped`` (default: when K > 1 and they are MnistCNNs),
    else a :class:`LoopStack`."""
    if grouped is None:
        grouped = len(members) > 1 and all(isinstance(m.net, MnistCNN) for m in members)
    return GroupedMnistCNN(members) if grouped else LoopStack(members)
