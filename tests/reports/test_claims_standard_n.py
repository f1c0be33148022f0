"""The standard-accuracy uncertainty uses the number of points the clean accuracy was measured on."""

from __future__ import annotations

import math

import pytest

from tradeoff.reports import claims as C


def test_standard_uncertainty_uses_n_eval_standard_when_given():
    # one run per model: the interval rests on the test set alone, so its SE shows which n was used
    a = [{"standard_acc": 0.8, "n_eval": 500, "n_eval_standard": 10000}]
    b = [{"standard_acc": 0.7, "n_eval": 500, "n_eval_standard": 10000}]
    assert C.compare(a, b).se == pytest.approx(math.sqrt((0.8 * 0.2 + 0.7 * 0.3) / 10000))
    # producers without the key (or with null) keep the PGD subset's n
    for extra in ({}, {"n_eval_standard": None}):
        a, b = [{"standard_acc": 0.8, "n_eval": 500, **extra}], [{"standard_acc": 0.7, "n_eval": 500, **extra}]
        assert C.compare(a, b).se == pytest.approx(math.sqrt((0.8 * 0.2 + 0.7 * 0.3) / 500))
    # the robust accuracy was measured on the PGD subset
    a = [{"standard_acc": 0.8, "robust_acc": 0.5, "n_eval": 500, "n_eval_standard": 10000}]
    b = [{"standard_acc": 0.8, "robust_acc": 0.4, "n_eval": 500, "n_eval_standard": 10000}]
    assert C.compare(a, b, "robust_acc").se == pytest.approx(math.sqrt((0.25 + 0.24) / 500))


def test_sweep_rows_carry_n_eval_standard(tmp_path):
    from tests.deep._fake_engine import FakeEngine
    from tradeoff.deep.experiments import definitions as D
    from tradeoff.deep.experiments import sweep as S

    exp = D.with_template(D.get("fig6", "mnist", "quick"), eval={"n_final": 30, "steps": 2, "restarts": 1})
    exp = D.with_overrides(exp, n_train=(30,), seeds=(0,))
    S.execute(S.expand(exp), FakeEngine(), tmp_path / "old")  # a producer without n_test_standard
    rows, missing = S.rows_for(exp, tmp_path / "old")
    assert not missing and all(r["n_eval_standard"] == r["n_eval"] == 30 for r in rows)

    class FullTest(FakeEngine):
        def evaluate(self, run, run_dir):
            return {**super().evaluate(run, run_dir), "n_test_standard": 10000}

    S.execute(S.expand(exp), FullTest(), tmp_path / "new")
    rows, _ = S.rows_for(exp, tmp_path / "new")
    assert all(r["n_eval_standard"] == 10000 and r["n_eval"] == 30 for r in rows)
