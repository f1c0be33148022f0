"""The result payloads built in theory/ (averaging, bound, Theorem 2, finite samples, transfer)."""

import math

import pytest
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from tradeoff.theory.averaging import averaging_payload, theorem1_radius
from tradeoff.theory.bound import bound_payload
from tradeoff.theory.distribution import FeatureDistribution
from tradeoff.theory.finite_sample import finite_sample_curve, finite_sample_payload


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1):
        yield


def test_averaging_payload_closed_forms_and_extra_settings():
    dist = FeatureDistribution(400, 0.9, 2 / 20)
    pl = averaging_payload(dist, theorem1_radius(dist), "inf", mc_samples=4000, seed=1, also_eta_sqrt_d=[3.0])
    assert pl["standard_closed"] == pytest.approx(norm.cdf(2.0)) and pl["robust_closed"] == pytest.approx(norm.cdf(-2))
    assert pl["standard_mc"]["low"] <= pl["standard_closed"] <= pl["standard_mc"]["high"]
    first, extra = pl["rows"]
    assert first["eta_sqrt_d"] == pytest.approx(2.0) and extra["eta_sqrt_d"] == pytest.approx(3.0)
    assert extra["eps"] == pytest.approx(2 * 3 / 20) and extra["seed"] == 2
    assert theorem1_radius(dist, "2") == pytest.approx(2 * 0.1 * 20)
    assert "rows" not in averaging_payload(dist, 0.1)
    with pytest.raises(ValueError, match="also_eta_sqrt_d"):
        averaging_payload(dist, 0.1, also_eta_sqrt_d=[math.nan])
    with pytest.raises(ValueError, match="mc_samples"):
        averaging_payload(dist, 0.1, mc_samples=-1)


def test_bound_payload_holds_and_is_tight_at_one_minus_p():
    dist = FeatureDistribution(50, 0.95, 2 / math.sqrt(50))
    pl = bound_payload(dist, theorem1_radius(dist), mc_samples=2000, seed=0)
    assert pl["all_hold"] and len(pl["classifiers"]) == 10
    assert all(r["robust"] <= r["bound"] + 1e-12 for r in pl["classifiers"] if r["method"] == "exact")
    assert pl["tight"]["delta"] == pytest.approx(0.05) and abs(pl["tight"]["gap"]) < 1e-12
    assert len(bound_payload(dist, theorem1_radius(dist), mc_samples=0)["classifiers"]) == 6


def test_finite_sample_payload_keeps_the_grid_in_order():
    rows = finite_sample_curve(20, 0.9, 0.5, [10, 30], [0.0, 0.5], [4, 5])
    pl = finite_sample_payload(rows, 20, 0.9, 0.5)
    assert (pl["ns"], pl["eps_trains"], pl["seeds"]) == ([10, 30], [0.0, 0.5], [4, 5]) and len(pl["rows"]) == 8
    assert pl["eps_eval"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="rows"):
        finite_sample_payload([], 20, 0.9, 0.5)
