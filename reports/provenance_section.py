"""The report's provenance sections: reproducibility (commit, device, wall time, command and package versions per
result file; CPU and GPU time kept apart; benchmarks), the set-up the runs used beside the paper-scale defaults, the
result files read (used by which claim, or why not) and the files skipped.

Commits come from a file's own provenance, else from its folder's README.md (reports.committed_notes). A version
that a machine did not record (the GPU machine runs the source tree without installing it) shows as "not recorded".
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tradeoff.data.kinds import Kind
from tradeoff.data.registry import display_name

from . import claims as claims_mod
from .defaults import RECONSTRUCTED, reconstructed_defaults
from .document import Block, Bullets, Code, Details, Heading, Paragraph, Strong, Table, Text, text
from .result_index import Collection, ResultFile, ResultIndex
from .scale_info import (
    command_for,
    commit_of,
    device_of,
    evaluation_text,
    is_gpu,
    norm_text,
    sweep_settings,
    training_text,
)

NOT_RECORDED = "not recorded"
SHORT_RECONSTRUCTED = "reconstructed"
BENCH_FIELDS = 8  # a benchmark with more fields than this is shown transposed (a field per line) ...
BENCH_COLUMNS = 4  # ... with at most this many runs side by side


def fmt_seconds(s: float | None) -> str:
    """Seconds in s / min / h."""
    if s is None:
        return "n/a"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"


def short_commit(sha: Any) -> str:
    """First 12 hex digits of a commit, keeping a ``-dirty`` mark."""
    sha = str(sha or "unknown")
    return sha[:12] + ("-dirty" if sha.endswith("-dirty") else "")


def _commit_cell(r: ResultFile) -> Text:
    sha, source = commit_of(r)
    return (Code(short_commit(sha)),) + ((f" (from {source})",) if source else ())


def _bench_tables(bench: ResultFile) -> list[Block]:
    """A benchmark's rows as a table; with more than BENCH_FIELDS fields transposed: one line per field, at most
    BENCH_COLUMNS runs side by side."""
    rows = [r for r in bench.payload["rows"] if isinstance(r, dict)][:30]
    fields = list(dict.fromkeys(k for r in rows for k in r))
    device = bench.payload.get("device")
    if not isinstance(device, str) or not device:
        device = device_of(bench.provenance)
    cmd = command_for(bench)
    blocks: list[Block] = [Paragraph(text(f"Benchmark `{bench.path}` on {device}, commit "
                                          f"`{short_commit(commit_of(bench)[0])}`"
                                          + (f", by `{cmd}`" if cmd else "") + ":"))]
    if len(fields) <= BENCH_FIELDS:
        body = tuple(tuple(text(claims_mod.fmt(r.get(f))) for f in fields) for r in rows)
        return blocks + [Table(tuple(fields), body, f"Benchmark {bench.path.rsplit('/', 1)[-1]}")]
    for start in range(0, len(rows), BENCH_COLUMNS):
        chunk = rows[start:start + BENCH_COLUMNS]
        heads = ("field",) + tuple(f"run {start + i + 1}" for i in range(len(chunk)))
        body = tuple((text(f), *(text(claims_mod.fmt(r.get(f))) for r in chunk)) for f in fields)
        blocks.append(Table(heads, body, f"Benchmark {bench.path.rsplit('/', 1)[-1]}, runs {start + 1}–"
                                          f"{start + len(chunk)} of {len(rows)}"))
    return blocks


def _versions(files: list[ResultFile]) -> Table:
    """Package versions, CPU and GPU machines apart; a missing version is "not recorded"."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in files:
        where = "GPU" if is_gpu(r.provenance) else "CPU"
        for pkg, v in (r.provenance.get("versions") or {}).items():
            seen[str(pkg)][where].add(NOT_RECORDED if v is None else str(v))
    rows = tuple((text(p), text(", ".join(sorted(by.get("CPU", ()))) or "—"),
                  text(", ".join(sorted(by.get("GPU", ()))) or "—")) for p, by in sorted(seen.items()))
    return Table(("package", "version on the CPU runs", "version on the GPU runs"), rows,
                 "Package versions (\"not recorded\": the machine ran the source tree without installing the package)")


