"""Sanity checks: they pass (silently) on normal small models and flag a deliberately gradient-masked one."""

import math
import warnings

import pytest
import torch
from torch import nn

from tradeoff.data.io import read_result, write_result
from tradeoff.deep.reference import reference_available
from tradeoff.deep.sanity import GradientMaskingWarning, SanityReport, paired_rise_check, run_sanity_checks

torch.set_num_threads(1)

FAST = {"steps": 5, "restarts": 2, "more_steps_factor": 2, "unbounded_steps": 40, "square_queries": 100}
CHECKS = ["input_gradients", "output_randomness", "unbounded_attack", "more_steps", "more_restarts"]
HAS_REFERENCE = reference_available()


def small_cnn(seed=0, n_classes=3):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, n_classes),
    )


class Quantised(nn.Module):
    """Gradient masking on purpose: the input is rounded to 8 grey levels, so ∇_x is exactly zero."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(torch.round(x * 7) / 7)


def strip_task(n, n_classes, seed):
    """Synthetic images whose class is the brightest of ``n_classes`` vertical strips (learnable, not trivial)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 8, 8, generator=g)
    strips = torch.stack([s.mean((1, 2, 3)) for s in x.tensor_split(n_classes, dim=3)], 1)
    return x, strips.argmax(1)


def trained_cnn(n_classes, steps=150):
    """A normal (non-masked) model: the small CNN trained briefly with Adam on the strip task."""
    model = small_cnn(n_classes=n_classes)
    x, y = strip_task(512, n_classes, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for i in range(steps):
        idx = slice((i * 64) % 512, (i * 64) % 512 + 64)
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    return model


def data_labelled_by(model, n=40, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 8, 8, generator=g)
    model.eval()
    with torch.no_grad():
        y = model(x).argmax(1)
    return x, y


@pytest.mark.parametrize("norm,eps,n_classes", [("inf", 0.05, 3), ("2", 0.3, 2)])
def test_normal_model_passes_without_warning(norm, eps, n_classes):
    model = trained_cnn(n_classes)
    x, y = strip_task(60, n_classes, seed=1)
    model.eval()
    with torch.no_grad():
        assert (model(x).argmax(1) == y).float().mean() > 0.8  # it learned something
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientMaskingWarning)  # any warning fails the test
        report = run_sanity_checks(model, x, y, eps, norm, **FAST)
    assert [c["name"] for c in report.checks] == CHECKS + (["black_box"] if HAS_REFERENCE else [])
    assert [c["name"] for c in report.skipped] == ([] if HAS_REFERENCE else ["black_box"])
    assert report.ok, report.checks
    assert report.check("unbounded_attack")["values"]["accuracy"] == 0.0
    assert all(c["detail"] for c in report.checks)


def test_gradient_masked_model_is_flagged_with_a_warning():
    masked = Quantised(trained_cnn(3))
    x, y = data_labelled_by(masked)
    with pytest.warns(GradientMaskingWarning) as record:
        report = run_sanity_checks(masked, x, y, 0.05, "inf", **FAST)
    assert not report.ok
    assert {"input_gradients", "unbounded_attack"} <= set(report.failed)
    assert report.check("input_gradients")["values"]["zero"] == x.shape[0]
    assert report.check("unbounded_attack")["values"]["accuracy"] > 0.5  # PGD cannot move: still ~clean
    messages = [str(w.message) for w in record if issubclass(w.category, GradientMaskingWarning)]
    assert any("'input_gradients' failed" in m for m in messages)
    assert any("'unbounded_attack' failed" in m for m in messages)
    if HAS_REFERENCE:  # the black-box Square attack breaks what the (zero-gradient) white-box attacks cannot
        bb = report.check("black_box")
        assert not bb["passed"] and bb["values"]["stronger"] > bb["values"]["base"]
    # warn=False: the same verdict, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientMaskingWarning)
        assert not run_sanity_checks(masked, x, y, 0.05, "inf", warn=False, **FAST).ok


