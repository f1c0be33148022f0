"""A GPU campaign that accumulates: plan the paper-scale deep runs, most informative first, skip every run that is
already in the committed results or the local build, train what a wall-clock budget fits, write partial results after
every run and pack what came back into one folder (and tarball) to commit under ``reports/results/``.

The plan (definitions and order) is deep.experiments.campaign_plan; what is already there and the cost of each
item, deep.experiments.campaign_inventory; the data a window carries, deep.experiments.campaign_data. This module
runs the plan: :class:`Campaign` skips what is there, trains what the budget fits and writes what came back.

**Outputs** under ``out/pack/`` after every run (atomic writes): the merged ``deep.sweep`` files of every touched
sweep (with ``allow_missing``: committed, local and new runs together), the picture result files, ``campaign.json``
(kind ``deep.campaign``: device, torch version, the commit that was sent, budget, wall time, every planned item and
its status, the rates) and ``campaign_runs.json`` (kind ``deep.campaign_runs``: the per-run results that are not
committed yet, so that a later window can merge them). :func:`pack` tars ``out/pack`` into ``out/campaign-pack.tgz``.
A second call with the same ``out`` and runs folder continues an interrupted one (finished runs are skipped, the
interrupted run resumes from its checkpoint).
"""

from __future__ import annotations

import json
import tarfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from tradeoff.data.io import atomic_write_json, read_result, write_result
from tradeoff.data.kinds import Kind

from .campaign_inventory import load_rates, pictures_units, rate_key, read_present, run_units
from .campaign_plan import DatasetCampaign, Item, plan
from .sweep import RESULT_NAME, execute, merge

#: Kept free of new runs at the end of the budget: the final merge and the pack (seconds).
RESERVE_S = 10.0


# ----------------------------------------------------------------------------------------------- running
@dataclass
class Status:
    """The state of one planned item in this call."""

    key: str
    dataset: str
    tier: int
    why: str
    status: str  # committed | local | done | budget | failed | todo
    estimate_s: float | None = None
    seconds: float | None = None
    groups: tuple[str, ...] = ()


