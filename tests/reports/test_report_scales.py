"""Evidence classes and a verdict per scale (issue 23): results of scales that are not evidence decide nothing, each
evidence scale gets its own verdict and interval, the headline follows the stated rule, "split" when scales
disagree, and no test, interval or figure combines runs of different scales."""

from __future__ import annotations

import dataclasses
import html as html_mod
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.reports import fixtures as fx
from tradeoff.data.kinds import Kind
from tradeoff.data.scales import Scale
from tradeoff.reports import claims as C
from tradeoff.reports.claims.by_scale import NOT_EVIDENCE, evaluate_by_scale, is_deep
from tradeoff.reports.report import build_report
from tradeoff.reports.result_index import ResultIndex, collect_results

DEEP = [c.number for c in C.CLAIMS if is_deep(c)]


def build(tmp_path: Path, *results: Path):
    return build_report(list(results), tmp_path / "out", tmp_path / "figures")


def assert_not_run_with_banner(built) -> None:
    """Every claim about trained models reads 'not run', its non-evidence files are listed as such, and the page
    says why at the top."""
    by = {cr.claim.number: cr for cr in built.claims}
    assert DEEP == [5, 6, 7, 8, 10, 11, 12]
    assert all(by[n].outcome.verdict == C.NOT_RUN for n in DEEP)
    assert any(by[n].by_scale.not_evidence for n in DEEP)
    html = html_mod.unescape(built.html.read_text())
    assert 'class="banner"' in html and "reads 'not run'" in html
    assert html.index('class="banner"') < html.index('class="scoreboard"')
    data = json.loads(built.verdicts.read_text())
    assert data["banner"] and "not run" in data["banner"]
    for c in data["claims"]:
        if c["number"] in DEEP:
            assert c["verdict"] == "not run" and c["headline_scale"] is None
            assert all(s["verdict"] == NOT_EVIDENCE and not s["evidence"] for s in c["scales"])


def test_a_build_of_only_micro_results_gives_not_run_with_the_banner(tmp_path):
    """The code path of `tradeoff deep reproduce --micro` (the smoke definitions, deep.experiments.smoke.micro) on
    the fast stand-in engine: every file it writes is of scale smoke."""
    from tests.deep._fake_engine import FakeEngine
    from tradeoff.deep.experiments.reproduce import reproduce_dataset
    from tradeoff.deep.experiments.smoke import micro

    results = tmp_path / "build" / "results"
    reproduce_dataset("mnist", "quick", FakeEngine(epochs=1), tmp_path / "build" / "runs", results, overrides=micro)
    files = collect_results([results]).results
    assert files and {r.scale for r in files} == {Scale.SMOKE}
    assert {Kind.DEEP_SWEEP, Kind.DEEP_GRADIENTS, Kind.DEEP_LARGE_EPS, Kind.DEEP_SANITY} <= {r.kind for r in files}
    built = build(tmp_path, results)
    assert_not_run_with_banner(built)
    # the smoke numbers would have decided claims had they counted: the rules do give verdicts on them
    smoke = ResultIndex([dataclasses.replace(r, scale=Scale.QUICK) for r in files])
    assert any(evaluate_by_scale(c, smoke).outcome.verdict != C.NOT_RUN for c in C.CLAIMS if is_deep(c))


@pytest.mark.realdata
def test_a_build_of_one_deep_eval_gives_not_run_with_the_banner(tmp_path, capsys):
    """`tradeoff deep eval RUN --n 10` on an MNIST run writes a sanity file of scale ad-hoc: claim 12 is not run."""
    from tests.deep.test_train import tiny_config
    from tests.reports.test_cli_deep import write_config
    from tradeoff.data import mnist
    from tradeoff.reports.cli import main

    if not all((mnist.mnist_dir() / n).is_file() for n in mnist.MNIST_SHA256):
        pytest.skip("real MNIST not in the cache; run `tradeoff data fetch mnist`")
    cfg = tiny_config(name="m", dataset="mnist", model="mnist_cnn", width=4, n_train=256, epochs=1, batch_size=64,
                      eval={"eps": [0.3], "steps": 2, "n_epoch": 32, "n_final": 32})
    run = tmp_path / "run"
    assert main(["deep", "train", str(write_config(cfg, tmp_path / "m.toml")), "--run-dir", str(run),
                 "--no-progress"]) == 0
    build_dir = tmp_path / "b"
    assert main(["--build-dir", str(build_dir), "deep", "eval", str(run), "--eps", "0.3", "--n", "10", "--steps", "2",
                 "--device", "cpu"]) == 0
    capsys.readouterr()
    files = collect_results([build_dir / "results"]).results
    assert sorted((r.kind, r.scale, r.dataset) for r in files) == [(Kind.DEEP_EVAL, Scale.AD_HOC, "mnist"),
                                                                    (Kind.DEEP_SANITY, Scale.AD_HOC, "mnist")]
    built = build(tmp_path, build_dir / "results")
    assert_not_run_with_banner(built)
    twelve = built.claims[11].by_scale
    assert [s.scale for s in twelve.scales] == [Scale.AD_HOC] and twelve.outcome.verdict == C.NOT_RUN
    assert "only results that are not evidence" in built.claims[11].outcome.summary


