"""What the report writes besides its verdicts (issue 23): provenance recorded when a file is written and read back
as the card's Reproduce list, study files keyed by their settings, verdicts.json and `tradeoff report --json`
against the schema in docs/, the published numbers quoted with their source, each figure once on the page, and a
README that quotes no number the build can change."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tests.reports import fixtures as fx
from tests.reports.json_schema import errors
from tradeoff.data.io import read_result, settings_hash, write_result
from tradeoff.data.provenance import command_line
from tradeoff.data.study import StudyResult, keyed_path, write_study
from tradeoff.reports.report import build_report
from tradeoff.reports.result_index import ResultIndex, collect_results

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "verdicts.schema.json").read_text())


def build(tmp_path: Path, results: Path, figures: Path | None = None):
    return build_report([results], tmp_path / "out", figures or tmp_path / "figures")


# ------------------------------------------------------------------------------------------------ provenance


def test_a_result_file_records_its_command_version_commit_device_and_precision(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/venv/bin/tradeoff", "--build-dir", "b d", "deep", "eval", "RUN", "--n", "10"])
    path = write_result(tmp_path / "r.json", "deep.sweep", {"rows": [{"precision": "bf16"}, {"precision": "fp32"}]},
                        scale="quick")
    prov = read_result(path)["provenance"]
    assert prov["argv"] == ["/venv/bin/tradeoff", "--build-dir", "b d", "deep", "eval", "RUN", "--n", "10"]
    assert prov["command"] == "tradeoff --build-dir 'b d' deep eval RUN --n 10"
    assert prov["package_version"] == prov["versions"]["tradeoff"]
    assert prov["git_commit"] and prov["device"].startswith(("CPU: ", "GPU: "))
    assert prov["precision"] == ["bf16", "fp32"]
    described = {"precision": "bf16", "channels_last": True, "units": "cuda", "note": ""}
    path = write_result(tmp_path / "s.json", "deep.large_eps", {"precision": described}, scale="quick")
    assert read_result(path)["provenance"]["precision"] == described
    assert read_result(write_result(tmp_path / "t.json", "theory.svm", {}, scale="exact"))["provenance"][
        "precision"] is None


def test_command_line_as_one_would_type_it_again():
    assert command_line(["/x/.venv/bin/tradeoff", "theory", "all"]) == "tradeoff theory all"
    assert command_line(["/x/reports/__main__.py", "report"]) == "tradeoff report"
    assert command_line(["/x/bench/pgd.py", "--devices", "cuda"]) == "python -m bench.pgd --devices cuda"
    assert command_line(["/x/bench/__main__.py"]) == "python -m bench"
    assert command_line([]) == ""


def test_the_cards_reproduce_list_is_read_from_the_files(tmp_path):
    res = tmp_path / "r"
    fx.finite_sample(res)
    fx.averaging(res, provenance=dict(fx.PROVENANCE, command="tradeoff theory averaging --d 900 --eta-sqrt-d 3"))
    fx.fig6(res)  # no recorded command (written before files recorded it)
    built = build(tmp_path, res)
    md = built.markdown.read_text()
    one = md[md.index('<a id="claim-1"></a>'):md.index('<a id="claim-2"></a>')]
    assert "`tradeoff theory averaging --d 900 --eta-sqrt-d 3`" in one
    five = md[md.index('<a id="claim-5"></a>'):md.index('<a id="claim-6"></a>')]
    # the producer template of data.kinds is not presented as the command that wrote the file
    assert "without a recorded command" in five and "deep reproduce --scale quick" not in five
    data = built.data["claims"][0]["scales"][0]["files"][0]
    assert data["command"] == "tradeoff theory averaging --d 900 --eta-sqrt-d 3"


# ------------------------------------------------------------------------------------------------ settings keys


def _study(rows: int, seed: int) -> StudyResult:
    payload = {"rows": [{"n": 10 * (i + 1), "eps_train": 0.0, "standard_acc": 0.9, "robust_acc": 0.1}
                        for i in range(rows)]}
    return StudyResult("theory.finite_sample", payload, "synthetic D(d,p,eta)", (seed,), 1.0,
                       settings={"ns": list(range(rows)), "seed": seed})


def test_a_study_of_other_settings_never_overwrites_a_file_and_the_report_takes_the_richer(tmp_path):
    rich, small = _study(8, 0), _study(2, 1)
    first = write_study(rich, tmp_path)  # e.g. `tradeoff theory finite --ns ...` with many sizes
    second = write_study(small, tmp_path)  # then `tradeoff theory all` with its defaults
    assert first == second == tmp_path / "theory" / "finite_sample.json"
    kept = keyed_path(first, settings_hash(rich.settings))
    assert kept.is_file() and len(read_result(kept)["payload"]["rows"]) == 8
    assert read_result(second)["settings_hash"] == settings_hash(small.settings)
    files = collect_results([tmp_path]).results
    assert len(files) == 2
    best = ResultIndex(files).best("theory.finite_sample")
    assert best.path.endswith(kept.name) and best.numbers > ResultIndex(files).all("theory.finite_sample")[1].numbers
    # the same settings again replace their own file (and the copy kept aside), nothing piles up
    write_study(rich, tmp_path)
    names = sorted(p.name for p in (tmp_path / "theory").glob("*.json"))
    assert names == sorted(["finite_sample.json", keyed_path(first, settings_hash(small.settings)).name])


def test_theory_studies_record_their_settings(tmp_path):
    from tradeoff.theory import studies as S
    from tradeoff.theory.distribution import FeatureDistribution

    dist = FeatureDistribution(d=100, p=0.95, eta=0.4)
    a = S.FrontierStudy(dist, 0.8, "inf", 5, 0).run()
    b = S.FrontierStudy(dist, 0.8, "inf", 7, 0).run()
    assert a.settings["points"] == 5 and a.settings["dist"]["d"] == 100
    assert settings_hash(a.settings) != settings_hash(b.settings)


# ------------------------------------------------------------------------------------------------ verdicts.json


def test_the_validator_rejects_what_the_schema_forbids():
    good = {"schema": "tradeoff.verdicts/1", "newest_result": None, "result_files": 0, "headline_rule": "r",
            "banner": None, "claims": [], "models": [], "published": []}
    assert errors(good, SCHEMA) == ["$.claims: 0 items, fewer than 12"]
    bad = dict(good, schema="other", result_files=-1, extra=1)
    found = "\n".join(errors(bad, SCHEMA))
    assert "'other' is not 'tradeoff.verdicts/1'" in found and "breaks minimum" in found and "'extra'" in found
    claim = {"number": 13, "title": "t", "kinds": ["k"], "verdict": "maybe", "headline_scale": "huge",
             "split": False, "summary": "", "test": "", "scales": []}
    found = "\n".join(errors(dict(good, claims=[claim] * 12), SCHEMA))
    assert "breaks maximum" in found and "'maybe' is not one of" in found and "matches none of anyOf" in found


@pytest.mark.parametrize("good", [True, False])
def test_verdicts_json_validates_against_the_schema(tmp_path, good):
    res = fx.write_all(tmp_path / "results", good=good)
    fx.fig6(res / "smoke", scale="smoke")
    built = build(tmp_path, res)
    data = json.loads(built.verdicts.read_text())
    assert errors(data, SCHEMA) == []
    assert data == built.data
    assert [c["verdict"] for c in data["claims"]] == [cr.outcome.verdict for cr in built.claims]
    five = data["claims"][4]
    quick = next(s for s in five["scales"] if s["scale"] == "quick")
    assert quick["headline"] and quick["effects"] and quick["files"][0]["path"].endswith("fig6_mnist_linf.json")
    assert any(s["verdict"] == "not evidence" for s in five["scales"])


def test_a_model_card_for_every_trained_model_in_robustbench_fields(tmp_path):
    res = fx.write_all(tmp_path / "results")
    fx.fig6(res / "smoke", scale="smoke")
    built = build(tmp_path, res)
    cards = built.data["models"]
    assert errors(cards, {"type": "array", "items": {"$ref": "#/$defs/model"}, "$defs": SCHEMA["$defs"]}) == []
    runs = set()
    for r in collect_results([res]).results:
        if r.kind == "deep.sweep":
            runs |= {(r.scale.value, str(x.get("run") or "")) for x in r.payload["rows"]}
    carded = {(c["scale"], c["run"]) for c in cards}
    assert {(s, run) for s, run in runs if run} <= carded and len(cards) == len(carded)
    for c in cards:  # the fields a RobustBench entry has, read from the file (never invented)
        assert c["dataset"] and c["source"] and c["commit"] and "architecture" in c  # None: the file has no settings
        assert (c["threat_model"] == "none") == (c["eps"] == 0)
        assert 0 <= c["clean_accuracy"] <= 1 and all(0 <= x["accuracy"] <= 1 for x in c["robust"])
        assert c["evidence"] == (c["scale"] != "smoke")
    robust = next(c for c in cards if c["threat_model"] == "Linf" and c["eps"] == 0.3 and c["robust"])
    assert robust["robust"][0]["eps"] == 0.3 and robust["n_train"] and robust["seed"] is not None


def test_report_json_prints_the_same_object(tmp_path, capsys):
    from tradeoff.reports.cli import main

    res = fx.write_all(tmp_path / "results")
    assert main(["report", "--results", str(res), "--out", str(tmp_path / "o"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert errors(printed, SCHEMA) == []
    assert printed == json.loads((tmp_path / "o" / "verdicts.json").read_text())


# ------------------------------------------------------------------------------------------------ published numbers


def test_the_published_numbers_are_quoted_with_their_source_as_docs_peers_states_them(tmp_path):
    from tradeoff.reports.published import PUBLISHED

    peers = (ROOT / "docs" / "peers.md").read_text()
    rows = re.findall(r"^\| (MNIST|CIFAR-10) \| ℓ∞, ε = ([0-9./]+) \| (.+?) \| ([0-9.]+) \| ([0-9.]+) \|$", peers,
                      flags=re.M)
    assert [(m, float(c), float(r)) for _, _, m, c, r in rows] == [(p.model, p.clean, p.robust) for p in PUBLISHED]
    assert "Croce & Hein" in peers and "RobustBench" in peers
    res = fx.write_all(tmp_path / "results")
    md = build(tmp_path, res).markdown.read_text()
    section = md[md.index('<a id="published"></a>'):]
    assert section.count("quoted: ") == len(PUBLISHED) and "| 98.53 | 88.50 |" in section
    for clean, robust in ((98.53, 88.50), (99.48, 92.81), (99.26, 96.34)):  # Madry, TRADES, Gowal (issue 23)
        assert f"| {clean:.2f} | {robust:.2f} | AutoAttack |" in section
    assert "ours: " in section  # the fixture's full-data ℓ∞ 0.3 sweep models, beside them


# ------------------------------------------------------------------------------------------------ the page


def test_each_figure_is_on_the_page_once(tmp_path):
    figs = tmp_path / "figures"
    for name in ("theory_finite_sample", "fig5a_weights", "theory_frontier", "fig6_mnist", "fig2_mnist"):
        fx.tiny_png(figs / f"{name}.png")
    res = fx.write_all(tmp_path / "results")
    built = build(tmp_path, res, figs)
    html = built.html.read_text()
    pngs = sorted(figs.glob("*.png"))
    ids = re.findall(r'<figure class="fig" id="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and html.count("data:image/png;base64,") == len(ids)
    # theory_finite_sample belongs to claims 5 and 6: shown with 5, linked from 6 and from the figures section
    assert ids.count("figure-theory-finite-sample") == 1
    six = html[html.index('id="claim-6"'):html.index('id="claim-7"')]
    assert 'href="#figure-theory-finite-sample"' in six and 'id="figure-theory-finite-sample"' not in six
    gallery = html[html.index('<h2 id="figures"'):html.index('<h2 id="reproducibility"')]
    assert 'href="#figure-theory-finite-sample"' in gallery
    # the producer's Figure 6 is redrawn per scale by the report: named, not shown; fig2 has no pictures file
    assert "figures/fig6_mnist.png" in gallery and "figure-fig6-mnist" not in ids
    shown = {i for i in ids} | {"figure-fig6-mnist"}
    assert {"figure-" + p.stem.replace("_", "-") for p in pngs} <= shown


def test_readme_quotes_the_committed_h200_run_as_its_result_file_states_it():
    """The one measured number the README quotes is a committed reference result, checked here against its file."""
    readme = " ".join((ROOT / "README.md").read_text().split())
    row = read_result(ROOT / "reports" / "results" / "gpu_h200_mnist_robust.json")["payload"]["rows"][0]
    quoted = (f"trained end to end in {row['wall_time_s']:.0f} s: {100 * row['clean_acc']:.2f}% clean accuracy and "
              f"{100 * row['robust_acc']:.2f}% under PGD-100 with 3 restarts on the full test set")
    assert quoted in readme and row["n_test"] == 10000 and row["eval_attack"].startswith("PGD-100") \
        and "x3 restarts" in row["eval_attack"]


def test_readme_quotes_no_measured_interval():
    """The README points at the report and verdicts.json for measured numbers (they change with every build)."""
    readme = (ROOT / "README.md").read_text()
    assert not re.findall(r"\[[+-]?\d\.\d{3,}, [+-]?\d\.\d{3,}\]", readme)  # a measured interval, not code
    assert "verdicts.json" in readme and "tradeoff report --json" in readme
