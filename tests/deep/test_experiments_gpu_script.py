"""bench/gpu_deep.py: budget bookkeeping, the order of its plan, and that `python -m bench` does not start it."""

from __future__ import annotations

import importlib.util

import pytest

from bench import gpu_deep


def test_budget_learns_a_rate_and_estimates():
    b = gpu_deep.Budget(100.0)
    assert b.estimate("mnist", 1000) is None
    b.learn("mnist", 1000, 2.0)
    assert b.estimate("mnist", 500) == pytest.approx(1.0)
    assert b.estimate("cifar10", 500) is None
    assert 99 < b.left() <= 100


def test_no_arguments_means_skip(capsys):
    assert gpu_deep.main([]) == 0
    assert "skipped" in capsys.readouterr().out


@pytest.mark.skipif(importlib.util.find_spec("deep.config") is None, reason="deep engine not merged")
def test_plan_puts_full_data_linf_first_and_orders_eps(tmp_path):
    m, c = gpu_deep.gpu_definitions(quick=True, mnist_epochs=1, cifar_epochs=1, cifar_n=None)
    parts = gpu_deep.plan(m, c, engine=None, runs_root=tmp_path, results_root=tmp_path, figures_root=tmp_path,
                          log=print)
    names = [p.name for p in parts]
    assert names[0] == "mnist_linf_full_data" and names.index("mnist_pictures") < names.index("cifar10_linf_full")
    first = parts[0].runs
    assert first[0].eps_train == 0 and [r.eps_train for r in first[1:]] == sorted(
        (r.eps_train for r in first[1:]), reverse=True)
    assert all(r.n_train == max(m["fig6"].n_train) for r in first)
    costs = [gpu_deep.run_units(r) for r in first]
    assert costs[0] < min(costs[1:])  # standard training has no PGD passes
