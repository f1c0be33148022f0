"""The deep models in the frontier figure and section: their 5-vs-7 restriction on the binary axes (only at the same
pair, radius and norm), the 10-class models on their own panel, and a section whose numbers come from the payload."""

import matplotlib.image as mpimg

from tradeoff.reports.figures.frontier_everywhere import draw_frontier_everywhere, pair_points
from tradeoff.reports.frontier_section import frontier_section
from tradeoff.reports.render_markdown import render_markdown
from tradeoff.reports.report import Document

LINEAR = {"eps_eval": 0.2, "norm": "inf", "box": True, "digits": [5, 7],
          "models": [{"method": "eps_train", "eps_train": 0.0, "beta": None, "standard_acc": 0.99, "robust_acc": 0.05},
                     {"method": "eps_train", "eps_train": 0.2, "beta": None, "standard_acc": 0.97, "robust_acc": 0.6},
                     {"method": "trades", "eps_train": 0.2, "beta": 1.0, "standard_acc": 0.98, "robust_acc": 0.5}]}


def _row(method, beta, eps_train, std, rob, pair_std, pair_rob):
    return {"method": method, "beta": beta, "eps_train": eps_train, "norm": "inf", "seed": 0, "standard_acc": std,
            "n_standard": 10000, "robust_acc": rob, "eps_eval": 0.3, "n_robust": 500, "evaluation": "default (x)",
            "pair": {"classes": [5, 7], "standard_acc": pair_std, "n_standard": 1920, "n_robust": 500,
                     "robust": {"0.2": pair_rob, "0.3": pair_rob / 2}}, "run": f"r-{method}-{beta}-{eps_train}"}


DEEP = {"dataset": "mnist", "scale": "cpu", "norm": "inf", "eps_eval": 0.3, "pair": [5, 7], "pair_eps": [0.2, 0.3],
        "n_robust": 500, "betas": [1.0, 4.0], "pgd_eps": [0.0, 0.3], "note": "CPU scale", "torch": "2.13",
        "template": {"width": 4, "n_train": 10000, "epochs": 3, "adv": {"steps": 10, "eps": 0.3,
                                                                       "eps_warmup": 1 / 3}},
        "wall_s": 600.0, "cpu_s": 900.0, "workers": 2,
        "rows": [_row("trades", 1.0, 0.3, 0.95, 0.40, 0.985, 0.80), _row("trades", 4.0, 0.3, 0.93, 0.55, 0.98, 0.85),
                 _row("standard", 0.0, 0.0, 0.98, 0.0, 0.995, 0.01), _row("pgd", None, 0.3, 0.94, 0.6, 0.975, 0.9)]}


def test_pair_points_only_at_the_same_pair_radius_and_norm():
    pts = pair_points(DEEP, LINEAR)
    assert [(p["standard_acc"], p["robust_acc"]) for p in pts] == [(0.985, 0.80), (0.98, 0.85), (0.995, 0.01),
                                                                    (0.975, 0.9)]
    assert pair_points(DEEP, {**LINEAR, "eps_eval": 0.25}) == []
    assert pair_points(DEEP, {**LINEAR, "digits": [3, 8]}) == []
    assert pair_points(DEEP, {**LINEAR, "norm": "2"}) == []
    assert pair_points(None, LINEAR) == []


def test_figure_gains_a_ten_class_panel(tmp_path):
    plain = mpimg.imread(draw_frontier_everywhere(LINEAR, tmp_path / "a.png"))
    deep = mpimg.imread(draw_frontier_everywhere(LINEAR, tmp_path / "b.png", deep_frontier=DEEP))
    assert deep.shape[1] > 1.5 * plain.shape[1]  # one more panel of the same width


def test_section_states_what_the_deep_models_are_and_where_they_sit():
    source = {"path": "reports/results/cpu_deep_frontier/frontier_mnist.json", "created": "2026-12-01T11:40:00+00:00",
              "provenance": {"git_commit": "abcdef1234567", "machine": {"cpu": "AMD EPYC"}}}
    blocks = frontier_section(None, LINEAR, None, [], deep=DEEP, deep_source=source)
    md = render_markdown(Document("t", tuple(blocks)))
    assert "TRADES" in md and "restriction to the two classes" in md and "10-class" in md
    assert "robust ε=0.3 (10 classes)" in md and "robust ε=0.2 (5-vs-7)" in md
    assert "never rising with β" in md and "from 0.4000 to 0.5500" in md  # β = 1 -> 4: 0.95 -> 0.93, 0.40 -> 0.55
    # the best 5-vs-7 restriction at the linear frontier's radius: PGD ε_train = 0.3 (0.9), beside the best linear
    assert "best deep restriction (pgd ε_train=0.3) reaches robust accuracy 0.9000" in md and "0.6000" in md
    assert "AMD EPYC" in md and "abcdef1234" in md and "CPU 900 s" in md
    assert frontier_section(None, None, None, [], deep=None) == []
