"""The walk of ``tradeoff deep train CONFIG`` through the package's files (issue 20), traced with ``sys.setprofile``.

``python -m bench train_walk`` or ``python -m bench.train_walk``: trains a tiny toy run (dataset ``toy``, model
``tiny_cnn`` of width 4, 500 training points, ℓ∞ PGD-2 at ε = 0.1, one epoch) with the command line, in a temporary
build folder, and lists the walk; then the same command again (a rerun resumes: a two-epoch config interrupted
after its first epoch, not traced, then resumed). docs/architecture.md shows the lists.

The rule. A *stop* is a call from one file of the package into a function of another file that receives one of the
command's values (the CONFIG path, a TrainConfig, the run folder, ``resume``, a DistInfo) or an object holding one
(attributes and containers, three levels deep: a Population holds its TrainConfigs, a RunFolder its path), or that is
on the call stack at the first training attack step (deep.attacks.steps.MemberSteps.step). Methods of TrainConfig,
AdvConfig, EvalConfig and DistInfo, property reads, and everything they call are not stops; each function counts
once, at its first call. A *return* is a stop in a file an earlier stop already visited (stops minus files). The
walk starts at the ``tradeoff`` entry point (reports/cli/__init__.py main).

Target (issue 20): at most 15 stops and 5 returns from the command line to the attack step (CLI → config → store →
engine → attacks). The rest of the command (epoch end, evaluation, checkpoint, summary, result file) is listed
and counted too.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: issue 20's target was 15 stops; the run folder's lock (issue 24: data.locks.hold from deep.runs.open_run) is one more
MAX_STOPS, MAX_RETURNS = 16, 5
ATTACK_STEP = "MemberSteps.step"
NOT_STOPS = ("TrainConfig.", "AdvConfig.", "EvalConfig.", "DistInfo.")


@dataclass
class Walk:
    """The stops of one traced command, in order of their first call: ``(file, function, why)``; ``attack`` is the
    index of the attack step's stop."""

    stops: list[tuple[str, str, str]] = field(default_factory=list)
    attack: int | None = None

    def count(self, upto: int | None = None) -> tuple[int, int, int]:
        """(stops, files, returns) of the first ``upto`` stops (all when None)."""
        stops = self.stops[:upto] if upto is not None else self.stops
        files = {f for f, _, _ in stops}
        return len(stops), len(files), len(stops) - len(files)


class _Tracer:
    def __init__(self, roots: list[str], values: set[str], repo: Path):
        from tradeoff.deep.config import TrainConfig
        from tradeoff.deep.distributed import DistInfo

        self.roots, self.values, self.repo = roots, values, repo
        self.tracked = (TrainConfig, DistInfo)
        self.order: dict[tuple[str, str], int] = {}
        self.why: dict[tuple[str, str], str] = {}
        self.checks: dict[tuple[str, str], int] = {}
        self.attack_seen = False

    def ours(self, code) -> bool:
        return code.co_filename.startswith(tuple(self.roots))

    def rel(self, code) -> str:
        return Path(code.co_filename).relative_to(self.repo).as_posix()

    def holds(self, obj, depth: int = 3, seen: set | None = None) -> bool:
        seen = set() if seen is None else seen
        if id(obj) in seen:
            return False
        seen.add(id(obj))
        if isinstance(obj, self.tracked):
            return True
        if isinstance(obj, (str, os.PathLike)):
            return str(obj) in self.values or (isinstance(obj, Path) and str(obj.resolve()) in self.values)
        if depth == 0:
            return False
        if isinstance(obj, (list, tuple, set, frozenset)):
            return any(self.holds(v, depth - 1, seen) for v in list(obj)[:64])
        if isinstance(obj, dict):
            return any(self.holds(v, depth - 1, seen) for v in list(obj.values())[:64])
        if (type(obj).__module__ or "").startswith(("tradeoff", "argparse")):
            try:
                attrs = vars(obj)
            except TypeError:
                return False
            return any(self.holds(v, depth - 1, seen) for k, v in attrs.items()
                       if k not in ("_modules", "_parameters", "_buffers"))
        return False

    def not_a_stop(self, frame) -> bool:
        """A config/DistInfo method or a property getter (a read of a value, not a stop)."""
        code = frame.f_code
        if not self.ours(code):
            return False
        qual = code.co_qualname
        if qual.startswith(NOT_STOPS):
            return True
        owner, _, attr = qual.rpartition(".")
        cls = frame.f_globals.get(owner.split(".")[0]) if owner else None
        try:
            static = inspect.getattr_static(cls, attr) if cls is not None else None
        except AttributeError:
            return False
        return isinstance(static, (property, functools.cached_property))

    def caller(self, frame):
        f = frame.f_back
        while f is not None and not self.ours(f.f_code):
            f = f.f_back
        return f

    def receives(self, frame) -> str | None:
        code = frame.f_code
        n = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 4) + bool(code.co_flags & 8)
        for name in code.co_varnames[:n]:
            if name == "resume" or (name in frame.f_locals and self.holds(frame.f_locals[name])):
                return name
        return None

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        if not self.ours(code) or code.co_name.startswith("<"):
            return
        f = frame
        while f is not None:
            if self.not_a_stop(f):
                return
            f = f.f_back
        caller = self.caller(frame)
        if caller is None:
            return
        key = (self.rel(code), code.co_qualname)
        if key[0] != self.rel(caller.f_code):
            self.order.setdefault(key, len(self.order))
        if code.co_qualname == ATTACK_STEP and not self.attack_seen:
            self.attack_seen = True
            f = frame
            while f is not None:
                c = self.caller(f) if self.ours(f.f_code) else None
                k = (self.rel(f.f_code), f.f_code.co_qualname) if c is not None else None
                if k is not None and k[0] != self.rel(c.f_code):
                    self.why.setdefault(k, "on the stack at the attack step")
                f = f.f_back
            return
        if key in self.why or key[0] == self.rel(caller.f_code) or self.checks.get(key, 0) >= 3:
            return
        self.checks[key] = self.checks.get(key, 0) + 1
        name = self.receives(frame)
        if name:
            self.why[key] = f"receives {name}"

    def walk(self) -> Walk:
        keys = sorted(self.why, key=lambda k: self.order.get(k, 10**9))
        w = Walk([(f, q, self.why[(f, q)]) for f, q in keys])
        w.attack = next((i for i, (_, q, _) in enumerate(w.stops) if q == ATTACK_STEP), None)
        return w


