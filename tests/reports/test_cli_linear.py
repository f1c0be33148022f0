"""``tradeoff linear fig5`` end to end on small stand-in data, its errors, and (realdata) on MNIST."""

import json

import numpy as np
import pytest
from sklearn.datasets import load_digits

from tradeoff.linear import fig5
from tradeoff.reports.cli import main


def _fake_loader(digits=(5, 7), root=None):
    a, b = fig5.check_digits(digits)
    X, t = load_digits(return_X_y=True)
    keep = (t == a) | (t == b)
    X, y = (X[keep] / 16.0).reshape(-1, 1, 8, 8), np.where(t[keep] == a, 1.0, -1.0)
    return X[:250], y[:250], X[250:], y[250:]


def test_fig5_writes_result_figures_and_table(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fig5, "load_binary_mnist", _fake_loader)
    rc = main(["--build-dir", str(tmp_path), "linear", "fig5", "--digits", "3", "8", "--n-k", "6"])
    out = capsys.readouterr().out
    assert rc == 0
    result = json.loads((tmp_path / "results" / "linear" / "fig5.json").read_text())
    assert result["kind"] == "linear.fig5" and result["payload"]["digits"] == [3, 8]
    assert result["payload"]["box"] is True and result["payload"]["norm"] == "inf"
    for name in ("fig5a_weights.png", "fig5b_correlation.png", "fig5c_topk.png"):
        assert (tmp_path / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "robust_acc" in out and "adversarial (inf, eps=0.2)" in out


def test_fig5_json_output_and_l2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fig5, "load_binary_mnist", _fake_loader)
    rc = main(["--build-dir", str(tmp_path), "linear", "fig5", "--norm", "2", "--eps", "1.0", "--no-box",
               "--n-k", "4", "--json", "--no-figures"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["figures"] == [] and out["summary"]["robust"]["robust_acc"] >= out["summary"]["standard"]["robust_acc"]


@pytest.mark.parametrize("digits,msg", [(["5", "5"], "must differ"),
                                        (["5", "12"], "--digits 12: must be an integer in [0, 9]")])
def test_bad_digits_give_one_line_error(digits, msg, tmp_path, capsys):
    rc = main(["--build-dir", str(tmp_path), "linear", "fig5", "--digits", *digits])
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists()


def test_negative_eps_is_a_user_error(tmp_path, capsys):
    assert main(["--build-dir", str(tmp_path), "linear", "fig5", "--eps", "-0.1"]) == 2
    assert "eps" in capsys.readouterr().err


@pytest.mark.parametrize("flag,value", [("--alpha", "nan"), ("--alpha", "-1"), ("--tol", "-1"), ("--tol", "nan")])
def test_bad_solver_settings_are_user_errors(flag, value, tmp_path, capsys):
    # refused before any data is loaded or any fit runs (a NaN alpha used to give a flat model and exit 0)
    assert main(["--build-dir", str(tmp_path), "linear", "fig5", flag, value]) == 2
    err = capsys.readouterr().err
    assert flag.lstrip("-") in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists()


@pytest.mark.realdata
@pytest.mark.slow
def test_fig5_on_real_mnist(tmp_path, capsys):
    pytest.importorskip("data.mnist", reason="the MNIST loader has not landed")
    from tradeoff.data.paths import cache_dir

    if not (cache_dir() / "mnist").exists():
        pytest.skip(f"MNIST not in {cache_dir() / 'mnist'}")
    assert main(["--build-dir", str(tmp_path), "linear", "fig5", "--n-k", "8", "--no-figures"]) == 0
    p = json.loads((tmp_path / "results" / "linear" / "fig5.json").read_text())["payload"]
    std, rob = p["summary"]["standard"], p["summary"]["robust"]
    assert std["robust_acc"] < 0.1 < 0.5 < rob["robust_acc"]
    assert rob["top_mass"] > std["top_mass"] and rob["n_active"] < std["n_active"]