def test_paired_rise_check_allows_only_statistical_slack():
    n = 400
    base = torch.zeros(n, dtype=torch.bool)
    base[:200] = True
    # stronger attack breaks 10 more points, but 12 others survive it (noise between random starts): +0.5 %
    noisy = base.clone()
    noisy[:10] = False
    noisy[200:212] = True
    ok = paired_rise_check("more_steps", base, noisy, 2.0, "test")
    assert ok["passed"] and ok["values"]["b"] == 12 and ok["values"]["c"] == 10
    # a clearly weaker "stronger" attack: 40 more points survive, none newly broken
    worse = base.clone()
    worse[200:240] = True
    assert not paired_rise_check("more_steps", base, worse, 2.0, "test")["passed"]
    # no slack (nested attacks): any rise fails, a tie passes
    assert not paired_rise_check("more_restarts", base, noisy, 0.0, "test")["passed"]
    assert paired_rise_check("more_restarts", base, base, 0.0, "test")["passed"]
    assert ok["values"]["allowed"] == pytest.approx(2.0 * math.sqrt(22) / n)


def test_stochastic_forward_breaks_the_no_slack_restart_check():
    """A model with fresh random noise in every forward pass (randomised 'defences' obfuscate gradients this
    way) makes nested attacks non-nested; the no-slack restart check catches a large enough effect."""

    class Noisy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(64, 2)

        def forward(self, x):
            return self.lin(x.flatten(1)) + 5.0 * torch.randn(x.shape[0], 2)

    torch.manual_seed(0)
    model = Noisy()
    x = torch.rand(300, 1, 8, 8)
    y = torch.randint(0, 2, (300,))
    report = run_sanity_checks(model, x, y, 0.01, "inf", warn=False, steps=2, restarts=2, more_steps_factor=2,
                               unbounded_steps=2, black_box=False)
    # accuracy is a coin flip per evaluation, so the "robust" accuracies of the compared attacks differ at random
    r = report.check("more_restarts")["values"]
    assert r["b"] > 0 and r["c"] > 0
    # and the direct check: two forward passes on the same inputs differ
    rnd = report.check("output_randomness")
    assert not rnd["passed"] and rnd["values"]["predictions_differ"] > 0


def test_report_round_trips_through_a_result_file(tmp_path):
    model = small_cnn()
    x, y = data_labelled_by(model, n=10)
    report = run_sanity_checks(model, x, y, 0.05, "inf", **FAST)
    assert isinstance(report, SanityReport)
    path = write_result(tmp_path / "sanity_run1.json", "deep.sanity", report.to_payload("run1"), scale="quick",
                        dataset="synthetic")
    payload = read_result(path)["payload"]
    assert payload["run"] == "run1" and payload["ok"] == report.ok
    assert [set(c) >= {"name", "passed", "detail"} for c in payload["checks"]] == [True] * len(report.checks)
    assert payload["skipped"] == report.skipped


def test_bad_arguments():
    model = small_cnn()
    x, y = data_labelled_by(model, n=4)
    with pytest.raises(ValueError, match="eps"):
        run_sanity_checks(model, x, y, -1.0)
    with pytest.raises(ValueError, match="norm"):
        run_sanity_checks(model, x, y, 0.1, "1")


def test_an_evaluation_and_its_sanity_checks_on_the_same_points():
    """What ``tradeoff deep eval`` does: deep.evaluate.evaluate, then the checks at its ε on its first points with
    its per-point correctness as the white-box side of the black-box check; a masked model is flagged."""
    from tradeoff.deep.evaluate import evaluate

    model = trained_cnn(2)
    x, y = strip_task(30, 2, seed=2)
    ev = evaluate(model, x, y, [0.0, 0.03], "inf", steps=5)
    assert list(ev.accuracy) == [0.0, 0.03] and ev.accuracy[0.03] <= ev.accuracy[0.0]
    report = run_sanity_checks(model, x[:20], y[:20], 0.03, "inf", steps=3, restarts=2, warn=False,
                               white_box_correct=ev.correct[0.03][:20])  # Square's default 1000 queries
    assert report.n == 20 and report.eps == 0.03 and report.ok, report.checks
    masked = Quantised(model)
    ev_masked = evaluate(masked, x, y, [0.03], steps=3)
    with pytest.warns(GradientMaskingWarning):
        assert not run_sanity_checks(masked, x, y, 0.03, steps=3, restarts=2,
                                     white_box_correct=ev_masked.correct[0.03]).ok
