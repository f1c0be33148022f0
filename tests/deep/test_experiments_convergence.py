"""The convergence check recorded with every experiment run, the per-part training losses it reads, and claim 10's
shuffled baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tradeoff.deep.experiments import convergence as C
from tradeoff.deep.experiments import gradients as G
from tradeoff.deep.experiments import metrics as M


def test_check_on_parts_known_answers():
    still_falling = [{"train_loss": 0.5, "train_loss_parts": [1.0, 0.6, 0.5, 0.4, 0.3]}]
    out = C.check(still_falling, tol=0.1)
    assert out["relative_change"] == pytest.approx(0.25) and out["met"] is False
    assert out["basis"] == "last two fifths of the final epoch"
    flat = [{"train_loss": 0.3, "train_loss_parts": [0.5, 0.32, 0.31, 0.305, 0.30]}]
    assert C.check(flat, tol=0.1)["met"] is True
    rising = [{"train_loss": 0.3, "train_loss_parts": [0.2, 0.3]}]  # a rise is levelled off, not "still falling"
    assert C.check(rising)["relative_change"] < 0 and C.check(rising)["met"] is True


def test_check_falls_back_to_epochs_and_says_unknown():
    two = [{"train_loss": 0.2}, {"train_loss": 0.19}]
    out = C.check(two, tol=0.1)
    assert out["basis"] == "last two epochs" and out["relative_change"] == pytest.approx(0.05) and out["met"]
    assert C.check([{"train_loss": 0.2}])["met"] is None and C.check([])["met"] is None
    assert "10%" in C.describe(0.1)


def test_population_records_loss_parts_that_average_to_the_epoch_loss(tmp_path):
    """train_loss_parts: the mean loss of each fifth of the batches; their example-weighted mean is the epoch's."""
    from tradeoff.deep.config import AdvConfig, EvalConfig, TrainConfig
    from tradeoff.deep.population import LOSS_PARTS
    from tradeoff.deep.runs import read_metrics
    from tradeoff.deep.train import TrainOptions, train_runs

    torch.manual_seed(0)
    x = torch.rand(100, 1, 8, 8)
    y = torch.randint(0, 3, (100,))
    cfg = TrainConfig(name="p", dataset="mnist", model="tiny_cnn", width=4, epochs=1, batch_size=10,
                      adv=AdvConfig(eps=0.1, steps=2), eval=EvalConfig(eps=[0.1], every=0, n_final=20, steps=1),
                      device="cpu", progress=False)
    train_runs([cfg], [tmp_path / "p"], TrainOptions(data=[((x, y), (x[:20], y[:20]))]))
    row = read_metrics(tmp_path / "p")[-1]
    parts = row["train_loss_parts"]
    assert len(parts) == LOSS_PARTS  # 10 batches: 2 per part, equal sizes
    assert np.mean(parts) == pytest.approx(row["train_loss"], rel=1e-9)
    assert C.check_run(tmp_path / "p")["basis"] == "last two fifths of the final epoch"


def test_shuffled_baseline_pairs_each_gradient_with_another_image():
    rng = np.random.default_rng(0)
    images = rng.random((6, 1, 10, 10))
    edges = M.sobel_edges(images)[:, None]  # gradients equal to each image's own edge map
    own = M.edge_alignment(edges, images)
    np.testing.assert_allclose(own, 1.0, atol=1e-12)
    base = G.shuffled_alignment(edges, images)
    np.testing.assert_allclose(base, M.edge_alignment(edges, np.roll(images, -1, axis=0)), atol=1e-12)
    assert np.all(base < 0.9)  # unrelated random images: far from the own-image alignment
    with pytest.raises(ValueError, match="at least 2"):
        G.shuffled_alignment(edges[:1], images[:1])
