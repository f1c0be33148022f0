"""The report's claim cards, scoreboard, contents and provenance, and the rule that each claim uses the largest
scale that has its test's data (issue 13), from fixture result files."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from tests.reports import fixtures as fx
from tradeoff.data.scales import Scale
from tradeoff.reports import claims as C
from tradeoff.reports.committed_notes import note_for, parse_readme
from tradeoff.reports.report import build_report
from tradeoff.reports.result_index import collect_results
from tradeoff.reports.scale_info import command_for, commit_of, describe


def build(tmp_path: Path, results: Path, figures: Path | None = None):
    return build_report([results], tmp_path / "out", figures or tmp_path / "figures")


class Cards(HTMLParser):
    """The text and the code spans of each ``<section class="card" id=...>`` of a page."""

    def __init__(self):
        super().__init__()
        self.cards: dict[str, dict] = {}
        self.current, self.depth, self.in_code = None, 0, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and a.get("class") == "card":
            self.current, self.depth = a["id"], 0
            self.cards[self.current] = {"text": "", "code": [], "details": 0, "figures": 0, "links": 0}
        elif self.current:
            if tag == "section":
                self.depth += 1
            self.in_code |= tag == "code"
            self.cards[self.current]["details"] += tag == "details"
            self.cards[self.current]["figures"] += tag == "figure" and a.get("class") == "fig"
            self.cards[self.current]["links"] += tag == "a" and str(a.get("href", "")).startswith("#figure-")

    def handle_endtag(self, tag):
        if tag == "code":
            self.in_code = False
        if tag == "section" and self.current:
            if self.depth == 0:
                self.current = None
            else:
                self.depth -= 1

    def handle_data(self, data):
        if self.current:
            card = self.cards[self.current]
            card["text"] += data
            if self.in_code:
                card["code"].append(data)


def test_scoreboard_contents_and_back_links(tmp_path):
    built = build(tmp_path, fx.write_all(tmp_path / "results"))
    md, html = built.markdown.read_text(), built.html.read_text()
    board = md[md.index('<a id="summary"></a>'):md.index('<a id="claims"></a>')]
    rows = [line for line in board.splitlines() if line.startswith("| [")]
    assert len(rows) == 12 and all(f"(#claim-{n})" in rows[n - 1] for n in range(1, 13))
    assert board.count("**confirmed**") >= 12 and "verdict at every scale" in board
    # the scoreboard names the headline's scale and the rule that chose it, and the seeds behind it
    assert "quick (headline; CPU, 3 seeds): **confirmed**" in rows[4]
    assert "seed variance measured, then larger scale, then newest" in board
    # contents (a sidebar on wide screens): every link resolves, the twelve claims and every section are listed
    ids = set(re.findall(r'id="([^"]+)"', html))
    contents = html[html.index('<nav class="toc">'):html.index("</nav>")]
    links = re.findall(r'href="#([^"]+)"', contents)
    assert {f"claim-{n}" for n in range(1, 13)} <= set(links)
    sections = {"summary", "claims", "published", "figures", "reproducibility", "defaults", "result-files",
                "skipped-files"}
    assert sections <= set(links)
    assert set(links) <= ids and "top" in ids
    # every section and every card links back to the top
    assert html.count('<a class="top" href="#top">') >= 7 + 12
    assert html.index('<p class="lead">') < html.index('<nav class="toc">') < html.index('class="scoreboard"') \
        < html.index('<section class="card"')


def test_every_card_has_statement_verdict_test_scale_figure_command_and_folded_evidence(tmp_path):
    figs = tmp_path / "figures"
    fx.tiny_png(figs / "fig5a_weights.png")
    fx.tiny_png(figs / "theory_frontier.png")
    res = fx.write_all(tmp_path / "results")
    fx.averaging(res, provenance=dict(fx.PROVENANCE, command="tradeoff theory averaging --d 900"))
    built = build(tmp_path, res, figs)
    parser = Cards()
    parser.feed(built.html.read_text())
    assert sorted(parser.cards) == sorted(f"claim-{n}" for n in range(1, 13))
    for n in range(1, 13):
        card = parser.cards[f"claim-{n}"]
        for part in ("The paper:", "Its numbers:", "Verdict:", "Verdict per scale", "The test:", "Scale used",
                     "Reproduce", "Measured", "Evidence:"):
            assert part in card["text"], (n, part)
        commands = [c for c in card["code"] if c.startswith(("tradeoff ", "python -m "))]
        assert "tradeoff report" in commands, (n, commands)
        assert card["details"] >= 1, n  # the evidence files are folded away
    # the command a file recorded when it was written (never a producer template)
    assert "tradeoff theory averaging --d 900" in parser.cards["claim-1"]["code"]
    assert "without a recorded command" in parser.cards["claim-7"]["text"]
    # the paper's numbers where the paper gives them, else the figure that shows it
    assert "> 99%" in parser.cards["claim-1"]["text"] and "in Figure 7" in parser.cards["claim-7"]["text"]
    # each figure once: shown in the first card that has it, linked from the others
    assert parser.cards["claim-2"]["figures"] == 1 and parser.cards["claim-9"]["figures"] == 1
    assert all(parser.cards[f"claim-{n}"]["figures"] + parser.cards[f"claim-{n}"]["links"] >= 1
               for n in (5, 6, 7, 8))


def test_scale_of_a_sweep_file_is_read_from_its_settings(tmp_path):
    res = tmp_path / "r"
    rows = [fx.sweep_row("mnist", "inf", e, 60000, s, 0.98) for e in (0.0, 0.3) for s in (0, 1)]
    settings = {"training": {"model": "mnist_cnn", "width": 8, "epochs": 3, "optimizer": "adam", "lr": 0.001,
                             "batch_size": 128, "attack_steps": 7, "step_size": [["inf", 0.1]], "eps_warmup": 0.5},
                "evaluation": {"steps": 20, "restarts": 2, "eps": [["inf", 0.3]], "n_test": 2000}}
    fx.put(res, "deep/fig7_mnist.json", "deep.sweep", {"experiment": "fig7", "rows": rows, "settings": settings},
           dataset="mnist", seeds=[0, 1])
    info = describe(collect_results([res]).results[0])
    assert info.dataset == "MNIST" and info.n == "n = 60000" and info.seeds == "2 seeds (0, 1)"
    assert info.model.endswith("width 8") and "3 epochs" in info.training and "batch 128" in info.training
    assert "training PGD-7 (ℓ∞ step 0.1) at ε_train ℓ∞ 0.3" in info.attack
    assert "evaluation PGD-20 × 2 restarts at ℓ∞ ε = 0.3 on 2000 test points" in info.attack
    assert info.command == ""  # the file recorded no command: none is made up from its kind
    assert info.precision == "precision not recorded"  # the fixture's rows name no precision (older files)
    rows = [{**r, "precision": "bf16"} for r in rows]
    fx.put(res, "deep/fig7_mnist.json", "deep.sweep", {"experiment": "fig7", "rows": rows, "settings": settings},
           dataset="mnist", seeds=[0, 1])
    assert describe(collect_results([res]).results[0]).precision == "precision bf16"  # issue 21: shown


README = """# results

