"""Deep figures are drawn from fixture arrays and rows into PNG files."""

from __future__ import annotations

import numpy as np
import pytest

from tradeoff.reports.figures import deep as F

PNG = b"\x89PNG\r\n\x1a\n"


def _rows(norm="inf"):
    rows = []
    for eps in (0.0, 0.1, 0.3):
        for n in (100, 1000):
            for seed in (0, 1):
                rows.append({"dataset": "mnist", "norm": norm, "eps_train": eps, "n_train": n, "mixed": False,
                             "seed": seed, "standard_acc": 0.9 - eps + 0.01 * seed, "robust_acc": eps,
                             "eps_eval": 0.3, "run": f"r{eps}{n}{seed}"})
    return rows


def _ok(path):
    assert path.exists() and path.read_bytes()[:8] == PNG


def test_accuracy_figures(tmp_path):
    _ok(F.plot_accuracy_vs_n(_rows(), "inf", tmp_path / "fig6.png", "MNIST"))
    mixed = [dict(r, mixed=True, standard_acc=r["standard_acc"] + 0.02) for r in _rows() if r["eps_train"] > 0]
    _ok(F.plot_accuracy_vs_eps(_rows() + _rows("2"), tmp_path / "fig7.png", "MNIST", mixed))
    with pytest.raises(ValueError, match="no 2 rows"):
        F.plot_accuracy_vs_n(_rows(), "2", tmp_path / "x.png", "MNIST")


def test_group_mean_and_std_over_seeds():
    g = F._group(_rows(), "eps_train", "n_train", "standard_acc")
    xs, m, s = g[0.1]
    assert list(xs) == [100, 1000]
    np.testing.assert_allclose(m, [0.805, 0.805])
    np.testing.assert_allclose(s, [np.std([0.8, 0.81], ddof=1)] * 2)


@pytest.mark.parametrize("channels,signed", [(1, True), (3, False)])
def test_picture_figures(tmp_path, channels, signed):
    rng = np.random.default_rng(0)
    imgs = rng.random((3, channels, 8, 8))
    grads = {m: rng.normal(size=imgs.shape) for m in ("standard", "linf", "l2")}
    _ok(F.plot_gradients(imgs, grads, tmp_path / "fig2.png", "t", signed, [str(i) for i in range(10)],
                         np.array([1, 2, 3])))
    adv = {m: np.clip(imgs + 0.1 * g, 0, 1) for m, g in grads.items()}
    preds = {m: np.array([4, 5, 6]) for m in adv}
    _ok(F.plot_large_eps(imgs, adv, tmp_path / "fig8.png", "t", preds, [str(i) for i in range(10)],
                         np.array([1, 2, 3])))
    strips = {m: rng.random((20, channels, 8, 8)) for m in adv}
    curves = {m: np.linspace(0, 1, 20) for m in adv}
    _ok(F.plot_interpolation(strips, tmp_path / "fig4.png", "t", curves))


def test_draw_dataset_from_a_micro_reproduction(tmp_path):
    from tests.deep._fake_engine import FakeEngine
    from tests.deep.test_experiments_pipeline import micro
    from tradeoff.deep.experiments.picture_file import write_pictures
    from tradeoff.deep.experiments.reproduce import reproduce_dataset
    from tradeoff.reports.figures.results import draw_result_files

    out = reproduce_dataset("mnist", "quick", FakeEngine(), tmp_path / "runs", tmp_path / "results",
                            overrides=micro, sanity=False)
    files = out.result_paths + [write_pictures(out.pictures, tmp_path / "results", out.scale)]
    paths = draw_result_files(files, tmp_path / "figures")  # the figures are drawn from the files written
    names = sorted(p.name for p in paths)
    # the paper's figures, and claim 11's grid of randomly drawn examples judged by J1
    assert names == sorted([f"fig{i}_mnist.png" for i in (1, 2, 3, 4, 6, 7, 8, 9, 10)] + ["fig3_grid_mnist.png"])
    for p in paths:
        _ok(p)


def test_signed_gradient_map_is_blue_positive_red_negative_white_zero():
    """docs/paper.md §6, Fig. 2 (MNIST): signed map, blue positive / red negative, symmetric so that 0 is white."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = np.zeros((1, 3, 3))
    g[0, 0, 0], g[0, 2, 2] = 2.0, -0.5  # asymmetric magnitudes: zero must still map to the centre of the map
    fig, ax = plt.subplots()
    F._show_gradient(ax, g, signed=True)
    im = ax.images[0]
    rgba = im.to_rgba(np.ma.getdata(im.get_array()))
    plt.close(fig)
    pos, neg, zero = rgba[0, 0], rgba[2, 2], rgba[1, 1]
    assert pos[2] > 0.9 and pos[0] < 0.1  # blue
    assert neg[0] > 0.9 and neg[2] < neg[0]  # red
    assert min(zero[:3]) > 0.95  # white


def test_colour_display_is_plus_minus_three_sigma():
    """CIFAR-10 / ImageNet: per image s = 3·std(g), clip to ±s, show (1 + g/s)/2."""
    from tradeoff.deep.experiments.gradients import display_scaled

    rng = np.random.default_rng(1)
    g = rng.normal(size=(2, 3, 8, 8)) * np.array([1.0, 10.0])[:, None, None, None]
    g[0, 0, 0, 0] = 100.0  # an outlier is clipped to white
    d = display_scaled(g)
    s = 3 * g.reshape(2, -1).std(axis=1)
    assert d[0, 0, 0, 0] == 1.0 and d.min() >= 0 and d.max() <= 1
    i = (1, 1, 2, 3)
    assert d[i] == pytest.approx((1 + np.clip(g[i], -s[1], s[1]) / s[1]) / 2)