def quick_and_gpu(root: Path, gpu_accs=(0.990, 0.985), quick_drop: float = 0.02) -> Path:
    """Claims 6 and 7 on MNIST ℓ∞ at two scales: a 4-seed paired quick sweep at full data (standard 0.986, ε 0.3
    lower by ``quick_drop``) and a one-seed gpu-reduced sweep (standard, ε 0.3 = ``gpu_accs``)."""
    std = [0.9860, 0.9870, 0.9850, 0.9865]
    noise = [0.001, -0.001, 0.0005, -0.0005]
    quick = {(0.0, 60000): std, (0.3, 60000): [round(a - quick_drop + e, 5) for a, e in zip(std, noise)]}
    fx.sweep(root, "fig6", quick, rel="quick/fig6_mnist.json", n_eval=10000)
    fx.sweep(root, "fig7", quick, rel="quick/fig7_mnist.json", n_eval=10000)
    gpu = {(0.0, 60000): [gpu_accs[0]], (0.3, 60000): [gpu_accs[1]]}
    for exp in ("fig6", "fig7"):
        fx.sweep(root, exp, gpu, rel=f"gpu/{exp}_mnist.json", n_eval=10000, scale="gpu-reduced",
                 provenance=fx.GPU_PROVENANCE, created="2026-02-01T00:00:00+00:00")
    return root


def test_claims_6_and_7_show_the_quick_and_the_gpu_row_and_the_rule_picks_the_measured_seed_variance(tmp_path):
    built = build(tmp_path, quick_and_gpu(tmp_path / "r"))
    for n in (6, 7):
        cv = built.claims[n - 1].by_scale
        rows = {s.scale: s for s in cv.scales}
        assert set(rows) == {Scale.QUICK, Scale.GPU_REDUCED}
        assert rows[Scale.QUICK].verdict == C.CONFIRMED and rows[Scale.GPU_REDUCED].verdict == C.CONFIRMED
        # the 4-seed paired quick result heads although gpu-reduced is the larger scale: its seed variance is measured
        assert rows[Scale.QUICK].seeds_measured is True and rows[Scale.GPU_REDUCED].seeds_measured is False
        assert cv.headline is rows[Scale.QUICK] and not cv.split
        # each row has its own interval, from its own runs
        (q,), (g,) = rows[Scale.QUICK].outcome.effects, rows[Scale.GPU_REDUCED].outcome.effects
        assert q.n_runs == 4 and g.n_runs == 1 and g.estimate == pytest.approx(0.005)
        assert q.estimate == pytest.approx(0.02, abs=1e-3) and q.low > 0
    md = built.markdown.read_text()
    card = md[md.index('<a id="claim-6"></a>'):md.index('<a id="claim-7"></a>')]
    assert "**quick** — headline" in card and "**gpu-reduced**" in card and "1 seed: seed variance not measured" in card
    assert "Headline rule" in md and "then the larger scale" in md


def test_split_when_two_evidence_scales_disagree(tmp_path):
    built = build(tmp_path, quick_and_gpu(tmp_path / "r", gpu_accs=(0.980, 0.990)))
    cv = built.claims[5].by_scale
    assert {s.scale: s.verdict for s in cv.decided} == {Scale.QUICK: C.CONFIRMED, Scale.GPU_REDUCED: C.REFUTED}
    assert cv.split and cv.outcome.verdict == C.CONFIRMED  # the headline stays the rule's scale
    row = next(line for line in built.markdown.read_text().splitlines() if line.startswith("| [6. "))
    assert "**split**" in row and "gpu-reduced: **refuted**" in row
    assert json.loads(built.verdicts.read_text())["claims"][5]["split"] is True


def test_the_headline_rule_never_reads_the_verdict(tmp_path):
    """Swapping which scale confirms does not move the headline: it follows seeds, scale and date only."""
    a = build(tmp_path / "a", quick_and_gpu(tmp_path / "ra", gpu_accs=(0.980, 0.990)))
    b = build(tmp_path / "b", quick_and_gpu(tmp_path / "rb", gpu_accs=(0.990, 0.980), quick_drop=-0.01))
    for n in (6, 7):
        assert a.claims[n - 1].by_scale.headline.scale == b.claims[n - 1].by_scale.headline.scale == Scale.QUICK
    assert a.claims[5].outcome.verdict == C.CONFIRMED and b.claims[5].outcome.verdict == C.REFUTED


