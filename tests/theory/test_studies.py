"""The theory studies (theory.studies): settings checked when a definition is made, one kind per study written where
data.kinds says, and the sympy checks the svm and bound studies store beside their numbers."""

from __future__ import annotations

import math

import pytest

from tradeoff.data.io import read_result
from tradeoff.data.kinds import KINDS, Kind
from tradeoff.data.study import result_path, write_study
from tradeoff.theory import studies as S
from tradeoff.theory.distribution import FeatureDistribution

D = FeatureDistribution(40, 0.95, 4 / math.sqrt(40))


@pytest.mark.parametrize("make, words", [
    (lambda: S.AveragingStudy(D, 2 * D.eta, also_eta_sqrt_d=(math.nan,)), "--also-eta-sqrt-d"),
    (lambda: S.AveragingStudy(FeatureDistribution(10**8, 0.95, 0.1), 0.2), "--mc-samples 0"),
    (lambda: S.BoundStudy(D, 0.1 * D.eta), "omit --eps"),
    (lambda: S.FrontierStudy(FeatureDistribution(40, 1.0, 0.5), 1.0), "--p < 1"),
    (lambda: S.FrontierStudy(D, 2 * D.eta, points=1), "--points"),
    (lambda: S.SvmStudy(FeatureDistribution(2 * 10**6, 0.95, 0.01)), "--no-general-check"),
    (lambda: S.FiniteSampleStudy(D, (10,), (0.0,), (0,), ridge=0.0), "--ridge"),
    (lambda: S.FiniteSampleStudy(FeatureDistribution(10**6, 0.95, 0.01), (10**4,), (0.0,), (0,)), "--n-max"),
    (lambda: S.TransferStudy(FeatureDistribution(10**6, 0.95, 0.01), n_train=10, n_test=10**4), "--n-test"),
    (lambda: S.GaussianStudy(draws=1), "--draws"),
    (lambda: S.GaussianStudy(sigma=-1.0), "sigma"),
])
def test_a_bad_setting_is_refused_when_the_definition_is_made(make, words):
    with pytest.raises(ValueError) as e:
        make()
    assert words in str(e.value) and "\n" not in str(e.value)


def test_each_study_writes_its_kind_where_the_table_says(tmp_path):
    eps = 2 * D.eta
    studies = [S.AveragingStudy(D, eps, mc_samples=200), S.BoundStudy(D, eps, mc_samples=200),
               S.FrontierStudy(D, eps, points=5), S.SvmStudy(D, check_general=False),
               S.FiniteSampleStudy(D, (10, 30), (0.0, D.eta), (0,)), S.TransferStudy(D, 2, 50, 100),
               S.GaussianStudy(d=20, ns=(1, 3), draws=20)]
    kinds = []
    for study in studies:
        result = study.run()
        path = write_study(result, tmp_path)
        env = read_result(path)
        assert path == result_path(result.kind, tmp_path) == tmp_path / KINDS[result.kind].file
        assert env["kind"] == result.kind and env["scale"] == "exact" and env["evidence"] is True
        assert env["payload"] == read_result(path)["payload"] and env["seeds"] == list(result.seeds)
        kinds.append(result.kind)
    assert kinds == [Kind.THEORY_AVERAGING, Kind.THEORY_BOUND, Kind.THEORY_FRONTIER, Kind.THEORY_SVM,
                     Kind.THEORY_FINITE_SAMPLE, Kind.THEORY_TRANSFER, Kind.THEORY_GAUSSIAN_MODEL]


def test_svm_study_sets_the_sympy_accuracies_beside_its_own():
    payload = S.SvmStudy(FeatureDistribution(100, 0.95, 0.4), check_general=False).run().payload
    sym = payload["symbolic"]
    checked = {k: m for k, m in sym["models"].items() if m["checked"]}
    assert "hinge, standard" in checked and sym["agrees"] is True and sym["max_abs_difference"] <= 1e-9
    for name, m in checked.items():
        loss, kind = name.split(", ")
        block = payload if loss == "hinge" else payload["logistic"]
        assert m["standard_acc"] == pytest.approx(block[kind]["standard_acc"], abs=1e-9)
        assert m["robust_acc"] == pytest.approx(block[kind]["robust_acc"], abs=1e-9)
    # the adversarial minimisers put no weight on the weak features (v = 0): outside the Gaussian derivation
    assert sym["models"]["hinge, adversarial"]["checked"] is (payload["adversarial"]["v"] > 0)


def test_symmetric_rule_check_catches_a_wrong_accuracy():
    from tradeoff.theory.accuracy import symmetric_accuracy
    from tradeoff.theory.symbolic import symmetric_rule_check

    d, p, eta, eps = 100, 0.9, 0.3, 0.6
    std, rob = (float(symmetric_accuracy(0.5, 1.2, d, p, eta, eps=e)) for e in (0.0, eps))
    good = symmetric_rule_check({"m": {"w1": 0.5, "v": 1.2, "standard_acc": std, "robust_acc": rob}}, d, p, eta, eps)
    bad = symmetric_rule_check({"m": {"w1": 0.5, "v": 1.2, "standard_acc": std, "robust_acc": rob + 1e-3}}, d, p,
                               eta, eps)
    assert good["agrees"] is True and bad["agrees"] is False and bad["max_abs_difference"] == pytest.approx(1e-3)


def test_bound_study_stores_the_symbolic_proof():
    sym = S.BoundStudy(D, 2 * D.eta, mc_samples=0).run().payload["symbolic"]
    assert sym["identities_hold"] is True and "2*p - 1" in sym["slack"]
