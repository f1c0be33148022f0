"""Claims 5-8, 10 and 11 decided by the one test of reports.verdicts: each claim confirmed, refuted and inconclusive
(with its minimum detectable effect) on fixture data built for it; pairing by seed; claim 6 only at full data."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tests.reports import fixtures as fx
from tests.reports.test_report import build, section, verdicts
from tradeoff.reports import claims as C
from tradeoff.reports import verdicts as V

MDE = "minimum detectable effect"


def _md(built) -> str:
    return built.markdown.read_text()


# ------------------------------------------------------------------------------------------------ claim 5


@pytest.mark.parametrize("gain,want", [(0.08, C.CONFIRMED), (-0.05, C.REFUTED), (0.004, C.INCONCLUSIVE)])
def test_claim5_three_verdicts_with_bonferroni_over_eps(tmp_path, gain, want):
    fx.fig6(tmp_path / "r", small_gain=gain)
    built = build(tmp_path, tmp_path / "r")
    s5 = section(_md(built), 5)
    assert verdicts(built)[5] == want
    # two values of ε_train at the smallest n: each interval at 1 − 0.05/2
    assert "97.5% CI" in s5 and "paired t over 3 seeds" in s5
    assert bool(re.search(MDE + r" \d", s5)) == (want == C.INCONCLUSIVE)


def test_claim5_pairing_by_seed_decides_what_the_unpaired_test_cannot(tmp_path):
    # seeds differ a lot (0.60 / 0.70 / 0.80) but each seed's adversarial run is 0.03 above its standard run
    std, adv = [0.60, 0.70, 0.80], [0.631, 0.729, 0.830]
    rows = [fx.sweep_row("mnist", "linf", 0.0, 100, s, a, n_eval=10000) for s, a in enumerate(std)]
    rows += [fx.sweep_row("mnist", "linf", 0.1, 100, s, a, n_eval=10000) for s, a in enumerate(adv)]
    fx.put(tmp_path / "p", "deep/fig6.json", "deep.sweep", {"experiment": "fig6", "rows": rows}, dataset="mnist")
    unpaired = [{k: v for k, v in r.items() if k != "seed"} for r in rows]
    fx.put(tmp_path / "u", "deep/fig6.json", "deep.sweep", {"experiment": "fig6", "rows": unpaired}, dataset="mnist")
    paired_built, unpaired_built = build(tmp_path / "P", tmp_path / "p"), build(tmp_path / "U", tmp_path / "u")
    assert verdicts(paired_built)[5] == C.CONFIRMED
    assert "paired t over 3 seeds" in section(_md(paired_built), 5)
    assert verdicts(unpaired_built)[5] == C.INCONCLUSIVE
    s5 = section(_md(unpaired_built), 5)
    assert "Welch t, 3 vs 3 runs (unpaired)" in s5 and MDE in s5
    # the same numbers through compare(): the paired SE is far below the unpaired one
    p = C.compare(rows[3:], rows[:3])
    u = C.compare(unpaired[3:], unpaired[:3])
    assert p.estimate == pytest.approx(u.estimate) and p.se < u.se / 5


def test_pairing_uses_the_shared_seeds_only_and_says_so():
    a = [fx.sweep_row("mnist", "linf", 0.1, 100, s, v, n_eval=1000) for s, v in enumerate([0.8, 0.9, 0.85])]
    b = [fx.sweep_row("mnist", "linf", 0.0, 100, s, v, n_eval=1000) for s, v in enumerate([0.7, 0.8])]
    d = C.compare(a, b)
    want = V.difference([0.8, 0.9], [0.7, 0.8], [1000, 1000], [1000, 1000], paired=True, shared_test_set=True)
    assert d.estimate == pytest.approx(want.estimate) and d.se == pytest.approx(want.se)
    assert "1 run(s) without a partner seed left out" in d.method


def test_standard_accuracies_are_compared_image_by_image_when_the_runs_saved_it():
    """Rows carrying every run's per-image correctness on the shared test set are compared over seeds × images
    (reports.verdicts.difference_from_correctness), not by the per-run binomial bound."""
    from tradeoff.data.io import pack_flags

    rng = np.random.default_rng(0)
    hard = rng.random(2000) < 0.05  # images both recipes mostly miss: the seeds share them
    ca = np.stack([~hard & (rng.random(2000) > 0.01) for _ in range(3)])
    cb = np.stack([~hard & (rng.random(2000) > 0.03) for _ in range(3)])
    rows_a = [fx.sweep_row("mnist", "linf", 0.0, 60000, s, float(c.mean()), n_eval=2000)
              | {"per_image_correct": pack_flags(c)} for s, c in enumerate(ca)]
    rows_b = [fx.sweep_row("mnist", "linf", 0.3, 60000, s, float(c.mean()), n_eval=2000)
              | {"per_image_correct": pack_flags(c)} for s, c in enumerate(cb)]
    d = C.compare(rows_a, rows_b)
    want = V.difference_from_correctness(ca.astype(float), cb.astype(float))
    assert d.estimate == pytest.approx(want.estimate) and d.se == pytest.approx(want.se) and d.method == want.method
    assert d.verdict == C.CONFIRMED
    # one row without it: the shared-test-set bound instead
    rows_b[0] = {k: v for k, v in rows_b[0].items() if k != "per_image_correct"}
    assert "shared by the runs" in C.compare(rows_a, rows_b).method


def test_claim5_is_not_run_without_mnist_and_shows_the_other_datasets(tmp_path):
    fx.fig6(tmp_path / "r", dataset="cifar10-jpeg")
    built = build(tmp_path, tmp_path / "r")
    s5 = section(_md(built), 5)
    assert verdicts(built)[5] == C.NOT_RUN
    assert "CIFAR-10 (JPEG copy), ℓ∞, smallest n=100 (scale quick): confirmed" in s5 and "no MNIST sweep" in s5


# ------------------------------------------------------------------------------------------------ claim 6


@pytest.mark.parametrize("drop,want", [(0.01, C.CONFIRMED), (-0.01, C.REFUTED), (0.0005, C.INCONCLUSIVE)])
def test_claim6_three_verdicts_at_full_data(tmp_path, drop, want):
    fx.fig6(tmp_path / "r", large_drop=drop)
    built = build(tmp_path, tmp_path / "r")
    s6 = section(_md(built), 6)
    assert verdicts(built)[6] == want
    assert "95% CI" in s6 and "largest n=60000 (scale quick)" in s6
    if want == C.INCONCLUSIVE:
        assert f"inconclusive: ε=0 minus ε=0.3000 +0.0010, {MDE}" in s6


def test_claim6_is_inconclusive_below_the_full_training_set(tmp_path):
    # a clear drop at n = 2000 is not the paper's "full data"
    fx.sweep(tmp_path / "r", "fig6", {(0.0, 2000): [0.95, 0.96, 0.97], (0.3, 2000): [0.85, 0.86, 0.87]},
             n_eval=10000)
    built = build(tmp_path, tmp_path / "r")
    s6 = section(_md(built), 6)
    assert verdicts(built)[6] == C.INCONCLUSIVE
    assert "largest n = 2000 is not the full training set (MNIST: 60000)" in s6
    assert "MNIST 60000, CIFAR-10 50000" in s6  # the threshold is printed in the rule
    # CIFAR-10 (JPEG copy) at its full 50 000 is judged
    fx.sweep(tmp_path / "c", "fig6", {(0.0, 50000): [0.90, 0.91, 0.92], (0.03, 50000): [0.80, 0.81, 0.82]},
             dataset="cifar10-jpeg", n_eval=10000)
    assert verdicts(build(tmp_path / "C", tmp_path / "c"))[6] == C.CONFIRMED


# ------------------------------------------------------------------------------------------------ claims 7, 8


def _fig7(root, linf, l2=(0.99, 0.985, 0.97), dataset="mnist", experiment="fig7", n=60000):
    grid_inf = [0.0, 0.1, 0.2, 0.3][:len(linf[0])]
    fx.sweep(root, experiment, {(e, n): [s[i] for s in linf] for i, e in enumerate(grid_inf)}, dataset=dataset,
             norm="linf", n_eval=10000)
    if l2 is not None:
        fx.sweep(root, experiment, {(e, n): [v] for e, v in zip([0.0, 1.0, 2.0], l2)}, dataset=dataset, norm="l2",
                 n_eval=10000)


def test_claim7_three_verdicts(tmp_path):
    cases = {
        # three seeds falling 0.99 -> 0.96 in both norms
        C.CONFIRMED: [(0.990, 0.980, 0.970, 0.960), (0.992, 0.982, 0.972, 0.962), (0.988, 0.978, 0.968, 0.958)],
        # the overall drop is clear but the step 0.1 -> 0.2 rises 0.02 on every seed
        C.REFUTED: [(0.990, 0.960, 0.980, 0.950), (0.992, 0.962, 0.982, 0.952), (0.988, 0.958, 0.978, 0.948)],
        # a 0.002 drop with seed-to-seed noise of 0.01
        C.INCONCLUSIVE: [(0.990, 0.985, 0.985, 0.988), (0.970, 0.975, 0.980, 0.978), (0.980, 0.970, 0.975, 0.968)],
    }
    for want, linf in cases.items():
        root = tmp_path / want
        _fig7(root, linf)
        built = build(tmp_path / f"o-{want}", root)
        s7 = section(_md(built), 7)
        assert verdicts(built)[7] == want, s7
        assert "MNIST, ℓ2 (n=60000; scale quick)" in s7 and "MNIST, ℓ∞ (n=60000; scale quick)" in s7
        if want == C.REFUTED:
            assert "refuted: step ε=0.1000 minus ε=0.2000 -0.0200" in s7
        if want == C.INCONCLUSIVE:
            assert f"inconclusive: overall drop ε=0.0000 minus ε=0.3000 +0.0020, {MDE}" in s7


def test_claim7_with_one_adversarial_eps_is_the_overall_drop_and_says_so(tmp_path):
    # the quick scale trains one ε_train > 0 per norm: no step to test, the overall drop decides
    _fig7(tmp_path / "r", [(0.990, 0.960), (0.992, 0.962), (0.988, 0.958)])
    built = build(tmp_path / "o", tmp_path / "r")
    s7 = section(_md(built), 7)
    assert verdicts(built)[7] == C.CONFIRMED, s7
    assert s7.count("One ε_train > 0 at this scale") == 1, s7  # ℓ∞ (two points), not ℓ2 (three)
    assert "overall drop ε=0.0000 minus ε=0.1000 +0.0300" in s7


def test_claim8_inconclusive_dataset_does_not_hide_a_clear_one(tmp_path):
    res = tmp_path / "r"
    # CIFAR-10: a clear drop with half-clean batches; MNIST: one underpowered run per ε (500 test points)
    fx.sweep(res, "mixed", {(0.0, 50000): [0.90, 0.91, 0.92], (2 / 255, 50000): [0.87, 0.88, 0.89],
                            (8 / 255, 50000): [0.80, 0.81, 0.82]}, dataset="cifar10-jpeg", n_eval=10000)
    fx.sweep(res, "mixed", {(0.0, 60000): [0.985], (0.1, 60000): [0.984], (0.3, 60000): [0.982]}, n_eval=500)
    built = build(tmp_path, res)
    s8 = section(_md(built), 8)
    assert verdicts(built)[8] == C.INCONCLUSIVE
    assert "CIFAR-10 (JPEG copy), ℓ∞ (n=50000, 50% clean / 50% adversarial; scale quick)" in s8
    assert "Confirmed on CIFAR-10 (JPEG copy), ℓ∞; the claim is not confirmed only because of the inconclusive" in s8
    mde = (1.959964 + 0.841621) * math.sqrt(0.985 * 0.015 / 500 + 0.982 * 0.018 / 500)
    assert f"MNIST, ℓ∞: inconclusive: overall drop ε=0.0000 minus ε=0.3000 +0.0030, {MDE} {mde:.4f}" in s8
    # the per-configuration table shows both verdicts
    assert "| CIFAR-10 (JPEG copy), ℓ∞ | 50000 | overall drop" in s8 and "| confirmed |" in s8
    # CIFAR-10 alone is confirmed, and a rise on MNIST refutes the claim whatever CIFAR-10 says
    fx.sweep(tmp_path / "c", "mixed", {(0.0, 50000): [0.90, 0.91, 0.92], (8 / 255, 50000): [0.80, 0.81, 0.82]},
             dataset="cifar10-jpeg", n_eval=10000)
    assert verdicts(build(tmp_path / "C", tmp_path / "c"))[8] == C.CONFIRMED
    fx.sweep(tmp_path / "c", "mixed", {(0.0, 60000): [0.95], (0.3, 60000): [0.99]}, n_eval=10000)
    assert verdicts(build(tmp_path / "D", tmp_path / "c"))[8] == C.REFUTED


# ------------------------------------------------------------------------------------------------ claims 10, 11


@pytest.mark.parametrize("effect,want", [((0.2, 0.02), C.CONFIRMED), ((-0.2, 0.02), C.REFUTED),
                                         ((0.01, 0.02), C.INCONCLUSIVE)])
def test_claims10_11_three_verdicts(tmp_path, effect, want):
    """Claim 10 needs robust − standard and robust − blurred standard on the deciding measure; claim 11 J1's paired
    effect per norm; both read the seeds × images interval (t with the producer's df)."""
    fx.gradients(tmp_path / "r", minus=effect, blurred=effect)
    fx.large_eps(tmp_path / "r", rows=[fx.claim11_row("inf", *effect), fx.claim11_row("2", *effect)])
    built = build(tmp_path, tmp_path / "r")
    md = _md(built)
    from scipy import stats

    t, z = stats.t.ppf(0.975, 4.0), stats.t.ppf(0.8, 4.0)
    for n in (10, 11):
        assert verdicts(built)[n] == want
        s = section(md, n)
        assert f"{effect[0]:+.4f} [{effect[0] - t * effect[1]:+.4f}, {effect[0] + t * effect[1]:+.4f}]" in s
        assert (f"{MDE} {(t + z) * effect[1]:.4f}" in s) == (want == C.INCONCLUSIVE)


def test_claim10_needs_both_differences_and_older_files_are_not_evidence(tmp_path):
    fx.gradients(tmp_path / "r", minus=(0.2, 0.02), blurred=(0.01, 0.02))  # only smoother, not better
    assert verdicts(build(tmp_path / "a", tmp_path / "r"))[10] == C.INCONCLUSIVE
    fx.gradients(tmp_path / "r", minus=(0.2, 0.02), blurred=(-0.1, 0.02))
    assert verdicts(build(tmp_path / "b", tmp_path / "r"))[10] == C.REFUTED
    fx.put(tmp_path / "o", "deep/gradients_mnist.json", "deep.gradients", {"dataset": "mnist", "models": [
        {"name": "standard", "eps_train": 0.0, "edge_alignment": fx.interval(0.1, 0.02)},
        {"name": "linf", "eps_train": 0.3, "edge_alignment": fx.interval(0.4, 0.03)}]}, dataset="mnist")
    built = build(tmp_path / "c", tmp_path / "o")
    assert verdicts(built)[10] == C.NOT_RUN and "predates claim 10's hardened rule" in section(_md(built), 10)


def test_claim11_rows_that_fail_a_gate_and_older_files_decide_nothing(tmp_path):
    fx.large_eps(tmp_path / "r", rows=[fx.claim11_row("inf", 0.3, 0.03, changed=0.29),
                                       fx.claim11_row("2", -0.3, 0.03, changed=0.5)])
    built = build(tmp_path / "a", tmp_path / "r")
    s = section(_md(built), 11)
    assert verdicts(built)[11] == C.NOT_RUN and s.count("); never evidence.") == 2 and "attack gate failed" in s
    # one row passes its gates: it alone decides; the control row is shown, labelled, not judged
    fx.large_eps(tmp_path / "r", rows=[fx.claim11_row("inf", 0.3, 0.03, changed=0.29),
                                       fx.claim11_row("2", 0.3, 0.03)])
    built = build(tmp_path / "b", tmp_path / "r")
    s = section(_md(built), 11)
    assert verdicts(built)[11] == C.CONFIRMED and "control (reported)" in s and "standard model, seed 1" in s
    assert "transfer 0.7000 ≤ 0.1000: FAILED" in s and "paths (J1, reported, not judged)" in s
    fx.put(tmp_path / "o", "deep/large_eps_mnist.json", "deep.large_eps", {"dataset": "mnist", "models": [
        {"name": "standard", "other_class_prob": fx.interval(0.1, 0.02)},
        {"name": "l2-1.5", "other_class_prob": fx.interval(0.8, 0.02)}]}, dataset="mnist")
    built = build(tmp_path / "c", tmp_path / "o")
    assert verdicts(built)[11] == C.NOT_RUN and "predates claim 11's judge panel" in section(_md(built), 11)


# ------------------------------------------------------------------------------------------------ vocabulary


def test_every_inconclusive_verdict_states_its_mde_and_no_bare_plus_minus(tmp_path):
    res = tmp_path / "r"
    fx.fig6(res, small_gain=0.004, large_drop=0.0005)
    _fig7(res, [(0.990, 0.985, 0.985, 0.988), (0.970, 0.975, 0.980, 0.978), (0.980, 0.970, 0.975, 0.968)], l2=None)
    fx.sweep(res, "mixed", {(0.0, 60000): [0.985], (0.3, 60000): [0.984]}, n_eval=500)
    built = build(tmp_path, res)
    md = _md(built)
    for n in (5, 6, 7, 8):
        assert verdicts(built)[n] == C.INCONCLUSIVE, n
        assert re.search(MDE + r" \d\.\d{4} at 80% power", section(md, n)) and "±" not in section(md, n)
    assert set(C.VERDICTS) == {"confirmed", "refuted", "inconclusive", "not run"}
    assert "not confirmed" not in md.replace("not confirmed from the paper", "")


def test_runs_that_did_not_learn_are_left_out_and_listed(tmp_path):
    # the ε = 0.3 model predicts one class (0.1135 on MNIST): a training failure, not a drop of standard accuracy
    res = tmp_path / "r"
    fx.sweep(res, "fig6", {(0.0, 100): [0.80], (0.3, 100): [0.1135], (0.0, 60000): [0.99], (0.1, 60000): [0.991],
                           (0.2, 60000): [0.984], (0.3, 60000): [0.1135]}, n_eval=10000)
    built = build(tmp_path, res)
    md = _md(built)
    v = verdicts(built)
    for n in (5, 6):
        assert "Left out as training failures (standard accuracy below 2× chance): `mnist-linf-0.3-100-0` (0.1135)" \
            in section(md, n)
    # claim 6 rests on ε = 0.2 (−0.006), not on the collapsed ε = 0.3 model (−0.88)
    assert v[6] == C.CONFIRMED and "largest ε_train = 0.2000" in section(md, 6) and "+0.8765" not in section(md, 6)
    # claim 5: without the failed run the smallest size with both models is the full training set: not few samples
    assert v[5] == C.INCONCLUSIVE
    assert "the smallest n with both models, 60000, is the full training set, not few samples" in section(md, 5)


def test_claim8_pairs_mixed_runs_only_with_a_standard_model_of_their_own_scale(tmp_path):
    # quick mixed runs (no ε = 0 rows) 0.965-0.967; a GPU standard model at 0.99 would fake a 2.4-point drop
    res = tmp_path / "r"
    fx.sweep(res, "mixed", {(0.3, 60000): [0.965, 0.967, 0.966]}, n_eval=10000, scale="quick")
    fx.sweep(res, "fig7", {(0.0, 60000): [0.990]}, n_eval=10000, scale="gpu-reduced", rel="deep/fig7_gpu.json")
    assert verdicts(build(tmp_path / "a", res))[8] == C.NOT_RUN  # no standard model of the quick scale
    fx.sweep(res, "fig7", {(0.0, 60000): [0.966, 0.968, 0.965]}, n_eval=10000, scale="quick",
             rel="deep/fig7_quick.json")
    built = build(tmp_path / "b", res)
    assert verdicts(built)[8] != C.CONFIRMED  # paired with the quick standard models: no drop
    assert "+0.0240" not in section(_md(built), 8) and "0.9900" not in section(_md(built), 8)
