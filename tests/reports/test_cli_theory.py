import json
import math

import pytest

from tradeoff.data.io import read_result
from tradeoff.reports.cli import main


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEOFF_BUILD", str(tmp_path))
    return tmp_path


def run_json(capsys, argv):
    rc = main(argv + ["--json"])
    out = capsys.readouterr().out
    assert rc == 0
    return json.loads(out)


def test_averaging_done_when_values(build, capsys):
    pl = run_json(capsys, ["theory", "averaging", "--mc-samples", "20000", "--eta-sqrt-d", "2"])
    assert pl["d"] == 1000 and pl["eta"] == pytest.approx(2 / math.sqrt(1000))
    assert pl["standard_closed"] == pytest.approx(0.97725, abs=1e-4)
    assert pl["robust_closed"] == pytest.approx(0.02275, abs=1e-4)
    for key, closed in (("standard_mc", "standard_closed"), ("robust_mc", "robust_closed")):
        iv = pl[key]
        assert set(iv) == {"estimate", "low", "high", "n", "level"} and iv["n"] == 20000
        assert iv["low"] <= pl[closed] <= iv["high"]
    res = read_result(build / "results" / "theory" / "averaging.json")
    assert res["kind"] == "theory.averaging" and res["payload"]["standard_closed"] == pl["standard_closed"]
    assert res["seeds"] == [0] and "D(d=1000" in res["dataset"]
    assert (build / "figures" / "theory_averaging.png").read_bytes()[:4] == b"\x89PNG"


