"""``tradeoff data limit`` with three or more classes, end to end on small stand-in data (sklearn's 8x8 digits), its
user errors, and the report keeping its two-class frontier when a many-class limit sits beside it."""

import json

import numpy as np
import pytest
from sklearn.datasets import load_digits

from tradeoff.data import pairs
from tradeoff.reports.cli import main
from tradeoff.theory.multiclass_graph import multiclass_conflict_graph
from tradeoff.theory.multiclass_limit import multiclass_limit


def _digits():
    X, t = load_digits(return_X_y=True)
    return (X * 255 / 16).round().astype(np.uint8).reshape(-1, 1, 8, 8), t.astype(np.int64)


def _fake_classes(dataset, classes, split="train", root=None, per_class=None):
    X, t = _digits()
    X, t = (X[:1200], t[:1200]) if split == "train" else (X[1200:], t[1200:])
    idx = np.sort(np.concatenate([np.flatnonzero(t == c)[:per_class] for c in pairs.check_classes(dataset, classes)]))
    return X[idx], t[idx]


def _fake_pair(dataset, positive, negative, split="train", root=None):
    X, t = _fake_classes(dataset, [positive, negative], split)
    return X, np.where(t == int(positive), 1, -1)


def test_many_class_limit_writes_result_and_matches_the_direct_computation(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pairs, "load_classes", _fake_classes)
    rc = main(["--build-dir", str(tmp_path), "data", "limit", "--classes", "8", "3", "5", "--norm", "2", "--eps", "1",
               "1.5", "--per-class", "60", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    result = json.loads((tmp_path / "results" / "data" / "limit_mnist_3-5-8_2_k60.json").read_text())
    payload = result["payload"]
    assert result["kind"] == "data.limit" and payload["multiclass"] and payload["classes"] == [3, 5, 8]
    assert payload["n_per_class"]["train"] == {"3": 60, "5": 60, "8": 60}
    X, t = _fake_classes("mnist", [3, 5, 8], "test", per_class=60)
    want = multiclass_limit(multiclass_conflict_graph(X, t, 1.5, "2"))
    row = [r for r in out["limits"] if r["split"] == "test" and r["eps"] == 1.5][0]
    assert want.exact and row["exact"] and row["best_robust_acc"] == pytest.approx(want.robust_accuracy)
    assert row["lower"] <= row["best_robust_acc"] <= row["upper"] and want.n_edges > 0  # eps=1.5 makes conflicts
    assert set(out["separation"]["test_to_train"]["beyond_2eps"]) == {"1", "1.5"}


def test_all_classes_table_and_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pairs, "load_classes", _fake_classes)
    assert main(["--build-dir", str(tmp_path), "data", "limit", "--classes", "all", "--eps", "0.45",
                 "--per-class", "20", "--no-train-separation"]) == 0
    out = capsys.readouterr().out
    assert "10 classes" in out and "lower" in out and "upper" in out and "another class" in out
    assert (tmp_path / "results" / "data" / "limit_mnist_all_inf_k20.json").is_file()


@pytest.mark.parametrize("argv,msg", [
    (["--classes", "5"], "at least two classes"),
    (["--classes", "5", "7", "5"], "given twice"),
    (["--classes", "all", "3"], "either 'all'"),
    (["--classes", "3", "5", "8", "--eps", "nan"], "eps"),
    (["--classes", "3", "5", "8", "--eps", "-0.1"], "eps"),
    (["--classes", "3", "5", "8", "--per-class", "0"], "per-class"),
    (["--classes", "3", "5", "8", "--time-limit", "-1"], "time-limit"),
])
def test_many_class_user_errors(argv, msg, tmp_path, capsys):
    assert main(["--build-dir", str(tmp_path), "data", "limit", *argv]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


def test_report_keeps_the_two_class_limit_beside_a_many_class_one(tmp_path, monkeypatch, capsys):
    from tradeoff.reports import result_index

    monkeypatch.setattr(pairs, "load_classes", _fake_classes)
    monkeypatch.setattr(pairs, "load_pair", _fake_pair)
    monkeypatch.setattr(result_index, "COMMITTED_RESULTS", tmp_path / "none")
    b = str(tmp_path)
    assert main(["--build-dir", b, "data", "limit", "--eps", "0.2"]) == 0
    two = tmp_path / "results" / "data" / "limit_mnist_5v7_inf.json"
    older = json.loads(two.read_text())
    older["created"] = "2000-01-01T00:00:00+00:00"  # the many-class file is the newest data.limit file
    two.write_text(json.dumps(older))
    assert main(["--build-dir", b, "data", "limit", "--classes", "all", "--eps", "0.2", "--per-class", "10"]) == 0
    assert main(["--build-dir", b, "report"]) == 0
    md = (tmp_path / "report.md").read_text()
    assert "trade-off frontier everywhere" in md and "5-vs-7" in md
    assert "limit_mnist_5v7_inf.json" in md.split("Reproducibility")[-1]


def test_frontier_figure_payloads_keep_the_two_class_limit(tmp_path, monkeypatch, capsys):
    from tradeoff.reports.figures.frontier_everywhere import gather_payloads

    monkeypatch.setattr(pairs, "load_classes", _fake_classes)
    monkeypatch.setattr(pairs, "load_pair", _fake_pair)
    b = str(tmp_path)
    assert main(["--build-dir", b, "data", "limit", "--eps", "0.2"]) == 0
    assert main(["--build-dir", b, "data", "limit", "--classes", "all", "--eps", "0.2", "--per-class", "10"]) == 0
    got = gather_payloads(tmp_path / "results")["limit"]  # limit_mnist_all_inf_k10 sorts after limit_mnist_5v7_inf
    assert got["inf"]["classes"] == [5, 7] and not got["inf"].get("multiclass")
