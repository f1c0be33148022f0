"""Threat models for PGD as small step classes: projection, ascent step and random start.

Every class works on batches ``x`` of shape ``(N, ...)`` with pixel values in [0, 1]. ``eps`` and
``step_size`` are always measured in that [0, 1] pixel space (models normalise their inputs internally),
never in a normalised space. Every method returns points inside the ε-ball around ``x`` AND inside the
box [0, 1]^n.

- ℓ∞: ball ``{x' : max_i |x'_i - x_i| <= eps}``; step ``x' + a·sign(g)``; the random start is uniform on
  the intersection of the ball with the box (a product of intervals, so it can be sampled exactly).
- ℓ2: ball ``{x' : ||x' - x||_2 <= eps}``; step ``x' + a·g/||g||_2`` (normalised gradient); the random
  start is uniform in the ball (direction: normalised Gaussian; radius: eps·U^(1/n), n = number of
  dimensions per example), then clipped to the box. Clipping to [0, 1] only moves coordinates towards
  ``x`` (which is in the box), so it can never push a point out of the ball.

``eps`` and ``step_size`` are numbers, or tensors ``(N,)`` holding one value per example: :class:`MemberSteps`
uses that for population training (deep.population), where each of K models has its own norm, radius and step, so
that training and evaluation take the same steps and projections.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

_TINY = 1e-12
_ACTIVE_SET_PASSES = 4  # ℓ2 ball ∩ box projection (L2Step.project)


def as_batch_view(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape a per-example vector ``(N,)`` so that it broadcasts against ``like`` of shape ``(N, ...)``."""
    return v.view(-1, *([1] * (like.dim() - 1)))


def per_example_norm(t: torch.Tensor, p: float) -> torch.Tensor:
    """The ℓp norm of each example of ``t`` (shape ``(N, ...)``) as a vector ``(N,)``, computed in float32 or wider."""
    flat = t.flatten(1)
    if flat.dtype not in (torch.float32, torch.float64):
        flat = flat.float()
    return torch.linalg.vector_norm(flat, ord=p, dim=1)


def _per_example(v: float | torch.Tensor, like: torch.Tensor) -> float | torch.Tensor:
    """A number as it is; a per-example tensor ``(N,)`` viewed to broadcast against ``like`` ``(N, ...)``."""
    return as_batch_view(v, like) if torch.is_tensor(v) else v


class AttackStep:
    """Base class: a threat model ``{x' in [0,1]^n : ||x' - x|| <= eps}`` and PGD's ascent step in it.

    ``eps`` (>= 0, ``math.inf`` allowed: then the set is the whole box) and ``step_size`` (>= 0) are in
    [0, 1] pixel space: numbers (checked here), or float tensors ``(N,)`` with one finite value per example of
    the batches the rule will see (checked by their maker, e.g. :class:`MemberSteps`, before they reach the device:
    no host synchronisation here)."""

    norm: str = ""

    def __init__(self, eps: float | torch.Tensor, step_size: float | torch.Tensor):
        if not torch.is_tensor(eps):
            eps = float(eps)
            if math.isnan(eps) or eps < 0:
                raise ValueError(f"eps must be >= 0 in [0,1] pixel space (got {eps}); use math.inf for an unbounded "
                                 "attack")
        if not torch.is_tensor(step_size):
            step_size = float(step_size)
            if not math.isfinite(step_size) or step_size < 0:
                raise ValueError(f"step_size must be a finite number >= 0 (got {step_size})")
        self.eps = eps
        self.step_size = step_size

    def __repr__(self) -> str:
        return f"{type(self).__name__}(eps={self.eps}, step_size={self.step_size})"

    def project(self, x_adv: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The point of (ε-ball around ``x``) ∩ [0,1]^n that replaces ``x_adv``."""
        raise NotImplementedError

    def step(self, x_adv: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """One ascent step from ``x_adv`` along the loss gradient ``grad`` (not yet projected)."""
        return x_adv + self.step_size * self.direction(grad).to(x_adv.dtype)

    def direction(self, grad: torch.Tensor) -> torch.Tensor:
        """The steepest-ascent direction of unit norm for this threat model's norm (``sign(g)`` for ℓ∞,
        ``g/||g||_2`` for ℓ2; a zero gradient gives a zero direction)."""
        raise NotImplementedError

    def projector(self, x: torch.Tensor):
        """``project(x_adv)`` onto (ε-ball around ``x``) ∩ [0,1]^n with the work that depends only on ``x``
        done once (attacks call it every step). Same result as :meth:`project`."""
        return lambda x_adv: self.project(x_adv, x)

    def random_start(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A random point of (ε-ball around ``x``) ∩ [0,1]^n."""
        raise NotImplementedError

    def noise_start(self, x: torch.Tensor, generator: torch.Generator | None, scale: float) -> torch.Tensor:
        """``x`` plus ``scale`` times a standard Gaussian, projected into the ball ∩ box (TRADES' start, Zhang et
        al. 2019: a point next to ``x``, where the KL divergence to ``x``'s prediction has a non-zero gradient)."""
        noise = torch.empty_like(x).normal_(0.0, 1.0, generator=generator)
        return self.project(x + scale * noise, x)