def mixed_scales(root: Path) -> Path:
    """Every deep kind at two evidence scales (quick and gpu-reduced) plus smoke files, the GPU standard models in
    other files than the quick mixed-batch runs (the case that once drew a GPU line beside a CPU one)."""
    fx.write_all(root / "quick")
    gpu = root / "gpu"
    fx.fig6(gpu, small_gain=-0.05, large_drop=0.03, scale="gpu-reduced", provenance=fx.GPU_PROVENANCE)
    fx.sweep(gpu, "fig7", {(0.0, 60000): [0.99], (0.3, 60000): [0.97]}, n_eval=10000, scale="gpu-reduced",
             provenance=fx.GPU_PROVENANCE)
    fx.sweep(gpu, "mixed", {(0.1, 60000): [0.98], (0.3, 60000): [0.975]}, n_eval=10000, scale="gpu-reduced",
             provenance=fx.GPU_PROVENANCE)
    fx.fig6(root / "smoke", scale="smoke")
    for writer in (fx.gradients, fx.large_eps):
        writer(root / "gpu2")
    for p in (root / "gpu2").rglob("*.json"):
        env = json.loads(p.read_text())
        env["scale"] = "gpu-fast"
        p.write_text(json.dumps(env))
    return root


def test_no_test_or_interval_combines_scales(tmp_path):
    index = ResultIndex(collect_results([mixed_scales(tmp_path / "r")]).results)
    by_path = {r.path: r for r in index.all(Kind.DEEP_SWEEP)}
    seen = set()
    for c in C.CLAIMS:
        cv = evaluate_by_scale(c, index)
        for s in cv.scales:
            assert {r.scale for r in s.files} == {s.scale}
            if s.outcome is None:
                assert not s.evidence
                continue
            claim_files = [e for e in s.outcome.evidence if e.kind in c.kinds]
            assert {e.scale for e in claim_files} <= {s.scale}, (c.number, s.scale, claim_files)
            seen.add((c.number, s.scale))
            if c.number == 8:  # the standard partners of the mixed-batch runs come from this scale's files only
                assert all(by_path[e.path].scale == s.scale for e in claim_files)
    assert {(n, Scale.QUICK) for n in (5, 6, 7, 8)} | {(n, Scale.GPU_REDUCED) for n in (5, 6, 7, 8)} <= seen


def test_no_figure_combines_scales(tmp_path, monkeypatch):
    """Every figure the report draws from sweep rows gets rows of one scale: the claims' Figures 1, 6, 7 and the
    overviews (the functions are wrapped so the test sees the rows they get)."""
    from tradeoff.reports.figures import deep as F
    from tradeoff.reports.figures import overview as O

    calls: list[tuple[str, set]] = []

    def spy(name, fn, rows_of):
        def wrapped(*args, **kw):
            calls.append((name, {str(r.get("result_scale")) for r in rows_of(*args, **kw)}))
            return fn(*args, **kw)
        monkeypatch.setattr(F if hasattr(F, name) else O, name, wrapped)

    spy("plot_accuracy_vs_n", F.plot_accuracy_vs_n, lambda rows, *a, **k: rows)
    spy("plot_accuracy_vs_eps", F.plot_accuracy_vs_eps,
        lambda rows, path, title, mixed_rows=None: list(rows) + list(mixed_rows or []))
    spy("draw_overview", O.draw_overview, lambda sweeps, *a, **k: [r for s in sweeps for r in s["rows"]])
    built = build(tmp_path, mixed_scales(tmp_path / "r"))
    names = {name for name, _ in calls}
    assert names == {"plot_accuracy_vs_n", "plot_accuracy_vs_eps", "draw_overview"}
    assert all(len(scales) == 1 and "smoke" not in scales for _, scales in calls), calls
    drawn = sorted(p.name for p in (tmp_path / "figures").glob("claim*_fig*.png"))
    assert any(n.endswith("_quick.png") for n in drawn) and any(n.endswith("_gpu-reduced.png") for n in drawn)
    assert {p.name for p in (tmp_path / "figures").glob("overview_*.png")} == {
        "overview_mnist_quick.png", "overview_mnist_gpu-reduced.png"}
    assert built.claims[7].by_scale.decided  # claim 8 decided at both scales, each drawn on its own


