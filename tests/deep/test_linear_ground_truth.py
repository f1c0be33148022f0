"""Exact ground truth for the deep evaluator: on the linear models of Figure 5 (standard and exactly
adversarially trained logistic regression on 5-vs-7 digits, [0, 1] pixel box) the worst case is known in closed
form (tradeoff.linear.robust), so the evaluator's robust accuracy must EQUAL the exact one (within 0.2 points),
and PGD alone must not get closer to it than the default APGD evaluation."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from tradeoff.deep.evaluate import evaluate
from tradeoff.linear.estimators import AdversarialLogisticClassifier, LogisticLinearClassifier, linear_model_parts
from tradeoff.linear.robust import robust_accuracy as exact_robust_accuracy

torch.set_num_threads(1)


class LinearLogits(nn.Module):
    """``x ↦ (−f(x)/2, f(x)/2)`` with the score ``f(x) = wᵀ vec(x) + b``: class 1 (label +1) is predicted iff
    ``f(x) > 0``, class 0 (label −1) iff ``f(x) < 0`` (at ``f = 0`` argmax picks class 0, a measure-zero tie
    that the exact convention counts as an error). The logit margin of the true class is ``±f(x)``, so every
    margin-based attack sees the linear model's own margin. ``w``: any array of ``d`` weights, ``b``: a number;
    ``dtype``: the parameters' dtype (default float32)."""

    def __init__(self, w, b: float, dtype: torch.dtype = torch.float32):
        super().__init__()
        w = torch.as_tensor(np.asarray(w, dtype=np.float64).reshape(-1), dtype=dtype)
        self.register_buffer("w", w)
        self.register_buffer("b", torch.tensor(float(b), dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = x.flatten(1).to(self.w.dtype) @ self.w + self.b
        return torch.stack([-0.5 * f, 0.5 * f], dim=1)


def labels_from_signs(y_pm) -> torch.Tensor:
    """Class indices (0 for −1, 1 for +1) of labels in {−1, +1}, as a long tensor."""
    y_pm = np.asarray(y_pm)
    if not np.all(np.abs(y_pm) == 1):
        raise ValueError("labels must be -1 or +1 (map the two classes to ±1 first)")
    return torch.as_tensor((y_pm > 0).astype(np.int64))



@pytest.fixture(scope="module")
def fig5_models():
    X, t = load_digits(return_X_y=True)
    keep = (t == 5) | (t == 7)
    X, y = (X[keep] / 16.0).astype(np.float32), np.where(t[keep] == 5, 1.0, -1.0)
    models = {"standard": LogisticLinearClassifier().fit(X[:250], y[:250]),
              "robust": AdversarialLogisticClassifier(eps=0.2, norm="inf", box=True).fit(X[:250], y[:250])}
    return models, X, y


@pytest.mark.parametrize("name", ["standard", "robust"])
@pytest.mark.parametrize("norm,eps", [("inf", 0.05), ("inf", 0.2), ("2", 0.3), ("2", 1.0)])
def test_deep_evaluator_equals_the_exact_robust_accuracy_of_linear_models(fig5_models, name, norm, eps):
    models, X, y = fig5_models
    w, b, y_pm = linear_model_parts(models[name], y)
    module = LinearLogits(w, b)
    x = torch.from_numpy(X).reshape(-1, 1, 8, 8)
    labels = labels_from_signs(y_pm)
    exact = exact_robust_accuracy(w, b, X.astype(np.float64), y_pm, eps, norm, box=True)
    clean = exact_robust_accuracy(w, b, X.astype(np.float64), y_pm, 0.0, norm, box=True)
    ours = evaluate(module, x, labels, [0.0, eps], norm)
    assert ours.accuracy[0.0] == pytest.approx(clean, abs=1e-12)
    assert abs(ours.accuracy[eps] - exact) <= 0.002, (ours.accuracy[eps], exact)
    assert exact < clean  # the radius matters
    pgd = evaluate(module, x, labels, [eps], norm, attack="pgd").accuracy[eps]
    assert pgd >= exact - 1e-12  # any attack is an upper bound of the exact robust accuracy
    assert abs(pgd - exact) >= abs(ours.accuracy[eps] - exact)


def test_linear_logits_and_labels():
    m = LinearLogits([1.0, -2.0], 0.5)
    z = m(torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]]))
    assert torch.allclose(z[:, 1] - z[:, 0], torch.tensor([1.5, -1.5]))
    assert labels_from_signs([1, -1]).tolist() == [1, 0]
    with pytest.raises(ValueError, match="-1 or \\+1"):
        labels_from_signs([0, 1])