def wall_time_text(files: list[ResultFile]) -> str:
    """Total wall time of ``files`` without counting a command twice: files written by one command (same command
    and commit) may each record the time of the whole command, so each command counts with its longest file."""
    longest: dict[tuple[str, str], float] = {}
    for r in files:
        key = (command_for(r) or r.path, commit_of(r)[0])
        longest[key] = max(longest.get(key, 0.0), r.wall_time_s or 0.0)
    return (f"{fmt_seconds(sum(longest.values()))} for {len(longest)} command(s) writing {len(files)} file(s) "
            "(each command counted once, with its longest file's wall time)") if files else "none"


def reproducibility(collection: Collection, used: set[str], index: ResultIndex) -> list[Block]:
    """Commit, device, wall time and command of every result file the report used; totals per device type."""
    files = [r for r in collection.results if r.path in used]
    blocks: list[Block] = [Heading(2, "Reproducibility", "reproducibility", back=True),
                           Paragraph(text("From the provenance of the result files the report used. The command of "
                                          "each file reproduces its numbers; `tradeoff report` then rebuilds this "
                                          "page from the files."))]
    if not files:
        return blocks + [Paragraph(("No result file was used.",))]
    rows = []
    for r in files:
        cmd = command_for(r)
        rows.append((text(f"`{r.path}`"), text(r.scale), text(device_of(r.provenance)),
                     _commit_cell(r), text(fmt_seconds(r.wall_time_s)), (Code(cmd),) if cmd else ("—",)))
    table = Table(("file", "scale", "device", "commit", "wall time", "command"), tuple(rows), "Result files used")
    commits = sorted({commit_of(r)[0] for r in files})
    devices = sorted({device_of(r.provenance) for r in files})
    platforms = sorted({str(r.provenance.get("platform")) for r in files if r.provenance.get("platform")})
    cpu = [r for r in files if not is_gpu(r.provenance)]
    gpu = [r for r in files if is_gpu(r.provenance)]
    blocks.append(Bullets((
        (Strong("Git commits: "), *sum(((", " if i else "", Code(short_commit(c))) for i, c in enumerate(commits)),
                                       ())),
        (Strong("Devices: "), "; ".join(devices)),
        (Strong("Platforms: "), "; ".join(platforms) or "not recorded"),
        (Strong("Wall time on CPUs: "), wall_time_text(cpu)),
        (Strong("Wall time on GPUs: "), wall_time_text(gpu)),
    )))
    blocks.append(Details(f"Every result file used: commit, device, wall time and command ({len(files)} file(s))",
                          (table,)))
    if any(r.provenance.get("versions") for r in files):
        blocks.append(Details("Package versions", (_versions(files),)))
    benches = [b for b in sorted(index.all(Kind.DEEP_BENCHMARK), key=lambda r: str(r.path))
               if isinstance(b.payload.get("rows"), list) and b.payload["rows"]]
    if benches:
        blocks.append(Details(f"Benchmarks ({len(benches)} file(s): speed and cost, not claims)",
                              tuple(x for b in benches for x in _bench_tables(b))))
    return blocks


# ------------------------------------------------------------------------------------------------ set-up used


def _g(v: Any) -> str:
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