def test_figures_mark_training_failures_outside_the_axes_and_have_no_empty_legend_entries(tmp_path, monkeypatch):
    """A collapsed run (standard accuracy 0.1135: one class for every image) is left out of the claim's figure and
    the overview, outside their axis range, and said so on the figure; every legend entry of a claim's figure names
    a drawn line or point set."""
    from tests.reports.figure_checks import keep_figures

    kept = keep_figures(monkeypatch)
    res = tmp_path / "r"
    fx.fig6(res)
    # ε 0.2 is a run of its own (fig6 has no ε 0.2 model); its seed 0 collapsed
    fx.sweep(res, "fig7", {(0.0, 60000): [0.962, 0.964, 0.963], (0.2, 60000): [0.1135, 0.958, 0.957],
                           (0.3, 60000): [0.951, 0.953, 0.952]}, n_eval=10000)
    built = build(tmp_path, res)
    assert built.claims[6].outcome.verdict != C.NOT_RUN
    figs = {path.name: fig for fig, path in kept}
    assert "claim7_fig7_mnist_quick.png" in figs and "overview_mnist_quick.png" in figs
    for name, fig in figs.items():
        texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts) + " " + " ".join(
            ax.get_title() for ax in fig.axes) + " " + (fig._suptitle.get_text() if fig._suptitle else "")
        if name in ("claim7_fig7_mnist_quick.png", "overview_mnist_quick.png"):
            assert "training failure" in texts, name
        for ax in fig.axes:
            ys = [y for line in ax.lines for y in np.asarray(line.get_ydata(), float).ravel()]
            ys += [p[1] for c in ax.collections for p in np.asarray(c.get_offsets(), float).reshape(-1, 2)]
            assert not any(abs(y - 11.35) < 0.01 or abs(y - 0.1135) < 1e-4 for y in ys), name
            low, high = ax.get_ylim()
            if name.startswith("claim7"):
                assert low > 11.35 and high <= 100.5  # the failure is outside the axis range
            legend = ax.get_legend()
            if legend is None or name.startswith("overview"):  # the overview's legend is a key of proxy markers
                continue
            drawn = {a.get_label() for a in ax.lines if len(a.get_xdata())}
            drawn |= {a.get_label() for a in ax.collections if len(a.get_offsets())}
            drawn |= {c.get_label() for c in ax.containers if c and len(c[0].get_xdata())}  # error bars
            for t in legend.get_texts():
                assert t.get_text() in drawn, (name, t.get_text())


def test_the_top_says_in_two_sentences_what_was_verified_at_which_scale_and_what_was_not(tmp_path):
    built = build(tmp_path, quick_and_gpu(tmp_path / "r", gpu_accs=(0.980, 0.990)))
    md = built.markdown.read_text()
    lead = next(line for line in md.splitlines() if line.startswith(("Verified here", "Nothing was verified")))
    assert len(re.findall(r"\.\s", lead)) == 1 and lead.endswith(".")  # two sentences
    first, second = lead.split(". ")
    assert "claims 6, 7 at the quick scale (2 confirmed)" in first  # claim 5: no small n here, so not run
    assert second.startswith("Not verified: ") and "claims 6, 7 only in part" in second and "'split'" in second
    assert "not run at any evidence scale" in second and "paper's own scale" in second
    assert re.search(r"claims? [^;]*\b5\b[^;]*not run at any evidence scale", second)
    assert md.index(lead) < md.index('<a id="summary"></a>')


def test_a_producer_figure_has_the_scale_of_the_build_files_not_of_newer_committed_ones(tmp_path, monkeypatch):
    # the build's fig6_mnist.png was drawn by its own quick sweep; a newer committed long-scale sweep drew no PNG there
    from tradeoff.reports import figure_files as ff

    committed, build = tmp_path / "committed", tmp_path / "build" / "results"
    monkeypatch.setattr(ff, "COMMITTED_RESULTS", committed)
    fx.sweep(build, "fig6", {(0.0, 100): [0.9], (0.3, 100): [0.8]}, created="2026-01-01T00:00:00+00:00")
    fx.sweep(committed, "fig6", {(0.0, 100): [0.9], (0.3, 100): [0.8]}, scale="long",
             created="2026-12-01T00:00:00+00:00")
    png = fx.tiny_png(tmp_path / "build" / "figures" / "fig6_mnist.png")
    index = ResultIndex(collect_results([build, committed]).results)
    assert [f.scale for f in ff.collect_figures(png.parent, index)] == ["quick"]
    # a figures folder whose build has no such file: the committed file is the only one known to draw it
    index = ResultIndex(collect_results([committed]).results)
    assert [f.scale for f in ff.collect_figures(png.parent, index)] == ["long"]