class LinfStep(AttackStep):
    """ℓ∞ threat model: projection is coordinate-wise clipping to [x - eps, x + eps] ∩ [0, 1]; the step is
    ``step_size · sign(grad)`` (steepest ascent for the ℓ∞ norm)."""

    norm = "inf"

    def project(self, x_adv: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Clip to [x − eps, x + eps], then to [0, 1] (the box of intervals is their intersection)."""
        if not torch.is_tensor(self.eps) and self.eps >= 1.0:  # the ball around any x in [0,1]^n holds the box
            return x_adv.clamp(0.0, 1.0)
        eps = _per_example(self.eps, x)
        return torch.minimum(torch.maximum(x_adv, x - eps), x + eps).clamp(0.0, 1.0)

    def step(self, x_adv: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """``x_adv + step_size · sign(grad)`` (``sign`` is exactly ±1 or 0: one fused add for a number)."""
        if torch.is_tensor(self.step_size):
            return x_adv + _per_example(self.step_size, x_adv).to(x_adv.dtype) * grad.sign().to(x_adv.dtype)
        return x_adv.add(grad.sign().to(x_adv.dtype), alpha=self.step_size)

    def direction(self, grad: torch.Tensor) -> torch.Tensor:
        """``sign(grad)``."""
        return grad.sign()

    def projector(self, x: torch.Tensor):
        """Clipping to the per-pixel interval [max(0, x − eps), min(1, x + eps)], bounds computed once."""
        if not torch.is_tensor(self.eps) and self.eps >= 1.0:
            return lambda x_adv: x_adv.clamp(0.0, 1.0)
        eps = _per_example(self.eps, x)
        lo = (x - eps).clamp_(min=0.0)
        hi = (x + eps).clamp_(max=1.0)
        return lambda x_adv: torch.clamp(x_adv, lo, hi)

    def random_start(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Uniform on the product of intervals [max(0, x_i - eps), min(1, x_i + eps)], i.e. exactly uniform on
        the ball ∩ box (unlike uniform-then-clip, which piles mass on the box faces)."""
        eps = _per_example(self.eps.clamp(max=1.0), x) if torch.is_tensor(self.eps) else min(self.eps, 1.0)
        lo = (x - eps).clamp(min=0.0)
        hi = (x + eps).clamp(max=1.0)
        u = torch.empty_like(x).uniform_(0.0, 1.0, generator=generator)  # keeps x's memory format
        return (lo + (hi - lo) * u).clamp(0.0, 1.0)


class L2Step(AttackStep):
    """ℓ2 threat model: projection rescales ``x_adv - x`` onto the ball of radius ``eps`` (if outside) and then
    clips to [0, 1]; the step is ``step_size · grad / ||grad||_2`` per example (a zero gradient gives no move)."""

    norm = "2"

    def project(self, x_adv: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The Euclidean projection onto (ℓ2 ball of radius eps around ``x``) ∩ [0, 1]^n, per example.

        KKT: the projection of ``x + p`` is ``x + clip(s·p, −x, 1 − x)`` for the largest ``s ∈ (0, 1]`` with
        ``g(s) = ||clip(s·p)||² <= eps²``. With ``u_i`` the room of pixel i in the direction of ``p_i``,
        ``g(s) = Σ_{sat(s)} u_i² + s² Σ_{free(s)} p_i²`` (pixel i saturates once ``s|p_i| >= u_i``). From the
        feasible ``s₀ = eps/||p||``, the update ``s ← sqrt((eps² − Σ_sat u²) / Σ_free p²)`` never decreases s,
        keeps ``g(s) <= eps²`` and only adds saturated pixels (the same active-set iteration as the exact linear
        worst case in tradeoff.linear.robust); it is exact once the saturated set stops changing, which takes a
        few passes. A fixed number of passes (no host synchronisation) always returns a point inside the ball.
        Unlike rescaling then clipping, the result uses the whole budget where the box is active (the exact
        worst case of a linear model lies on the ball's surface). Per-example radii (a tensor ``eps``) are
        finite."""
        return self.projector(x)(x_adv)

    def projector(self, x: torch.Tensor):
        """:meth:`project` around ``x``, with what depends on ``x`` alone (the box's room on either side of every
        pixel and its square) computed once."""
        lo, hi = -x, 1.0 - x
        if not torch.is_tensor(self.eps) and not math.isfinite(self.eps):
            return lambda x_adv: (x + torch.clamp(x_adv - x, lo, hi)).clamp(0.0, 1.0)
        room_up = hi.flatten(1).float().clamp_min(0.0)  # how far pixel i may move up (delta > 0) and down
        room_down = x.flatten(1).float().clamp_min(0.0)
        u2_up, u2_down = room_up * room_up, room_down * room_down
        eps = self.eps
        eps2 = eps * eps

        def project(x_adv: torch.Tensor) -> torch.Tensor:
            # masks enter as 0/1 factors (m·a + (1 − m)·b): the same values as torch.where, which is several times
            # slower on a CPU (this runs at every attack step)
            delta = x_adv - x
            clipped = torch.clamp(delta, lo, hi)
            outside = per_example_norm(clipped, 2.0) > eps
            flat = delta.flatten(1).float()
            up = (flat > 0).to(flat.dtype)
            down = 1.0 - up
            room, u2 = room_up * up + room_down * down, u2_up * up + u2_down * down
            a = flat.abs()
            a2 = a * a
            s = (eps / a2.sum(1).sqrt().clamp_min(_TINY)).clamp(max=1.0)
            for _ in range(_ACTIVE_SET_PASSES):
                sat = (s[:, None] * a >= room).to(a2.dtype)
                su2 = (u2 * sat).sum(1)
                ra2 = (a2 - a2 * sat).sum(1)
                s_new = ((eps2 - su2).clamp_min(0.0) / ra2.clamp_min(_TINY)).sqrt()
                s = torch.maximum(s, torch.where(ra2 > 0, s_new, s)).clamp(max=1.0)
            inside = torch.clamp(delta * as_batch_view(s.to(delta.dtype), delta), lo, hi)
            # rounding: rescale the rare result a hair outside the ball back onto it
            n_in = per_example_norm(inside, 2.0)
            inside = inside * as_batch_view((eps / n_in.clamp_min(_TINY)).clamp(max=1.0).to(delta.dtype), inside)
            o = as_batch_view(outside.to(delta.dtype), delta)
            return (x + (inside * o + clipped * (1.0 - o))).clamp(0.0, 1.0)

        return project

    def step(self, x_adv: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """``x_adv + step_size · grad / ||grad||_2`` per example (norm in float32)."""
        norms = per_example_norm(grad, 2.0)
        scale = (self.step_size / norms.clamp_min(_TINY)).to(x_adv.dtype)
        return x_adv + grad.to(x_adv.dtype) * as_batch_view(scale, x_adv)

    def direction(self, grad: torch.Tensor) -> torch.Tensor:
        """``grad / ||grad||_2`` per example (norm in float32; a zero gradient stays zero)."""
        norms = per_example_norm(grad, 2.0)
        return grad * as_batch_view((1.0 / norms.clamp_min(_TINY)).to(grad.dtype), grad)

    def random_start(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Uniform in the ℓ2 ball: direction ``z/||z||`` with ``z`` standard Gaussian (isotropic), radius
        ``eps · U^(1/n)`` (so that P(radius <= r) = (r/eps)^n, the volume fraction); then clipped to [0, 1].
        An ε larger than the box diameter √n is reduced to √n (the ball then already contains the box)."""
        n = x[0].numel()
        eps = self.eps.clamp(max=math.sqrt(n)) if torch.is_tensor(self.eps) else min(self.eps, math.sqrt(n))
        z = torch.empty_like(x).normal_(0.0, 1.0, generator=generator)  # keeps x's memory format
        direction = z / as_batch_view(per_example_norm(z, 2.0).clamp_min(_TINY).to(x.dtype), z)
        u = torch.rand((x.shape[0],), generator=generator, device=x.device, dtype=torch.float64)
        radius = (eps * u.pow(1.0 / n)).to(x.dtype)
        return (x + direction * as_batch_view(radius, x)).clamp(0.0, 1.0)


_NORMS = {"inf": "inf", "linf": "inf", "l_inf": "inf", "2": "2", "l2": "2", "l_2": "2"}


def normalise_norm(norm: str | float | int) -> str:
    """``"inf"`` or ``"2"`` for any of the usual spellings (``"linf"``, ``math.inf``, ``"l2"``, ``2``, ...)."""
    if isinstance(norm, (int, float)) and not isinstance(norm, bool):
        key = "inf" if math.isinf(norm) else str(int(norm)) if float(norm).is_integer() else str(norm)
    else:
        key = str(norm).strip().lower()
    if key not in _NORMS:
        raise ValueError(f"unknown norm {norm!r}: use 'inf' (ℓ∞) or '2' (ℓ2)")
    return _NORMS[key]


def make_step(norm: str | float | int, eps: float, step_size: float) -> AttackStep:
    """The step class for ``norm`` (``"inf"`` or ``"2"``) with ``eps`` and ``step_size`` in [0,1] pixel space."""
    return LinfStep(eps, step_size) if normalise_norm(norm) == "inf" else L2Step(eps, step_size)


def default_step_size(eps: float, steps: int, norm: str | float = "inf", n: int | None = None) -> float:
    """The usual PGD step 2.5·ε/steps (Madry et al.): enough to cross the ball and come back (0 for ε = 0).
    The one place this default is written: training, evaluation and the configs use it. An ε beyond the box
    diameter (1 for ℓ∞, √n for ℓ2 with ``n`` dimensions) is replaced by the diameter when ``n`` is given."""
    if n is not None:
        eps = min(eps, box_diameter(norm, n))
    if not math.isfinite(eps):
        raise ValueError("an infinite ε needs the input size n (or an explicit step_size)")
    return 2.5 * eps / max(int(steps), 1)


def box_diameter(norm: str | float | int, n: int) -> float:
    """The largest distance between two points of [0,1]^n: 1 for ℓ∞, √n for ℓ2. An ε this large makes the
    threat model the whole box (an "unbounded" attack)."""
    return 1.0 if normalise_norm(norm) == "inf" else math.sqrt(n)



class MemberSteps(AttackStep):
    """The threat models of K models trained together (a population, deep.population) over their batches laid end
    to end: ``N = K·B`` examples, member k's in rows ``k·B`` to ``(k+1)·B − 1``. Member k has its own norm
    (``norms[k]``), radius and step (``eps[k]``, ``step_size[k]``, numbers checked here). Steps and projections run
    once over all N examples through :class:`LinfStep` / :class:`L2Step` with per-example radius and step tensors
    (a population with members of both norms computes both and picks per example). Random starts are drawn member by
    member, each from its own generator (``generator``: a sequence of K generators, or None), so member k draws the
    numbers a population of member k alone draws."""

    def __init__(self, norms: Sequence[str], eps: Sequence[float], step_size: Sequence[float], batch: int,
                 device: torch.device | str | None = None):
        if not (len(norms) == len(eps) == len(step_size)) or not norms:
            raise ValueError(f"give one norm, radius and step per member (got {len(norms)}, {len(eps)} and "
                             f"{len(step_size)})")
        self.members = [make_step(n, e, a) for n, e, a in zip(norms, eps, step_size)]
        if any(not math.isfinite(m.eps) for m in self.members):
            raise ValueError("a member's eps must be finite (population training attacks in a ball)")
        self.batch = int(batch)

        def per_example(values: list) -> torch.Tensor:
            return torch.tensor(values, device=device).repeat_interleave(self.batch)

        super().__init__(per_example([m.eps for m in self.members]), per_example([m.step_size for m in self.members]))
        l2 = [m.norm == "2" for m in self.members]
        self.linf = LinfStep(self.eps, self.step_size) if not all(l2) else None
        self.l2 = L2Step(self.eps, self.step_size) if any(l2) else None
        self.is_l2 = per_example(l2) if self.linf is not None and self.l2 is not None else None
        self.norm = self.members[0].norm if self.is_l2 is None else "mixed"

    def _pick(self, linf, l2) -> torch.Tensor:
        """ℓ2 rows from ``l2`` and ℓ∞ rows from ``linf`` (calling only the one a single-norm population needs)."""
        if self.is_l2 is None:
            return l2() if self.linf is None else linf()
        a, b = linf(), l2()
        return torch.where(as_batch_view(self.is_l2, a), b, a)

    def project(self, x_adv: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Each example's projection onto its member's ball ∩ box."""
        return self._pick(lambda: self.linf.project(x_adv, x), lambda: self.l2.project(x_adv, x))

    def projector(self, x: torch.Tensor):
        """:meth:`project` around ``x`` with the ℓ∞ bounds computed once."""
        if self.is_l2 is None:
            return (self.linf or self.l2).projector(x)
        p_inf, p_2 = self.linf.projector(x), self.l2.projector(x)
        return lambda x_adv: self._pick(lambda: p_inf(x_adv), lambda: p_2(x_adv))

    def step(self, x_adv: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """Each example's ascent step in its member's norm."""
        return self._pick(lambda: self.linf.step(x_adv, grad), lambda: self.l2.step(x_adv, grad))

    def direction(self, grad: torch.Tensor) -> torch.Tensor:
        """Each example's steepest-ascent direction in its member's norm."""
        return self._pick(lambda: self.linf.direction(grad), lambda: self.l2.direction(grad))

    def _generators(self, generator) -> list:
        gens = list(generator) if generator is not None else [None] * len(self.members)
        if len(gens) != len(self.members):
            raise ValueError(f"give one generator per member ({len(self.members)}), got {len(gens)}")
        return gens

    def random_start(self, x: torch.Tensor, generator: Sequence[torch.Generator | None] | None = None) -> torch.Tensor:
        """Member k's random start (its own threat model's) from ``generator[k]``."""
        parts = x.split(self.batch)
        return torch.cat([m.random_start(p, g) for m, p, g in zip(self.members, parts, self._generators(generator))])

    def noise_start(self, x: torch.Tensor, generator: Sequence[torch.Generator | None] | None,
                    scale: float) -> torch.Tensor:
        """TRADES' start (:meth:`AttackStep.noise_start`), member k's noise drawn from ``generator[k]``."""
        parts = x.split(self.batch)
        noise = torch.cat([torch.empty_like(p).normal_(0.0, 1.0, generator=g)
                           for p, g in zip(parts, self._generators(generator))])
        return self.project(x + scale * noise, x)
