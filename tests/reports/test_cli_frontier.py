"""``tradeoff data limit`` and ``tradeoff linear frontier`` end to end on small stand-in data, and their errors."""

import json

import numpy as np
import pytest
from sklearn.datasets import load_digits

from tradeoff.data import pairs
from tradeoff.linear import fig5
from tradeoff.reports.cli import main
from tradeoff.theory.conflict_graph import conflict_graph
from tradeoff.theory.robust_limit import robust_limit


def _digits(a, b):
    X, t = load_digits(return_X_y=True)
    keep = (t == a) | (t == b)
    return (X[keep] * 255 / 16).round().astype(np.uint8).reshape(-1, 1, 8, 8), np.where(t[keep] == a, 1, -1)


def _fake_pair(dataset, positive, negative, split="train", root=None):
    X, y = _digits(int(positive), int(negative))
    return (X[:250], y[:250]) if split == "train" else (X[250:], y[250:])


def _fake_loader(digits=(5, 7), root=None):
    X, y = _digits(*digits)
    X = X / 255.0
    return X[:250], y[:250].astype(float), X[250:], y[250:].astype(float)


def test_data_limit_writes_result_and_matches_the_direct_computation(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pairs, "load_pair", _fake_pair)
    rc = main(["--build-dir", str(tmp_path), "data", "limit", "--classes", "3", "8", "--norm", "2", "--eps", "1", "2",
               "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    result = json.loads((tmp_path / "results" / "data" / "limit_mnist_3v8_2.json").read_text())
    assert result["kind"] == "data.limit" and result["payload"]["classes"] == [3, 8]
    X, y = _fake_pair("mnist", 3, 8, "test")
    want = robust_limit(conflict_graph(X, y, 2.0, "2")).robust_accuracy
    row = [r for r in out["limits"] if r["split"] == "test" and r["eps"] == 2.0][0]
    assert row["best_robust_acc"] == pytest.approx(want) and want < 1  # eps=2 makes conflicts on 8x8 digits


@pytest.mark.parametrize("argv,msg", [(["--classes", "5", "5"], "must differ"), (["--classes", "5", "x"], "0-9"),
                                      (["--eps", "-1"], "eps")])
def test_data_limit_user_errors(argv, msg, tmp_path, capsys):
    assert main(["--build-dir", str(tmp_path), "data", "limit", *argv]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


def test_linear_frontier_writes_result_and_figure(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fig5, "load_binary_mnist", _fake_loader)
    monkeypatch.setattr(pairs, "load_pair", _fake_pair)
    assert main(["--build-dir", str(tmp_path), "data", "limit", "--eps", "0.2"]) == 0
    rc = main(["--build-dir", str(tmp_path), "linear", "frontier", "--eps-train", "0", "0.2", "--beta", "0", "1"])
    out = capsys.readouterr().out
    assert rc == 0 and "trades" in out
    result = json.loads((tmp_path / "results" / "linear" / "frontier.json").read_text())
    models = result["payload"]["models"]
    assert result["kind"] == "linear.frontier" and len(models) == 4
    assert (tmp_path / "figures" / "frontier_mnist.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_linear_frontier_bad_beta_is_a_user_error(tmp_path, capsys):
    assert main(["--build-dir", str(tmp_path), "linear", "frontier", "--beta", "-1"]) == 2
    assert "beta" in capsys.readouterr().err


def test_theory_gaussian_writes_result_and_figure(tmp_path, capsys):
    rc = main(["--build-dir", str(tmp_path), "theory", "gaussian", "--d", "50", "--n", "1", "4", "--draws", "50",
               "--json"])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["n"] for r in rows] == [1, 4] and rows[1]["standard_error"] <= rows[0]["standard_error"]
    result = json.loads((tmp_path / "results" / "theory" / "gaussian_model.json").read_text())
    assert result["kind"] == "theory.gaussian_model"
    assert (tmp_path / "figures" / "theory_gaussian_model.png").is_file()
    assert main(["--build-dir", str(tmp_path), "theory", "gaussian", "--sigma", "-1"]) == 2


def test_report_section_from_result_files(tmp_path, monkeypatch, capsys):
    from tradeoff.reports.frontier_section import frontier_section
    from tradeoff.reports.render_markdown import render_markdown
    from tradeoff.reports.report import Document

    monkeypatch.setattr(fig5, "load_binary_mnist", _fake_loader)
    monkeypatch.setattr(pairs, "load_pair", _fake_pair)
    b = str(tmp_path)
    assert main(["--build-dir", b, "data", "limit", "--eps", "0.2"]) == 0
    assert main(["--build-dir", b, "linear", "frontier", "--eps-train", "0", "0.2", "--beta", "1"]) == 0
    read = lambda p: json.loads((tmp_path / "results" / p).read_text())["payload"]  # noqa: E731
    limit, linear = read("data/limit_mnist_5v7_inf.json"), read("linear/frontier.json")
    fig = tmp_path / "figures" / "frontier_mnist.png"
    blocks = frontier_section(limit, linear, None, [(fig, "figures/frontier_mnist.png")])
    md = render_markdown(Document("t", tuple(blocks)))
    best = max(m["robust_acc"] for m in linear["models"])
    assert f"{best:.4f}" in md and "frontier_mnist.png" in md and "best robust accuracy" in md
    assert frontier_section(None, None) == []


def test_tradeoff_report_shows_the_frontier_section(tmp_path, monkeypatch, capsys):
    from tradeoff.reports import result_index

    monkeypatch.setattr(fig5, "load_binary_mnist", _fake_loader)
    monkeypatch.setattr(pairs, "load_pair", _fake_pair)
    monkeypatch.setattr(result_index, "COMMITTED_RESULTS", tmp_path / "none")
    b = str(tmp_path)
    assert main(["--build-dir", b, "report"]) == 0
    assert "trade-off frontier everywhere" not in (tmp_path / "report.md").read_text()  # no results: no section
    assert main(["--build-dir", b, "data", "limit", "--eps", "0.2"]) == 0
    assert main(["--build-dir", b, "linear", "frontier", "--eps-train", "0", "0.2", "--beta", "1"]) == 0
    assert main(["--build-dir", b, "report"]) == 0
    md = (tmp_path / "report.md").read_text()
    assert "trade-off frontier everywhere" in md and "figures/frontier_mnist.png" in md
    assert "limit_mnist_5v7_inf.json" in md.split("Reproducibility")[-1]  # listed among the files used
