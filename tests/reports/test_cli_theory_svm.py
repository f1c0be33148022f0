"""`tradeoff theory svm|finite|transfer` and what `tradeoff theory all` does with them."""

import json

import pytest
from threadpoolctl import threadpool_limits

from tradeoff.data.io import read_result
from tradeoff.reports.cli import main


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small matrix products: one BLAS thread is faster and keeps the shared test machine usable."""
    with threadpool_limits(1):
        yield


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEOFF_BUILD", str(tmp_path))
    return tmp_path


def test_svm_json_and_result_file(build, capsys):
    assert main(["theory", "svm", "--d", "200", "--p", "0.9", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    res = read_result(build / "results" / "theory" / "svm.json")
    assert res["kind"] == "theory.svm" and res["scale"] == "exact"
    pay = res["payload"]
    assert pay == out
    for key in ("d", "p", "eta", "eps_train", "eps_eval", "standard", "adversarial", "lemmas", "logistic"):
        assert key in pay
    for side in ("standard", "adversarial"):
        assert {"w1", "v", "standard_acc", "robust_acc", "weak_weight_norm"} <= set(pay[side])
    assert set(pay["lemmas"]) == {"D1", "D2", "D3", "D4", "D5"}
    assert all({"value", "holds"} <= set(v) for v in pay["lemmas"].values())
    assert {"standard", "adversarial", "pattern_holds"} <= set(pay["logistic"])
    assert pay["d"] == 200 and pay["eta"] == pytest.approx(4 / 200**0.5)


def test_svm_table_explains_side_condition(build, capsys):
    assert main(["theory", "svm", "--d", "100", "--p", "0.6", "--eps-train", "0.3", "--no-general-check"]) == 0
    out = capsys.readouterr().out
    assert "constant" in out and "2p - 1" in out and "D5" in out


def test_finite_writes_rows_and_figure(build, capsys):
    rc = main(["theory", "finite", "--d", "50", "--n-min", "10", "--n-max", "100", "--seeds", "2",
               "--eps-train", "0,2eta"])
    assert rc == 0
    assert "eps_train" in capsys.readouterr().out
    res = read_result(build / "results" / "theory" / "finite_sample.json")
    assert res["kind"] == "theory.finite_sample"
    rows = res["payload"]["rows"]
    assert len(rows) == 3 * 2 * 2
    assert {"n", "eps_train", "seed", "standard_acc", "robust_acc"} <= set(rows[0])
    assert (build / "figures" / "theory_finite_sample.png").stat().st_size > 1000


def test_transfer_json(build, capsys):
    assert main(["theory", "transfer", "--d", "100", "--n-models", "2", "--n-train", "200", "--n-test", "500",
                 "--json"]) == 0
    pay = json.loads(capsys.readouterr().out)
    assert pay["n_models"] == 2 and len(pay["per_model"]) == 2
    assert {"estimate", "low", "high", "n", "level"} <= set(pay["fooled_fraction"])
    assert all({"estimate", "low", "high"} <= set(m["fooled_fraction"]) for m in pay["per_model"])
    assert read_result(build / "results" / "theory" / "transfer.json")["kind"] == "theory.transfer"


@pytest.mark.parametrize(
    "argv,word",
    [
        (["theory", "svm", "--p", "1.5"], "--p"),
        (["theory", "svm", "--d", "zero"], "--d"),
        (["theory", "svm", "--eps-train", "-1"], "--eps-train"),
        (["theory", "svm", "--eta", "0.1", "--eta-sqrt-d", "4"], "--eta"),
        (["theory", "finite", "--n-min", "100", "--n-max", "10"], "--n-max"),
        (["theory", "finite", "--eps-train", "0,xeta"], "--eps-train"),
        (["theory", "finite", "--loss", "hinge"], "--loss"),
        (["theory", "transfer", "--n-models", "0"], "--n-models"),
        # sizes that cannot run: refused up front instead of a MemoryError traceback or an endless solve
        (["theory", "transfer", "--d", "10000000", "--n-train", "10"], "--n-test"),
        (["theory", "transfer", "--d", "1000000", "--n-train", "100000", "--n-test", "10"], "--n-train"),
        (["theory", "finite", "--d", "10000000", "--n-max", "1000"], "--n-max"),
        (["theory", "svm", "--d", "100000000"], "--no-general-check"),
    ],
)
def test_bad_input_is_one_line_error(build, capsys, argv, word):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and word in err and err.startswith("tradeoff: error:")


def test_all_runs_svm_finite_transfer_at_its_settings(build, capsys):
    # `theory all` with eta = 2/sqrt(d) (below Theorem 2's 4/sqrt(d)) and eps = 2 eta
    assert main(["theory", "all", "--d", "100", "--eta-sqrt-d", "2", "--eps", "0.4", "--mc-samples", "1000",
                 "--points", "5", "--also-eta-sqrt-d"]) == 0
    captured = capsys.readouterr()
    assert "Theorem 2 needs eta >= 4/sqrt(d)" in captured.err  # eta = 2/sqrt(d) < 4/sqrt(d) is raised, with a warning
    svm = read_result(build / "results" / "theory" / "svm.json")["payload"]
    assert svm["eta"] == pytest.approx(0.4) and all(v["holds"] for v in svm["lemmas"].values())
    finite = read_result(build / "results" / "theory" / "finite_sample.json")["payload"]
    assert finite["eps_eval"] == pytest.approx(0.4) and finite["eta"] == pytest.approx(0.2)
    assert read_result(build / "results" / "theory" / "transfer.json")["payload"]["eps"] == pytest.approx(0.4)


@pytest.mark.parametrize("command", ["svm", "finite", "transfer"])
def test_help_describes_the_command_for_users(command, capsys):
    # the description is for users: what is computed and where it is written, not a Python return signature
    with pytest.raises(SystemExit):
        main(["theory", command, "--help"])
    out = capsys.readouterr().out
    assert "results/theory/" in out and "return" not in out
