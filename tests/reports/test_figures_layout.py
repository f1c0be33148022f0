"""Every report figure read back from its matplotlib objects: labelled axes (not code-style), ε and the paper's
figure number in the title, predictions under the picture grids, colour bars, saved width <= 1400 px and no text of
one panel running into another."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from tests.reports import figure_checks as C
from tradeoff.reports.figures import deep as F

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture
def kept(monkeypatch):
    figs = C.keep_figures(monkeypatch)
    yield figs
    for fig, _ in figs:
        plt.close(fig)


def sweep_rows(norm="inf", seeds=(0, 1), eps_grid=(0.0, 0.1, 0.3), ns=(100, 1000, 60000)):
    return [{"dataset": "mnist", "norm": norm, "eps_train": e, "n_train": n, "mixed": False, "seed": s,
             "standard_acc": 0.95 - e / 4 + 0.01 * s, "robust_acc": e, "eps_eval": 0.3 if norm == "inf" else 2.0,
             "run": f"{norm}-{e}-{n}-{s}"} for e in eps_grid for n in ns for s in seeds]


# ------------------------------------------------------------------------------------------------ the checker


def test_overlap_check_finds_a_cramped_layout():
    """The check must be able to fail: two panels without layout management and a long y label on the right."""
    fig, axes = plt.subplots(1, 2, figsize=(4, 2), layout=None)
    for ax in axes:
        ax.plot([0, 1], [0, 1000000])
        ax.set_ylabel("standard accuracy (%)\nmean ± s.d. over 2 seeds")
    try:
        assert C.overlapping_texts(fig)
    finally:
        plt.close(fig)
    assert C.code_style("eps_train = 0.3") and C.code_style("eta") and not C.code_style(r"$\varepsilon_{train}$")


# ------------------------------------------------------------------------------------------------ Fig. 1, 6, 7


@pytest.mark.parametrize("norm,number", [("2", 1), ("inf", 6)])
def test_accuracy_vs_n(kept, tmp_path, norm, number):
    F.plot_accuracy_vs_n(sweep_rows(norm), norm, tmp_path / "f.png", "MNIST, quick scale")
    fig, path = kept[-1]
    C.check_figure(fig, path, number)
    left, right = C.plot_axes(fig)
    assert "mean ± s.d. over 2 seeds" in left.get_ylabel() and "(%)" in left.get_ylabel()
    assert C.has_eps(right.get_title())  # the attack's ε
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert len(legend) == 3 and all(r"\varepsilon_{\mathrm{train}}" in t for t in legend)
    # error bars are the s.d. over the 2 seeds: 0.01 apart -> s.d. 0.00707 -> 0.707 percentage points
    bar = left.containers[0].lines[2][0].get_segments()[0][:, 1]
    assert bar.max() - bar.min() == pytest.approx(2 * 100 * 0.01 / 2 ** 0.5)


def test_single_seed_says_so(kept, tmp_path):
    F.plot_accuracy_vs_n(sweep_rows(seeds=(0,)), "inf", tmp_path / "f.png", "MNIST")
    fig, _ = kept[-1]
    assert all("1 seed, no error bars" in ax.get_ylabel() for ax in C.plot_axes(fig))


def test_fig7_panels_do_not_collide(kept, tmp_path):
    # right panel: accuracies 0.001 points apart give long tick labels ("98.7130"), which used to run into the left
    # panel; the ℓ2 panel's single-ε case is test_single_point_stays_below_100
    close = [dict(r, standard_acc=0.98712 + 1e-5 * r["eps_train"])
             for r in sweep_rows("2", eps_grid=(0.0, 1.0, 2.0), ns=(60000,))]
    rows = sweep_rows("inf", ns=(60000,)) + close
    mixed = [dict(r, mixed=True, standard_acc=r["standard_acc"] + 0.01) for r in sweep_rows("inf", ns=(60000,))
             if r["eps_train"] > 0]
    F.plot_accuracy_vs_eps(rows, tmp_path / "fig7.png", "MNIST, gpu-reduced scale", mixed)
    fig, path = kept[-1]
    C.check_figure(fig, path, 7)
    left, right = C.plot_axes(fig)
    renderer = fig.canvas.get_renderer()
    ylabel = right.yaxis.label.get_window_extent(renderer)
    assert all(not ylabel.overlaps(t.get_window_extent(renderer)) for t in left.get_xticklabels() + [left.patch])
    assert [t.get_text() for t in left.get_xticklabels()] == ["0", "0.1", "0.3"]
    assert "over 2 seeds" in left.get_ylabel()  # the standard model shared by both curves still has 2 seeds


def test_single_point_stays_below_100(kept, tmp_path):
    rows = [dict(r, standard_acc=0.989) for r in sweep_rows("2", eps_grid=(0.0,), ns=(60000,), seeds=(0,))]
    F.plot_accuracy_vs_eps(rows, tmp_path / "f.png", "MNIST")  # alone, 98.9 % would get an axis up to ~104 %
    fig, _ = kept[-1]
    assert C.plot_axes(fig)[0].get_ylim()[1] <= 100.5


def test_cifar_radii_are_written_over_255(kept, tmp_path):
    F.plot_accuracy_vs_eps(sweep_rows("inf", eps_grid=(0.0, 2 / 255, 8 / 255), ns=(50000,)), tmp_path / "fig7.png",
                           "CIFAR-10")
    fig, _ = kept[-1]
    assert [t.get_text() for t in C.plot_axes(fig)[0].get_xticklabels()] == ["0", "2/255", "8/255"]


# ------------------------------------------------------------------------------------------------ pictures

TRAINED = {"standard": ("inf", 0.0), "linf": ("inf", 0.3), "l2": ("2", 1.5)}


def pictures(channels=1, n=4, size=28):
    rng = np.random.default_rng(0)
    imgs = rng.random((n, channels, size, size))
    grads = {m: rng.normal(size=imgs.shape) for m in TRAINED}
    return imgs, grads


@pytest.mark.parametrize("channels,signed", [(1, True), (3, False)])
def test_gradient_grid_has_a_labelled_colour_bar(kept, tmp_path, channels, signed):
    imgs, grads = pictures(channels)
    names = ["airplane", "automobile", "bird", "cat"]
    F.plot_gradients(imgs, grads, tmp_path / "fig2.png", "CIFAR-10, quick scale", signed, names,
                     np.arange(4), TRAINED, number=2)
    fig, path = kept[-1]
    C.check_figure(fig, path, 2)
    bars = [ax for ax in fig.axes if C.is_colorbar(ax)]
    assert len(bars) == 1
    label = bars[0].get_xlabel()
    assert ("blue > 0" in label and "red < 0" in label) if signed else "3σ" in label
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "test image" and all(r"\varepsilon_{\mathrm{train}}" in t for t in titles[1:])
    assert "0.3" in titles[2] and "1.5" in titles[3]


def test_large_eps_grid_labels_every_prediction_with_its_probability(kept, tmp_path):
    imgs, grads = pictures()
    adv = {m: np.clip(imgs + 0.1 * g, 0, 1) for m, g in grads.items()}
    probs = {m: np.full((4, 10), 0.02) for m in adv}
    for m in probs:
        probs[m][:, 7] = 0.82
    preds = {m: p.argmax(1) for m, p in probs.items()}
    F.plot_large_eps(imgs, adv, tmp_path / "fig8.png", "MNIST, quick scale", preds, [str(i) for i in range(10)],
                     np.arange(4), probs, TRAINED, {m: ("inf", 0.3) for m in adv}, number=8,
                     what="large-ε ℓ∞ examples, ε = 0.3 for every model")
    fig, path = kept[-1]
    C.check_figure(fig, path, 8)
    cells = [ax for ax in fig.axes if C.is_image_axes(ax)]
    assert len(cells) == 4 * 4
    under = [ax.get_xlabel() for ax in cells]
    assert under.count("predicted: 7 (82%)") == 12 and sum(u.startswith("label: ") for u in under) == 4
    assert all(C.has_eps(ax.get_title()) for ax in cells[1:4])  # ε_train and the attack's ε in each column title


def test_interpolation_fits_the_page_with_twenty_frames(kept, tmp_path):
    rng = np.random.default_rng(0)
    strips = {f"{m} #{i}": rng.random((20, 3, 32, 32)) for m in TRAINED for i in (1, 2)}
    curves = {k: np.linspace(0.1, 0.9, 20) for k in strips}
    F.plot_interpolation(strips, tmp_path / "fig4.png", "CIFAR-10, quick scale", curves,
                         {k: k.replace(" #", "\nimage ") for k in strips})
    fig, path = kept[-1]
    C.check_figure(fig, path, 4)
    frames = [ax for ax in fig.axes if C.is_image_axes(ax)]
    assert len(frames) == 6 * 7
    assert [ax.get_title() for ax in frames[:7]] == [f"t = {t:.2f}" for t in np.linspace(0, 1, 20)[F._frame_indices(
        20, 7)]]
    assert frames[0].get_xlabel() == "10%" and frames[6].get_xlabel() == "90%"
    (curve_ax,) = C.plot_axes(fig)
    assert len(curve_ax.lines) == 6


def test_draw_dataset_titles_and_fig10_has_other_images(kept, tmp_path):
    from tests.deep._fake_engine import FakeEngine
    from tests.deep.test_experiments_pipeline import micro
    from tradeoff.deep.experiments.picture_file import write_pictures
    from tradeoff.deep.experiments.reproduce import reproduce_dataset
    from tradeoff.reports.figures.results import draw_result_files

    out = reproduce_dataset("mnist", "quick", FakeEngine(), tmp_path / "runs", tmp_path / "results",
                            overrides=micro, sanity=False)
    draw_result_files(out.result_paths + [write_pictures(out.pictures, tmp_path / "results", out.scale)],
                      tmp_path / "figures")
    by_name = {p.stem: fig for fig, p in kept}
    for fig, path in kept:
        number = int(path.stem[3:].split("_")[0])
        C.check_figure(fig, path, number)
    n = len(out.pictures.gradients.images)
    rows = {name: sum(C.is_image_axes(ax) for ax in by_name[name].axes) // 4 for name in ("fig2_mnist", "fig10_mnist")}
    assert rows["fig2_mnist"] + rows["fig10_mnist"] == n and rows["fig10_mnist"] >= 1
    fig3 = [ax for ax in by_name["fig3_mnist"].axes if C.is_image_axes(ax)]
    assert all(ax.get_xlabel().startswith("predicted: ") and ax.get_xlabel().endswith("%)")
               for i, ax in enumerate(fig3) if i % 4)


# ------------------------------------------------------------------------------------------------ Fig. 5, theory


def fig5_payload():
    rng = np.random.default_rng(0)
    w = rng.normal(size=784)
    topk = [{"k": k, "standard_acc": 0.7 + k / 3000, "robust_acc": 0.8 - k / 1000} for k in (1, 10, 100, 784)]
    return {"digits": [5, 7], "eps": 0.2, "norm": "inf", "box": True, "correlation": rng.uniform(-0.6, 0.6, 784),
            "weights": {"standard": w, "robust": w * (np.abs(w) > 2)}, "topk": topk,
            "summary": {"standard": {"standard_acc": 0.98, "robust_acc": 0.1, "top_mass": 0.2, "n_active": 700},
                        "robust": {"standard_acc": 0.95, "robust_acc": 0.8, "top_mass": 0.7, "n_active": 40}}}


def test_fig5(kept, tmp_path):
    from tradeoff.reports.figures.linear import draw_fig5

    draw_fig5(fig5_payload(), tmp_path)
    assert len(kept) == 3
    for (fig, path), panel in zip(kept, "abc"):
        C.check_figure(fig, path, f"5({panel})")
    weights = kept[0][0]
    assert sum(C.is_colorbar(ax) for ax in weights.axes) == 2


def test_finite_sample_has_math_labels(kept, tmp_path):
    from tradeoff.reports.figures.theory_finite import plot_finite_sample

    rows = [{"n": n, "eps_train": e, "standard_acc": 0.9, "robust_acc": 0.5, "seed": s}
            for n in (10, 100) for e in (0.0, 0.1) for s in (0, 1)]
    plot_finite_sample(rows, tmp_path / "t.png", p=0.95, eps_eval=0.2, title="Theory · D(d = 100, p = 0.95)")
    fig, path = kept[-1]
    C.check_figure(fig, path)
    left = C.plot_axes(fig)[0]
    assert "band min–max" in left.get_ylabel()
    assert all(r"\varepsilon_{\mathrm{train}}" in t.get_text() for t in left.get_legend().get_texts()[:2])


def test_averaging_draws_several_eta_sqrt_d(kept, tmp_path):
    from tradeoff.reports.figures.theory_frontier import draw_averaging
    from tradeoff.theory.accuracy import averaging_accuracy
    from tradeoff.theory.distribution import FeatureDistribution

    d = 900
    settings, curves = [], []
    for ets in (2.0, 3.0, 4.0):
        dist = FeatureDistribution(d, 0.95, ets / np.sqrt(d))
        grid = np.linspace(0, 3 * dist.eta, 50)
        curves.append({"eta_sqrt_d": ets, "eps": grid, "robust": averaging_accuracy(dist, grid, "inf")})
        settings.append({"d": d, "p": 0.95, "eta": dist.eta, "eps": 2 * dist.eta, "eta_sqrt_d": ets,
                         "standard_closed": averaging_accuracy(dist), "robust_closed": averaging_accuracy(
                             dist, 2 * dist.eta, "inf")})
    draw_averaging({**settings[0], "rows": settings}, curves, tmp_path / "a.png")
    fig, path = kept[-1]
    C.check_figure(fig, path)
    (ax,) = C.plot_axes(fig)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sum("closed form" in t for t in labels) == 3
    # every curve crosses 50 % at ε = η (x = 1), whatever η√d
    for line in ax.lines[:3]:
        x, y = line.get_data()
        assert np.interp(1.0, x, y) == pytest.approx(50.0, abs=1.0)


def test_frontier(kept, tmp_path):
    from tradeoff.reports.figures.theory_frontier import draw_frontier

    draw_frontier({"d": 900, "p": 0.95, "eta": 0.1, "eps": 0.2, "delta": [0.0, 0.025, 0.05],
                   "theorem1": [0.0, 0.475, 0.95], "exact": [0.0, 0.475, 0.95], "linear": [0.0, 0.3, 0.95]},
                  tmp_path / "f.png")
    fig, path = kept[-1]
    C.check_figure(fig, path)


# ------------------------------------------------------------------------------------------------ overview

FRONTIER = {"d": 900, "p": 0.95, "eta": 0.1, "eps": 0.2, "delta": [0.0, 0.025, 0.05],
            "theorem1": [0.0, 0.475, 0.95], "exact": [0.0, 0.475, 0.95], "linear": [0.0, 0.3, 0.95]}


def test_overview_plots_every_model_once_per_attack_norm(kept, tmp_path):
    from tradeoff.reports.figures.overview import draw_overview, overview_points

    fig6 = {"experiment": "fig6", "rows": sweep_rows("inf", seeds=(0,))}
    fig7 = {"experiment": "fig7", "rows": [r for r in sweep_rows("inf", seeds=(0,)) if r["n_train"] == 60000]
            + sweep_rows("2", seeds=(0,), ns=(60000,))}
    other = {"experiment": "fig7", "rows": [dict(r, dataset="cifar10-jpeg", run="c" + r["run"])
                                            for r in sweep_rows("inf", seeds=(0,))]}
    pts = overview_points([fig6, fig7, other], "mnist")
    assert len(pts["inf"]) == 9 and len(pts["2"]) == 3  # fig7's ℓ∞ rows are the same runs as fig6's
    draw_overview([fig6, fig7, other], tmp_path / "overview_mnist.png", dataset="mnist", frontier=FRONTIER)
    fig, path = kept[-1]
    C.check_figure(fig, path, eps=False)
    axes = C.plot_axes(fig)
    assert len(axes) == 3
    assert sum(len(c.get_offsets()) for c in axes[0].collections) == 9
    assert sum(len(c.get_offsets()) for c in axes[1].collections) == 3
    assert "the distribution D" in axes[2].get_title() and "not the dataset" in axes[2].get_title()
    assert all(C.has_eps(ax.get_title()) for ax in axes)
    with pytest.raises(ValueError, match="no deep.sweep rows of 'restricted_imagenet'"):
        draw_overview([fig6], tmp_path / "x.png", dataset="restricted_imagenet")
