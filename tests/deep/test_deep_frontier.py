"""The deep frontier experiment (deep.experiments.frontier, ``tradeoff deep frontier``) at the smoke scale: every
model of the β and ε_train grids trained on the population engine and evaluated once, by the strong evaluation,
as a 10-class model and restricted to a pair of classes; a second call trains nothing."""

import json

import pytest
import torch

from tradeoff.deep.experiments import frontier
from tradeoff.reports.cli import main

torch.set_num_threads(1)


def test_grid_is_trades_per_beta_and_pgd_per_eps_from_one_template():
    exp = frontier.definition("cpu")
    cfgs = exp.configs()
    assert [c.adv.beta for c in cfgs if c.adv.trades] == list(exp.betas)
    assert [c.adv.eps for c in cfgs if not c.adv.trades] == list(exp.pgd_eps)
    shared = {k: v for k, v in exp.template.to_dict().items() if k not in ("name", "adv", "eval", "seed", "data_seed")}
    for c in cfgs:
        assert {k: c.to_dict()[k] for k in shared} == shared  # only method, beta, eps and seed vary
        assert c.adv.trades or c.adv.eps == 0 or c.adv.eps_warmup == exp.template.adv.eps_warmup
    assert len({c.name for c in cfgs}) == len(cfgs)
    with pytest.raises(ValueError, match="betas must be > 0"):
        frontier.DeepFrontier("cpu", exp.template, (0.0,), (0.1,), (0,), 0.3).validate()
    with pytest.raises(ValueError, match="unknown scale"):
        frontier.definition("paper")


def test_pair_restriction_is_the_argmax_of_the_two_classes_logits():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 10))
    x = torch.rand(50, 1, 2, 2)
    y = torch.randint(0, 10, (50,))
    y[:10], y[10:20] = 5, 7
    xp, yp = frontier.pair_points(x, y, (5, 7))
    assert len(yp) == int(((y == 5) | (y == 7)).sum()) and set(yp.tolist()) <= {0, 1}
    logits = model(xp)
    want = (logits[:, 7] > logits[:, 5]).long()
    assert torch.equal(frontier.PairRestriction(model, (5, 7))(xp).argmax(1), want)


def test_deep_frontier_command_trains_evaluates_and_resumes(tmp_path, capsys):
    argv = ["--build-dir", str(tmp_path), "deep", "frontier", "--scale", "smoke", "--workers", "1", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    exp = frontier.definition("smoke")
    assert len(out["rows"]) == len(exp.betas) + len(exp.pgd_eps)
    assert [r["method"] for r in out["rows"]] == ["trades"] * len(exp.betas) + ["standard", "pgd"]
    for r in out["rows"]:
        assert r["n_standard"] == 1000 and r["n_robust"] == exp.n_robust  # the whole toy test split; the subset
        assert 0 <= r["robust_acc"] <= r["standard_acc_subset"] <= 1  # the ensemble only removes correct points
        assert "apgd-ce" in r["evaluation"] and r["eps_eval"] == exp.eps_eval
        pair = r["pair"]
        assert pair["classes"] == list(exp.pair) and pair["n_standard"] == 500  # toy: 250 points per class
        assert all(0 <= pair["robust"][f"{e:g}"] <= pair["standard_acc_subset"] for e in exp.pair_eps)
    result = json.loads((tmp_path / "results" / "deep" / "frontier_toy.json").read_text())
    assert result["kind"] == "deep.frontier" and result["payload"]["rows"] == out["rows"]
    summary = json.loads((tmp_path / "runs" / out["rows"][0]["run"] / "summary.json").read_text())["payload"]
    assert summary["method"] == "trades" and summary["beta"] == exp.betas[0]
    assert main(argv) == 0  # everything finished: nothing retrained, the same evaluations
    again = json.loads(capsys.readouterr().out)
    assert again["rows"] == out["rows"]


def test_deep_frontier_command_user_errors(tmp_path, capsys):
    assert main(["--build-dir", str(tmp_path), "deep", "frontier", "--workers", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--workers" in err and len(err.strip().splitlines()) == 1