def used_setup(index: ResultIndex, used: set[str]) -> dict[str, list[str]]:
    """``{setting: ["<scale>, <dataset>: value / other value", ...]}`` from the result files the report used, for
    the settings of the defaults table (reports.defaults): training (model and recipe), ε_train grids, training-set
    sizes and seeds (the union over the files of one scale and data set), PGD for training, evaluation, large ε,
    example models, Figure 5's ε and top-k grid, the theory's example parameters. Different values at one scale are
    joined by " / "."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    grids: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))

    def add(setting: str, where: str, value: str) -> None:
        if value and value not in found[setting][where]:
            found[setting][where].append(value)

    for r in index.all(Kind.DEEP_SWEEP):
        if r.path not in used:
            continue
        where = f"{r.scale}, {display_name(r.payload.get('dataset') or r.dataset)}"
        tr, ev = sweep_settings(r.payload.get("settings"))
        if tr:
            model, recipe, attack = training_text(tr)
            add("training", where, model + (f"; {recipe}" if recipe else ""))
            add("PGD for training", where, attack)
        if ev.get("steps"):
            add("evaluation", where, evaluation_text(ev))
        seeds = sorted({x["seed"] for x in r.payload.get("rows", []) if isinstance(x, dict)
                        and isinstance(x.get("seed"), int)})
        if seeds:
            grids["seeds"][where] |= set(seeds)
        rows = [x for x in r.payload.get("rows", []) if isinstance(x, dict)]
        for norm, setting in (("inf", "ℓ∞ ε_train grid"), ("2", "ℓ2 ε_train grid")):
            grid = {float(x["eps_train"]) for x in rows
                    if claims_mod.norm_name(x.get("norm")) == claims_mod.norm_name(norm)}
            if any(g > 0 for g in grid):
                grids[setting][where] |= grid
        if r.payload.get("experiment") in ("fig1", "fig6"):
            grids["training-set sizes"][where] |= {x["n_train"] for x in rows}
    for r in index.all(Kind.DEEP_LARGE_EPS):
        if r.path in used:
            where = f"{r.scale}, {display_name(r.payload.get('dataset') or r.dataset)}"
            eps = r.payload.get("eps") if isinstance(r.payload.get("eps"), dict) else {}
            add("large ε", where, ", ".join(f"{norm_text(k)} {_g(v)}" for k, v in sorted(eps.items())))
            models = [m for m in r.payload.get("models", []) if isinstance(m, dict) and m.get("eps_train")]
            add("example models", where, ", ".join(f"{norm_text(m.get('norm'))} {_g(m['eps_train'])}" for m in models))
    for r in index.all(Kind.LINEAR_FIG5):
        if r.path in used:
            p = r.payload
            add("ε_train = ε_eval (ℓ∞)", r.scale, _g(p.get("eps")))
            ks = [t["k"] for t in p.get("topk", []) if isinstance(t, dict) and "k" in t]
            if ks:
                add("top-k grid", r.scale, f"{len(ks)} values from {min(ks)} to {max(ks)} pixels")
    for r in index.all(Kind.THEORY_AVERAGING):
        if r.path in used:
            p = r.payload
            settings = p.get("rows") if isinstance(p.get("rows"), list) else [p]
            vals = sorted({(s.get("d"), s.get("p"), round(float(s.get("eta_sqrt_d") or
                                                                 float(s.get("eta", 0)) * float(s["d"]) ** 0.5), 3))
                           for s in settings if isinstance(s, dict) and s.get("d")})
            add("example parameters", r.scale,
                "; ".join(f"d = {d}, p = {_g(pp)}, η√d = {_g(e)}" for d, pp, e in vals))
    for setting, by_where in grids.items():
        for where, values in by_where.items():
            add(setting, where, ", ".join(_g(v) for v in sorted(values)))
    return {setting: [f"{where}: {' / '.join(values)}" for where, values in sorted(by_where.items())]
            for setting, by_where in found.items()}


def defaults(index: ResultIndex, used: set[str]) -> list[Block]:
    """The set-up the runs used (from their result files) beside the paper-scale defaults (reports.defaults)."""
    setup = used_setup(index, used)
    rows = []
    for d in reconstructed_defaults():
        if "(quick" in d.experiment:  # the quick scale's definitions: what quick runs used is in the first column
            continue
        rin = d.experiment.startswith("Restricted ImageNet")
        settings = ("example models", "large ε") if d.setting == "models / large ε" else (d.setting,)
        values = [v for k in settings for v in setup.get(k, [])
                  if ("Restricted ImageNet" in v.split(":", 1)[0]) == rin]
        paper = [f"{name}: {v}" for name, v in (("MNIST", d.mnist), ("CIFAR-10", d.cifar10),
                                                 ("Restricted ImageNet", d.restricted_imagenet)) if v and v != "—"]
        rows.append((text(f"{d.experiment}: {d.setting}"), text("; ".join(values) if values else "no run used here"),
                     text("; ".join(paper) or "—"),
                     (Strong(SHORT_RECONSTRUCTED),) if d.status == RECONSTRUCTED else text(d.status)))
    return [Heading(2, "Set-up used and the paper-scale defaults", "defaults", back=True),
            Paragraph(text("\"Used by the runs\": the values recorded in the result files the report used (scale, "
                           "data set: value). Beside them the paper-scale set-up that `tradeoff deep reproduce "
                           "--scale paper` runs (docs/paper.md §5–6; printed from the experiment definitions). "
                           f"\"{SHORT_RECONSTRUCTED}\": {RECONSTRUCTED}; the paper's values could not be "
                           "confirmed, and every such value is a configuration option.")),
            Details(f"The set-up, setting by setting ({len(rows)} settings)",
                    (Table(("experiment: setting", "used by the runs", "paper scale", "status"), tuple(rows)),))]


# ------------------------------------------------------------------------------------------------ files


def group_keys(r: ResultFile) -> set:
    """What a file provides, at the granularity the claims choose files: (experiment, dataset, norm) for
    ``deep.sweep``, the dataset for gradients / large-ε files, the run for sanity files, else the kind."""
    try:
        if r.kind == Kind.DEEP_SWEEP:
            return {(r.payload.get("experiment"), str(x["dataset"]), str(x.get("norm"))) for x in r.payload["rows"]}
        if r.kind in (Kind.DEEP_GRADIENTS, Kind.DEEP_LARGE_EPS):
            return {str(r.payload.get("dataset", r.dataset))}
        if r.kind == Kind.DEEP_SANITY:
            return {str(r.payload.get("run", r.path))}
    except (KeyError, TypeError, AttributeError):
        return set()
    return {r.kind}


def _why_other(r: ResultFile, chosen: ResultFile) -> str:
    if chosen.scale.rank > r.scale.rank:
        return "larger scale"
    if chosen.scale.rank < r.scale.rank:
        return "this file lacks the data the claim's test needs"
    if chosen.settings_hash and r.settings_hash and chosen.settings_hash != r.settings_hash:
        return f"same scale, other settings: {chosen.numbers} numbers against this file's {r.numbers}"
    if chosen.created > r.created:
        return "same scale, newer"
    return "same scale; this file lacks the data the claim's test needs or is older"


def files_read(collection: Collection, used_by: dict[str, list[int]], extra_used: set[str],
               index: ResultIndex, read_kinds: set[str]) -> list[Block]:
    """Every result file read, with the claims that used it or why it was not used, and the files skipped."""
    used = set(used_by) | extra_used
    rows = []
    for r in collection.results:
        if r.path in used_by:
            status = "used by claim " + ", ".join(map(str, sorted(set(used_by[r.path])))) + f" (at scale {r.scale})"
        elif not r.scale.evidence and r.kind in read_kinds:
            status = f"not evidence (scale {r.scale}: {r.scale.meaning}): listed under its claims, decides nothing"
        elif r.path in used:
            status = "used (shown in its section)"
        elif r.kind not in read_kinds:
            status = "kind not read by the report"
        elif r.kind == Kind.DEEP_SWEEP and not r.payload.get("rows"):
            status = "not used: no rows (none of its runs finished)"
        else:
            chosen = next((u for u in index.all(r.kind) if u.path in used and group_keys(u) & group_keys(r)), None)
            status = (f"not used: the claims use `{chosen.path}` for the same data ({_why_other(r, chosen)})"
                      if chosen else "not used (its numbers were not needed or could not be read)")
        rows.append((text(f"`{r.path}`"), text(r.kind), text(r.scale), text(r.created), text(status)))
    blocks: list[Block] = [Heading(2, "Result files read", "result-files", back=True), Paragraph(text(
        "Folders read: " + "; ".join(f"`{p}`" + ("" if present else " (absent)") for p, present in collection.sources)
        + ". Each claim's test runs once per evidence scale, on that scale's files alone; within a scale it uses, "
          "for each piece of data its test needs, the file that has that data, then the newest. Files of scales "
          "that are not evidence (smoke, test, ad-hoc, bench, campaign) decide nothing. The command that wrote each "
          "used file is in the Reproducibility section."))]
    blocks.append(Details(f"Every file read and what became of it ({len(rows)} file(s))",
                          (Table(("file", "kind", "scale", "created", "status"), tuple(rows)),)) if rows
                  else Paragraph(("No result file was found.",)))
    blocks.append(Heading(2, "Skipped files", "skipped-files", back=True))
    if collection.skipped:
        blocks.append(Table(("file", "reason"), tuple((text(f"`{s.path}`"), text(s.reason))
                                                      for s in collection.skipped)))
    else:
        blocks.append(Paragraph(("None.",)))
    return blocks