def trace(work: Path, resume: bool) -> Walk:
    """Trace ``tradeoff deep train CONFIG`` (``resume``: the rerun of a run interrupted after its first epoch) in the
    folder ``work``."""
    import tradeoff.data
    import tradeoff.deep
    import tradeoff.linear
    import tradeoff.reports
    import tradeoff.theory
    from tradeoff.deep.config import TrainConfig
    from tradeoff.deep.config_toml import dumps_config
    from tradeoff.deep.train import TrainOptions, train_run
    from tradeoff.reports.cli import main as cli

    roots = [str(Path(m.__file__).parent) + os.sep for m in
             (tradeoff.data, tradeoff.theory, tradeoff.linear, tradeoff.deep, tradeoff.reports)]
    repo = Path(tradeoff.deep.__file__).resolve().parent.parent
    os.environ["TRADEOFF_BUILD"] = str(work / "build")
    cfg = TrainConfig(name="walk", dataset="toy", model="tiny_cnn", width=4, epochs=2 if resume else 1,
                      batch_size=250, n_train=500, device="cpu", progress=False)
    cfg = cfg.replace(adv={"norm": "inf", "eps": 0.1, "steps": 2},
                      eval={"eps": [0.1], "steps": 2, "n_epoch": 50, "n_final": 50})
    config = work / "walk.toml"
    config.write_text(dumps_config(cfg))
    run_dir = work / "build" / "runs" / "walk"  # the default folder, <build>/runs/<name>
    if resume:
        train_run(cfg, run_dir, TrainOptions(stop_after=1, progress=False))
    tracer = _Tracer(roots, {str(config), str(run_dir), str(run_dir.resolve())}, repo)
    sys.setprofile(tracer)
    try:
        rc = cli(["deep", "train", str(config)])  # a rerun resumes a partial run
    finally:
        sys.setprofile(None)
    if rc != 0:
        raise RuntimeError(f"tradeoff deep train exited with {rc}")
    return tracer.walk()


def report(walk: Walk, title: str) -> tuple[str, bool]:
    """The walk as numbered lines with its counts; whether the part up to the attack step meets the target."""
    lines, seen = [f"{title}:"], set()
    for i, (f, q, why) in enumerate(walk.stops, 1):
        lines.append(f"  {i:2d}. {f}:{q}{'  (return)' if f in seen else ''}  [{why}]")
        seen.add(f)
    upto = (walk.attack + 1) if walk.attack is not None else len(walk.stops)
    s, f, r = walk.count(upto)
    met = s <= MAX_STOPS and r <= MAX_RETURNS
    lines.append(f"  to the attack step: {s} stops in {f} files, {r} returns (target <= {MAX_STOPS} and "
                 f"<= {MAX_RETURNS}: {'met' if met else 'NOT met'})")
    s, f, r = walk.count()
    lines.append(f"  the whole command: {s} stops in {f} files, {r} returns")
    return "\n".join(lines), met


def main(argv: list[str] | None = None) -> int:
    """Trace both walks and print them (returns 0; the target is reported, not enforced)."""
    import torch

    torch.set_num_threads(1)
    build = os.environ.get("TRADEOFF_BUILD")
    try:
        for resume in (False, True):
            with tempfile.TemporaryDirectory() as d:
                walk = trace(Path(d), resume)
            text, _ = report(walk, "tradeoff deep train CONFIG" + (" (rerun of a partial run)" if resume else ""))
            print(text)
    finally:
        if build is None:
            os.environ.pop("TRADEOFF_BUILD", None)
        else:
            os.environ["TRADEOFF_BUILD"] = build
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