| file | what | commit | command |
|---|---|---|---|
| bench.json | a benchmark | 7d09a20 | `python -m bench.pgd --devices cuda` (run by a script) |
| other.json | same | same | — |

| folder | commit | command |
|---|---|---|
| run1/ | 2cf6690 | `DEEP_BUDGET=300 bash bench/gpu_session.sh deep` |
"""


def test_commit_and_command_of_committed_files_come_from_their_readme(tmp_path):
    notes = parse_readme(README)
    assert [(n.name, n.commit, n.command) for n in notes] == [
        ("bench.json", "7d09a20", "python -m bench.pgd --devices cuda"), ("other.json", "", "—"),
        ("run1/", "2cf6690", "DEEP_BUDGET=300 bash bench/gpu_session.sh deep")]
    res = tmp_path / "committed"
    res.mkdir()
    (res / "README.md").write_text(README)
    unknown = dict(fx.GPU_PROVENANCE, git_commit="unknown", versions={"torch": "2.11.0", "tradeoff": None})
    fx.put(res, "bench.json", "deep.benchmark", {"rows": [{"name": "pgd", "ms": 1.0}], "device": "NVIDIA H100"},
           provenance=unknown, scale="gpu-reduced")
    fx.put(res, "run1/results/deep/fig7_mnist.json", "deep.sweep",
           {"experiment": "fig7", "rows": [fx.sweep_row("mnist", "inf", e, 60000, 0, a) for e, a in
                                           ((0.0, 0.99), (0.3, 0.97))]}, provenance=unknown, scale="gpu-reduced")
    files = {Path(r.path).name: r for r in collect_results([res]).results}
    assert commit_of(files["bench.json"]) == ("7d09a20", note_for(res / "bench.json").readme)
    assert command_for(files["bench.json"]) == "python -m bench.pgd --devices cuda"
    assert commit_of(files["fig7_mnist.json"])[0] == "2cf6690"  # the folder's row
    assert command_for(files["fig7_mnist.json"]) == "DEEP_BUDGET=300 bash bench/gpu_session.sh deep"
    own = dict(fx.PROVENANCE)
    fx.put(res, "mine.json", "theory.bound", {}, provenance=own)
    mine = next(r for r in collect_results([res]).results if r.path.endswith("mine.json"))
    assert commit_of(mine) == (own["git_commit"], "")  # a file's own commit wins
    built = build_report([res], tmp_path / "out", tmp_path / "figs")
    md = built.markdown.read_text()
    repro = md[md.index('<a id="reproducibility"></a>'):md.index('<a id="defaults"></a>')]
    bench = next(line for line in repro.splitlines() if "bench.json" in line and line.startswith("| `"))
    assert "`7d09a20` (from " in bench and "README.md)" in bench and "`python -m bench.pgd --devices cuda`" in bench
    assert "unknown" not in bench
    assert "| tradeoff | — | not recorded |" in repro and "None" not in repro
    assert "Wall time on CPUs:** none" in repro and "Wall time on GPUs:** 3.0 s for 2 command(s)" in repro


def test_skipped_file_reason_says_what_is_missing(tmp_path):
    res = tmp_path / "r"
    res.mkdir()
    (res / "summary.json").write_text(json.dumps({"budget_s": 1}))
    md = build(tmp_path, res).markdown.read_text()
    assert "no schema 1 envelope with a 'kind'" in md


def test_each_scale_gets_its_own_row_and_the_headline_follows_the_rule(tmp_path):
    """A GPU sweep with only the full training set beside a complete quick sweep: each scale's row reads its own
    files only; the headline follows the stated rule (measured seed variance, then the larger scale); each claim's
    figures are drawn one scale each (issue 23, replacing "the largest scale that has the data")."""
    res = tmp_path / "r"
    fx.fig6(res, small_gain=0.08, rel="build/deep/fig6_mnist.json")  # quick: n = 100 and 60000, 3 seeds
    gpu = {(0.0, 60000): [0.99, 0.991, 0.989], (0.1, 60000): [0.985, 0.987, 0.986],
           (0.3, 60000): [0.975, 0.976, 0.974]}
    fx.sweep(res, "fig6", gpu, rel="committed/fig6_mnist.json", scale="gpu-reduced", provenance=fx.GPU_PROVENANCE,
             n_eval=10000)
    fx.sweep(res, "fig7", {(e, 60000): v for (e, _), v in gpu.items()}, rel="committed/fig7_mnist.json",
             scale="gpu-reduced", provenance=fx.GPU_PROVENANCE, n_eval=10000)
    fx.sweep(res, "fig7", {(0.0, 60000): [0.99], (0.3, 60000): [0.995]}, rel="build/deep/fig7_mnist.json",
             n_eval=10000)  # quick Fig. 7 that would refute claim 7
    assert Scale.GPU_REDUCED.rank > Scale.LONG.rank > Scale.QUICK.rank > Scale.SMOKE.rank
    figs = tmp_path / "figures"
    built = build(tmp_path, res, figs)
    by = {cr.claim.number: cr.by_scale for cr in built.claims}

    def row(n, scale):
        return next(s for s in by[n].scales if s.scale == scale)

    def used(n, scale):
        return {Path(e.path).parent.name + "/" + Path(e.path).name for e in row(n, scale).outcome.evidence
                if e.kind == "deep.sweep"}

    quick, gpu = Scale.QUICK, Scale.GPU_REDUCED
    # claim 5 (few samples): the GPU file has no small n at all, so claim 5 is not run at that scale (it was never
    # tried there) and the scale with the few-sample runs heads; no split
    assert used(5, quick) == {"deep/fig6_mnist.json"} and row(5, quick).verdict == C.CONFIRMED
    assert row(5, gpu).verdict == C.NOT_RUN and by[5].headline.scale == quick and not by[5].split
    # claim 6: both scales measured the seed variance (3 seeds each): the larger scale heads; each row its own files
    assert used(6, gpu) == {"committed/fig6_mnist.json"} and used(6, quick) == {"deep/fig6_mnist.json"}
    assert by[6].headline.scale == gpu and by[6].outcome.verdict == C.CONFIRMED
    # claim 7: the one-seed quick Fig. 7 never pools with the GPU runs; the GPU row (3 seeds) heads
    assert used(7, gpu) == {"committed/fig7_mnist.json"} and "committed/fig7_mnist.json" not in used(7, quick)
    assert by[7].headline.scale == gpu and by[7].outcome.verdict == C.CONFIRMED
    md = built.markdown.read_text()
    sec = {n: md[md.index(f'<a id="claim-{n}"></a>'):md.index(f'<a id="claim-{n + 1}"></a>')] for n in (5, 6, 7)}
    assert "**quick** — headline" in sec[5] and "**gpu-reduced** — headline" in sec[6]
    assert "**gpu-reduced on NVIDIA H100**:" in sec[6]
    # the claims' figures are drawn one scale each, named by their scale
    drawn = sorted(p.name for p in figs.glob("claim*_fig*.png"))
    assert drawn and all(n.endswith(("_quick.png", "_gpu-reduced.png")) for n in drawn)
    assert any(n.endswith("_quick.png") for n in drawn) and any(n.endswith("_gpu-reduced.png") for n in drawn)
    files = md[md.index('<a id="result-files"></a>'):]
    assert "used by claim" in next(line for line in files.splitlines() if "committed/fig6_mnist.json" in line)


def test_scale_of_a_sweep_file_written_from_a_trainconfig_template(tmp_path):
    """The sweep payload of deep.experiments (settings.template: a TrainConfig, with adv_by_norm)."""
    from tradeoff.deep.config import TrainConfig

    template = TrainConfig(model="mnist_cnn", width=4, epochs=1, min_steps=4, max_epochs=2, batch_size=32,
                           lr=0.002).replace(adv={"steps": 3, "eps_warmup": 0.5},
                                             eval={"attack": "ensemble", "steps": 3, "norms": ["inf", "2"], "every": 0,
                                                   "eps": [0.3, 2.0], "n_final": 60}).to_dict()
    settings = {"template": template, "adv_by_norm": {"2": {"step_fraction": 0.25}}, "evaluation": {"n_test": 60}}
    rows = [fx.sweep_row("cifar10-jpeg", "2", e, 50000, 0, 0.8) for e in (0.0, 0.5)]
    fx.put(tmp_path, "deep/fig7_cifar10.json", "deep.sweep",
           {"experiment": "fig7", "dataset": "cifar10-jpeg", "rows": rows, "settings": settings},
           dataset="cifar10-jpeg", seeds=[0], scale="paper")
    info = describe(collect_results([tmp_path]).results[0])
    assert info.model == "MNIST CNN (conv-pool-conv-pool-fc), width 4"
    assert info.training.startswith("1 epoch (at least 4 steps, at most 2 epochs), ADAM lr 0.002, batch 32, ε ramped")
    assert "training PGD-3 (ℓ2 step ε × 0.25) at ε_train ℓ2 0.5" in info.attack
    assert "evaluation the strong ensemble (PGD, APGD-CE, APGD-margin, APGD-T) with PGD-3 at ℓ∞ ε = 0.3, ℓ2 ε = 2 " \
           "on 60 test points" in info.attack
    assert info.command == ""  # the file recorded no command: none is made up from its kind


def test_the_headline_seeds_are_the_runs_behind_the_tested_differences():
    """A sweep file with seeds 0-5 at n = 100 and 0-2 at full data: claim 6's row says 3 seeds (its differences'
    runs per recipe), not the file's 6."""
    from tradeoff.reports.cards import seeds_text
    from tradeoff.reports.claims.outcome import Effect
    from tradeoff.reports.scale_info import ScaleInfo

    info = ScaleInfo("f.json", "deep.sweep", "quick", "CPU: x", "MNIST", "", "", "", "", "", "",
                     seed_values=(0, 1, 2, 3, 4, 5))
    full = [Effect("d", 0.01, 0.0, 0.02, 0.95, "paired", 3, "confirmed")]
    assert seeds_text([info], full) == "CPU, 3 seeds"
    assert seeds_text([info], full + [Effect("s", 0.03, 0.01, 0.05, 0.95, "paired", 6, "confirmed")]) == \
        "CPU, 3-6 seeds"
    assert seeds_text([info]) == "CPU, 6 seeds"  # no tested difference: the seeds in the file