def test_averaging_table_and_options(build, capsys):
    assert (
        main(
            [
                "theory",
                "averaging",
                "--d",
                "100",
                "--eta-sqrt-d",
                "3",
                "--eps",
                "0.1",
                "--norm",
                "2",
                "--mc-samples",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "closed form" in out and "(skipped)" in out
    pl = read_result(build / "results" / "theory" / "averaging.json")["payload"]
    assert pl["eta"] == pytest.approx(0.3) and pl["norm"] == "2"
    from scipy.stats import norm

    assert pl["robust_closed"] == pytest.approx(norm.cdf(3 - 0.1))


def test_bound_all_hold_and_tight(build, capsys):
    assert main(["theory", "bound", "--d", "50", "--eta-sqrt-d", "2", "--mc-samples", "3000"]) == 0
    out = capsys.readouterr().out
    assert "all hold: yes" in out and "Bayes rule" in out
    pl = read_result(build / "results" / "theory" / "bound.json")["payload"]
    assert pl["all_hold"] is True and len(pl["classifiers"]) >= 8
    assert {"name", "standard", "robust", "bound", "holds"} <= set(pl["classifiers"][0])
    assert any(isinstance(c["standard"], dict) for c in pl["classifiers"])  # Monte Carlo intervals
    assert pl["tight"]["delta"] == pytest.approx(0.05) and abs(pl["tight"]["gap"]) < 1e-12


def test_frontier_writes_file_and_figure(build, capsys):
    pl = run_json(capsys, ["theory", "frontier", "--d", "200", "--eta-sqrt-d", "2", "--points", "21"])
    assert len(pl["delta"]) >= 21 and None not in pl["exact"] and None not in pl["linear"]
    assert all(e <= t + 1e-9 for e, t in zip(pl["exact"], pl["theorem1"]))
    assert all(li <= e + 1e-9 for li, e in zip(pl["linear"], pl["exact"]))
    assert read_result(build / "results" / "theory" / "frontier.json")["kind"] == "theory.frontier"
    png = build / "figures" / "theory_frontier.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_all_runs_every_step_and_the_svm_steps(build, capsys, monkeypatch):
    from tradeoff.reports.cli import theory

    seen = {}

    def recorder(name):
        def step(dist, *args, **kwargs):
            seen[name] = (dist.d, dist.p, dist.eta, args, kwargs)

        return step

    for name in ("svm_step", "finite_step", "transfer_step"):
        monkeypatch.setattr(theory, name, recorder(name))
    assert main(["theory", "all", "--d", "40", "--mc-samples", "500", "--seed", "3", "--points", "11"]) == 0
    out = capsys.readouterr().out
    assert "Averaging classifier" in out and "Theorem 1" in out and "Trade-off frontier" in out
    eta = 4 / math.sqrt(40)  # the one default of every theory command
    assert seen["svm_step"] == (40, 0.95, pytest.approx(eta), (), {"seed": 3, "check_general": True, "as_json": False})
    d, p, got_eta, args, kwargs = seen["finite_step"]
    assert (d, p, got_eta) == (40, 0.95, pytest.approx(eta)) and args[1] == pytest.approx([0, eta, 2 * eta])
    assert args[2] == [3] and args[3] == pytest.approx(2 * eta) and kwargs == {"as_json": False}
    assert seen["transfer_step"] == (40, 0.95, pytest.approx(eta), (), {"seed": 3, "as_json": False})
    for name in ("averaging", "bound", "frontier"):
        assert (build / "results" / "theory" / f"{name}.json").exists()
    averaging = read_result(build / "results" / "theory" / "averaging.json")["payload"]
    assert [r["eta_sqrt_d"] for r in averaging["rows"]] == pytest.approx([4.0, 2.0, 3.0])


def test_one_default_eta_for_every_theory_command(build, capsys):
    """eta = 4/sqrt(d) unless --eta or --eta-sqrt-d is given, and --help says so."""
    for argv, name in ((["averaging", "--mc-samples", "0"], "averaging"), (["bound", "--mc-samples", "0"], "bound"),
                       (["frontier", "--points", "5"], "frontier"), (["svm", "--no-general-check"], "svm"),
                       (["transfer", "--n-models", "1", "--n-train", "50", "--n-test", "50"], "transfer")):
        assert main(["theory", *argv, "--d", "64"]) == 0
        assert read_result(build / "results" / "theory" / f"{name}.json")["payload"]["eta"] == pytest.approx(0.5)
    assert main(["theory", "averaging", "--d", "64", "--eta", "0.25", "--mc-samples", "0"]) == 0
    assert read_result(build / "results" / "theory" / "averaging.json")["payload"]["eta"] == 0.25
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["theory", "finite", "--help"])
    assert "default 4/sqrt(d) for every theory command" in " ".join(capsys.readouterr().out.split())


def test_l2_default_eps_is_theorem1_radius(build, capsys):
    # with --norm 2 the default radius is Theorem 1's shift in l_2, 2 eta sqrt(d) = 2 (eta sqrt(d) = 1 here):
    # bound and frontier run without --eps instead of refusing their own default
    base = ["--d", "100", "--eta-sqrt-d", "1", "--norm", "2"]
    assert main(["theory", "averaging", *base, "--mc-samples", "0"]) == 0
    from scipy.stats import norm

    pl = read_result(build / "results" / "theory" / "averaging.json")["payload"]
    assert pl["eps"] == pytest.approx(2.0) and pl["robust_closed"] == pytest.approx(norm.cdf(1 - 2))
    assert main(["theory", "bound", *base, "--mc-samples", "200"]) == 0
    assert read_result(build / "results" / "theory" / "bound.json")["payload"]["eps"] == pytest.approx(2.0)
    assert main(["theory", "frontier", *base, "--points", "5"]) == 0
    assert read_result(build / "results" / "theory" / "frontier.json")["payload"]["eps"] == pytest.approx(2.0)
    capsys.readouterr()


@pytest.mark.parametrize(
    "argv, word",
    [
        (["theory", "averaging", "--p", "1.5"], "p "),
        (["theory", "averaging", "--p", "nan"], "p "),
        (["theory", "averaging", "--eta", "-1"], "eta"),
        (["theory", "averaging", "--d", "0"], "--d"),
        (["theory", "averaging", "--eps", "-0.1"], "eps"),
        (["theory", "averaging", "--eps", "inf"], "eps"),
        (["theory", "averaging", "--mc-samples", "-5"], "--mc-samples"),
        (["theory", "averaging", "--seed", "-1"], "--seed"),
        (["theory", "bound", "--seed", "-1", "--mc-samples", "0"], "--seed"),
        (["theory", "averaging", "--d", "100000000"], "--mc-samples 0"),
        (["theory", "bound", "--d", "50", "--eps", "0.01"], "--eps"),
        (["theory", "frontier", "--d", "50", "--eps", "0.01"], "omit --eps"),
        (["theory", "frontier", "--d", "50", "--p", "1"], "--p < 1"),
        (["theory", "frontier", "--d", "50", "--points", "1"], "--points"),
        (["theory", "frontier", "--d", "50", "--points", "100000"], "--points"),
    ],
)
def test_bad_input_is_one_line_exit_2(build, capsys, argv, word):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tradeoff: error:") and "\n" not in err and word in err
    assert "Traceback" not in err


def test_frontier_figure_puts_sign_x1_where_it_is(build, capsys):
    # d = 1, eta = 2: the default eps = 2 eta = 4 >= 1 erases x_1, so sign(x_1) has robust accuracy 0, not p
    from tradeoff.reports.figures.theory_frontier import tight_point_xy

    assert main(["theory", "frontier", "--d", "1", "--eta-sqrt-d", "2", "--points", "5"]) == 0
    capsys.readouterr()
    payload = read_result(build / "results" / "theory" / "frontier.json")["payload"]
    assert tight_point_xy(payload) == (pytest.approx(0.95), 0.0)
    assert (build / "figures" / "theory_frontier.png").stat().st_size > 0


def test_averaging_extra_settings_check_the_99_percent_statement(build, capsys):
    out = run_json(capsys, ["theory", "averaging", "--d", "400", "--eta-sqrt-d", "2", "--mc-samples", "4000",
                              "--also-eta-sqrt-d", "3"])
    rows = out["rows"]
    assert [round(r["eta_sqrt_d"], 9) for r in rows] == [2.0, 3.0]
    extra = rows[1]
    phi = lambda t: 0.5 * (1 + math.erf(t / math.sqrt(2)))  # noqa: E731
    assert extra["eps"] == pytest.approx(2 * 3 / math.sqrt(400))  # Theorem 1's radius 2 eta of that setting
    assert extra["standard_closed"] == pytest.approx(phi(3.0)) and extra["standard_closed"] > 0.99
    assert extra["robust_closed"] == pytest.approx(phi(-3.0)) and extra["robust_closed"] < 0.01
    assert extra["standard_mc"]["low"] <= extra["standard_closed"] <= extra["standard_mc"]["high"]
    assert read_result(build / "results" / "theory" / "averaging.json")["payload"]["rows"][1]["eta_sqrt_d"] == \
        pytest.approx(3.0)
    assert main(["theory", "averaging", "--also-eta-sqrt-d", "nan"]) == 2


@pytest.mark.parametrize("command, mc", [("bound", []), ("bound", ["--mc-samples", "0"]), ("frontier", [])])
def test_a_d_too_large_for_memory_is_one_line_exit_2(build, command, mc, capsys):
    """Issue 10: --d 10^12 was a numpy MemoryError traceback once Monte Carlo was off."""
    assert main(["theory", command, "--d", "1000000000000", *mc]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tradeoff: error: ") and err.count("\n") == 1
    assert "1000000000000" in err and ("TiB" in err or "--mc-samples 0" in err)
    if mc:
        assert "memory available" in err


def test_averaging_works_at_a_d_no_vector_fits(build, capsys):
    pl = run_json(capsys, ["theory", "averaging", "--d", "1000000000000", "--eta-sqrt-d", "2", "--mc-samples", "0"])
    assert pl["standard_closed"] == pytest.approx(0.97725, abs=1e-4)
