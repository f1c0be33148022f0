"""The linear frontier's ends on real MNIST 5-vs-7 are Figure 5's models (skipped when MNIST is not cached)."""

import numpy as np
import pytest


@pytest.mark.realdata
@pytest.mark.slow
def test_mnist_frontier_ends_are_the_figure5_models():
    from tradeoff.data import mnist
    from tradeoff.linear.fig5 import Fig5Config, load_binary_mnist, run_fig5
    from tradeoff.linear.frontier import LinearFrontierConfig, linear_frontier_study

    folder = mnist.mnist_dir()
    if not all((folder / n).is_file() for n in mnist.MNIST_SHA256):
        pytest.skip(f"real MNIST not in {folder}; run `tradeoff data fetch mnist`")
    Xtr, ytr, Xte, yte = load_binary_mnist((5, 7))
    fig5 = run_fig5(Xtr, ytr, Xte, yte, Fig5Config(n_k=2))
    res = linear_frontier_study(Xtr, ytr, Xte, yte, LinearFrontierConfig(eps_trains=(0.0, 0.2), betas=()))
    for model, (w, b), key in zip(res.models, res.weights, ("standard", "robust")):
        assert np.array_equal(w, getattr(fig5, f"{key}_weights")) and b == getattr(fig5, f"{key}_intercept")
        assert (model.standard_acc, model.robust_acc) == (fig5.summary[key].standard_acc,
                                                          fig5.summary[key].robust_acc)