@dataclass
class Campaign:
    """Everything one call needs. ``committed``: folders of committed results (reports/results); ``runs_root``: the
    local build's run folders; ``out``: the campaign folder (``out/pack`` is what comes back)."""

    campaigns: list[DatasetCampaign]
    engine: object
    runs_root: Path
    out: Path
    committed: list[Path]
    budget_s: float
    device: str = "cpu"
    commit_sent: str = "unknown"
    rates_path: Path | None = None
    log: Callable[[str], None] = lambda s: None
    clock: Callable[[], float] = time.monotonic
    population: int = 1  # runs trained together at most (the engine's population size on this device)

    def __post_init__(self):
        self.runs_root, self.out = Path(self.runs_root), Path(self.out)
        self.items = plan(self.campaigns)
        self.present = read_present(self.committed)
        self.rates = load_rates(self.rates_path, self.present)
        self._start = self.clock()
        self.statuses: dict[str, Status] = {}
        self.pictures_done: set[str] = set()
        self.trained_now: set[str] = set()
        from tradeoff.data.provenance import collect_provenance

        self._provenance = collect_provenance()  # once: it asks git, and the pack is rewritten after every run

    @property
    def pack_dir(self) -> Path:
        """The folder that comes back: ``out/pack``."""
        return self.out / "pack"

    # ------------------------------------------------------------------ the plan's state
    def state_of(self, item: Item) -> str:
        """``committed`` (in the committed results), ``local`` (finished in the local build) or ``todo``."""
        if item.pictures is not None:
            if item.key in self.present.pictures:
                return "committed"
            return "local" if item.key in self._local_pictures() else "todo"
        if item.key in self.present.runs:
            return "committed"
        return "local" if self.finished(item) else "todo"

    def finished(self, item: Item) -> bool:
        """:func:`~deep.experiments.sweep.is_finished` for a planned run, with the fingerprint computed at planning
        (the run's folder ``runs_root/<run id>`` holds a result for exactly this fingerprint)."""
        path = self.runs_root / item.key / RESULT_NAME
        if not path.is_file():
            return False
        try:
            return json.loads(path.read_text()).get("fingerprint") == item.fingerprint
        except (json.JSONDecodeError, OSError):
            return False

    def _local_pictures(self) -> set[str]:
        p = self.pack_dir / "campaign.json"
        if not p.is_file():
            return set()
        try:
            return set(read_result(p)["payload"].get("pictures_done") or [])
        except (ValueError, OSError):
            return set()

    def estimate(self, item: Item) -> float:
        """Predicted seconds of ``item`` on this device."""
        if item.pictures is not None:
            return pictures_units(item.pictures, self.runs_root) / self.rates.get(rate_key(self.device, item.pictures))
        return run_units(item.run) / self.rates.get(rate_key(self.device, item.run))

    def left(self) -> float:
        """Seconds of the budget left for new work (the reserve for the last merge and pack excluded)."""
        return self.budget_s - (self.clock() - self._start) - RESERVE_S

    def describe(self) -> list[Status]:
        """The plan with each item's state and estimate (for ``--plan``), without running anything."""
        out = []
        for it in self.items:
            st = self.state_of(it)
            out.append(Status(it.key, it.dataset, it.tier, it.why, st,
                              self.estimate(it) if st == "todo" else None, groups=it.groups))
        return out

    # ------------------------------------------------------------------ the loop
    def run(self) -> list[Status]:
        """Train what fits, in plan order; write the pack after every run (or population). Returns the statuses."""
        self.pictures_done = self._local_pictures()
        todo: list[Item] = []
        for it in self.items:
            st = self.state_of(it)
            self.statuses[it.key] = Status(it.key, it.dataset, it.tier, it.why, st, groups=it.groups)
            if st == "todo":
                todo.append(it)
        self.write()
        while todo:
            batch = self._next_batch(todo)
            est = sum(self.estimate(it) for it in batch)
            while batch and est > self.left():
                batch.pop()
                est = sum(self.estimate(it) for it in batch)
            if not batch:
                it = todo.pop(0)
                self.statuses[it.key].status = "budget"
                self.statuses[it.key].estimate_s = self.estimate(it)
                self.log(f"not started (budget): {it.key} needs ~{self.estimate(it):.0f}s, {self.left():.0f}s left")
                continue
            for it in batch:
                todo.remove(it)
            self._run_batch(batch, est)
            self.write(batch)
        self.write([])
        return list(self.statuses.values())

    def _next_batch(self, todo: list[Item]) -> list[Item]:
        """The first item and, when the engine trains populations, the later items of the same dataset and tier
        that train in lockstep with it (deep.population_plan.population_key), up to ``population`` runs."""
        first = todo[0]
        if first.pictures is not None or self.population <= 1 or not hasattr(self.engine, "train_many"):
            return [first]
        from ..population_plan import population_key

        key = population_key(first.run.config)
        batch = [first]
        for it in todo[1:]:
            if len(batch) >= self.population:
                break
            if it.run is not None and it.dataset == first.dataset and it.tier == first.tier and \
                    population_key(it.run.config) == key:
                batch.append(it)
        return batch

    def _run_batch(self, batch: list[Item], est: float) -> None:
        units = 0.0
        t = self.clock()
        for it in batch:
            self.statuses[it.key].estimate_s = self.estimate(it)
        try:
            if batch[0].pictures is not None:
                it = batch[0]
                units = pictures_units(it.pictures, self.runs_root)
                self.log(f"pictures {it.key} (~{est:.0f}s)")
                from .pictures import model_runs, run_pictures

                run_pictures(it.pictures, self.engine, self.runs_root, self.pack_dir / "results", log=self.log)
                self.pictures_done.add(it.key)
                self.trained_now |= {r.run_id for r in model_runs(it.pictures).values()}
            else:
                units = sum(run_units(it.run) for it in batch)
                self.log(f"train {len(batch)} run(s) (~{est:.0f}s): {', '.join(it.key for it in batch)}")
                execute([it.run for it in batch], self.engine, self.runs_root, log=self.log)
                self.trained_now |= {it.key for it in batch}
        except (ValueError, FloatingPointError, RuntimeError) as e:  # a diverged run: keep going with the others
            for it in batch:
                done = it.run is not None and self.finished(it)
                self.statuses[it.key].status = "done" if done else "failed"
            self.log(f"failed: {type(e).__name__}: {e}")
            return
        dt = self.clock() - t
        key = rate_key(self.device, batch[0].pictures if batch[0].pictures is not None else batch[0].run)
        # a population of K runs learns the rate of one member (units / K per wall second): conservative for the
        # next population, right for a single run
        self.rates.learn(key, units / len(batch), dt)
        for it in batch:
            self.statuses[it.key].status = "done"
            self.statuses[it.key].seconds = dt / len(batch)
        self.log(f"done in {dt:.1f}s ({self.left():.0f}s left)")

    # ------------------------------------------------------------------ outputs
    def _run_results(self) -> dict[str, dict]:
        """Per-run results of every planned run finished in the local build (all of them: a resumed window packs
        what its interrupted predecessor finished)."""
        out = {}
        for it in self.items:
            if it.run is not None and self.finished(it):
                out[it.key] = json.loads((self.runs_root / it.key / RESULT_NAME).read_text())
        return out

    def write(self, touched: Iterable[Item] | None = None) -> None:
        """(Re)write ``out/pack``: the merged sweeps (those of the ``touched`` items; all when None),
        ``campaign_runs.json``, ``campaign.json``; and the rate file."""
        local = self._run_results()
        merge_root = self.out / "merged_runs"
        inputs = {}
        for it in self.items:
            res = local.get(it.key) if it.key in local else self.present.runs.get(it.key)
            # a result rebuilt from table rows may lack a norm of a standard run (its other sweep's file is absent):
            # it is still never retrained, but it enters the merge only with every norm the run is evaluated in
            if it.run is not None and res is not None and set(it.run.eval_norms) <= set(res.get("robust") or {}):
                inputs[it.key] = res
        for rid, res in inputs.items():
            target = merge_root / rid / RESULT_NAME
            if not target.is_file() or json.loads(target.read_text()) != res:
                atomic_write_json(target, res)
        results = self.pack_dir / "results"
        pool = self.items if touched is None else list(touched)
        touched = {(it.dataset, g) for it in pool if it.run is not None
                   and (it.key in local or it.key in self.present.runs) for g in it.groups}
        if any(it.pictures is not None for it in pool):  # the picture models may be sweep runs too
            from .pictures import model_runs

            ids = {r.run_id for it in pool if it.pictures is not None for r in model_runs(it.pictures).values()}
            touched |= {(it.dataset, g) for it in self.items if it.key in ids for g in it.groups}
        for c in self.campaigns:
            for exp in c.sweeps:
                if (c.dataset, exp.group) in touched:
                    merge(exp, merge_root, results, allow_missing=True)
        new = {k: v for k, v in local.items() if k not in self.present.runs or self.present.runs[k] is None}
        write_result(self.pack_dir / "campaign_runs.json", Kind.DEEP_CAMPAIGN_RUNS, {"runs": new},
                     scale="campaign", provenance=self._provenance)
        write_result(self.pack_dir / "campaign.json", Kind.DEEP_CAMPAIGN, self.summary(),
                     wall_time_s=self.clock() - self._start, scale="campaign", provenance=self._provenance)
        if self.rates_path is not None:
            atomic_write_json(self.rates_path, self.rates.measured)

    def summary(self) -> dict:
        """The ``deep.campaign`` payload: where and what ran, and every item's status."""
        import torch

        return {
            "device": self.device, "torch": torch.__version__, "cuda": torch.version.cuda,
            "commit_sent": self.commit_sent, "budget_s": self.budget_s, "wall_time_s": self.clock() - self._start,
            "datasets": [c.dataset for c in self.campaigns],
            "pictures_done": sorted(self.pictures_done),
            "rates": dict(self.rates.measured),
            "items": [asdict(s) for s in self.statuses.values()],
            "counts": {k: sum(s.status == k for s in self.statuses.values())
                       for k in ("committed", "local", "done", "budget", "failed")},
        }


def pack(out: str | Path) -> Path:
    """Tar ``out/pack`` into ``out/campaign-pack.tgz`` (atomically: written beside, then renamed) and return it."""
    out = Path(out)
    src = out / "pack"
    if not (src / "campaign.json").is_file():
        raise ValueError(f"{src}: no campaign.json; run the campaign first")
    tmp = out / ".campaign-pack.tgz.tmp"
    with tarfile.open(tmp, "w:gz") as tar:
        for f in sorted(src.rglob("*")):
            if f.is_file():
                tar.add(f, arcname=str(Path("pack") / f.relative_to(src)))
    target = out / "campaign-pack.tgz"
    tmp.replace(target)
    return target
