"""scikit-learn classifiers: standard and exactly adversarially trained binary logistic linear models (§5).

These are the models the commands train: ``tradeoff linear fig5`` fits its standard and its robust model through
:class:`AdversarialLogisticClassifier` (linear.fig5.run_fig5), ``tradeoff linear frontier`` every model of its
ε_train sweep (linear.frontier); the top-k refits (warm-started from the previous k) and the TRADES-style models,
which are not plain standard or adversarial fits, call the solver directly.

Both fit ``f(x) = wᵀx + b`` by minimising the mean logistic loss of the exact worst-case margin plus
``(alpha/2)‖w‖₂²`` with L-BFGS-B to a projected-gradient tolerance ``tol`` (see linear/objective.py for the maths
and the convexity argument). Default ``alpha = 1e-4``: small, it only keeps the weights of (nearly) separable data
such as MNIST 5-vs-7 finite and makes the minimiser unique. Labels may be any two classes: ``classes_[1]`` is
mapped to +1 and ``classes_[0]`` to -1, so ``decision_function > 0`` predicts ``classes_[1]``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted

from tradeoff.data import checks

from .objective import FitResult, minimise_adversarial_logistic
from .robust import check_eps, check_norm, robust_accuracy, worst_case_images

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def _validate_data(est, X, y=None, reset=True, **kw):
        if y is None:
            return est._validate_data(X, reset=reset, **kw)
        return est._validate_data(X, y, reset=reset, **kw)


class _BinaryLinearLogistic(ClassifierMixin, BaseEstimator):
    """Shared fit/predict machinery; subclasses say which ε/norm/box they train against."""

    def _adversary(self) -> tuple[float, str, bool]:
        raise NotImplementedError

    def _check_params(self):
        checks.number("alpha", self.alpha, low=0.0)
        checks.number("tol", self.tol, low=0.0, low_open=True)
        checks.integer("max_iter", self.max_iter, low=1)

    def fit(self, X, y):
        """Fit to ``X`` (n, d) and labels ``y`` of exactly two classes; returns ``self``."""
        self._check_params()
        eps, norm, box = self._adversary()
        X, y = _validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        if box:  # pixel space: the radius of its norm is bounded by the box (data.checks.eps)
            checks.eps("eps", eps, norm, dim=X.shape[1])
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(f"Only binary classification is supported. The type of the target is {y_type}.")
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"needs samples of two classes to fit, got one class: {self.classes_[0]!r}")
        y_pm = np.where(y == self.classes_[1], 1.0, -1.0)
        res = minimise_adversarial_logistic(X, y_pm, eps, norm, box, float(self.alpha), float(self.tol),
                                            int(self.max_iter))
        self.coef_ = res.coef.reshape(1, -1)
        self.intercept_ = np.array([res.intercept])
        self.n_iter_ = np.array([res.n_iter])
        self.objective_ = res.objective
        self.grad_norm_ = res.grad_norm
        self.converged_ = res.converged
        self.fit_result_ = res  # the solver's whole record (linear.objective.FitResult), message included
        if not res.converged:
            warnings.warn(
                f"L-BFGS-B stopped with projected gradient {res.grad_norm:.2e} > tol={self.tol} after "
                f"{res.n_iter} iterations ({res.message}); raise max_iter or tol",
                ConvergenceWarning, stacklevel=2,
            )
        return self

    def decision_function(self, X) -> np.ndarray:
        """``wᵀx + b`` for every row (> 0 predicts ``classes_[1]``)."""
        check_is_fitted(self)
        X = _validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict(self, X) -> np.ndarray:
        """``classes_[1]`` where the decision function is > 0, else ``classes_[0]``."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]

    def predict_proba(self, X) -> np.ndarray:
        """Logistic probabilities ``[1 - σ(f), σ(f)]`` of ``classes_[0]`` and ``classes_[1]``."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def robust_score(self, X, y, eps: float, norm: str = "inf", box: bool = False) -> float:
        """Exact robust accuracy under ‖δ‖_norm ≤ eps (and the [0,1] box if ``box``), see linear/robust.py."""
        X = _validate_data(self, X, dtype=np.float64, reset=False)
        return exact_robust_accuracy(self, X, y, eps, norm, box)

    def worst_case_images(self, X, y, eps: float, norm: str = "inf", box: bool = False) -> np.ndarray:
        """The exact worst-case inputs x + δ* for this model (same shape as ``X``)."""
        return exact_worst_case_images(self, X, y, eps, norm, box)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"binary_only": True}


class LogisticLinearClassifier(_BinaryLinearLogistic):
    """Standard binary logistic regression ``min (1/n) Σ log(1 + e^{-y(wᵀx+b)}) + (alpha/2)‖w‖²`` solved with
    L-BFGS to ``tol`` (projected-gradient max-norm). Identical to ``AdversarialLogisticClassifier(eps=0)``."""

    def __init__(self, alpha: float = 1e-4, tol: float = 1e-6, max_iter: int = 5000):
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter

    def _adversary(self):
        return 0.0, "inf", False


class AdversarialLogisticClassifier(_BinaryLinearLogistic):
    """Exactly adversarially trained binary logistic linear model (docs/paper.md §5, Madry et al. min-max):
    ``min (1/n) Σ log(1 + e^{-m_n}) + (alpha/2)‖w‖²`` with ``m_n`` the exact worst margin over ‖δ‖_norm ≤ eps
    (``norm`` 'inf' or '2'), intersected with the [0,1] pixel box when ``box=True`` (then X must lie in [0,1]).
    Convex; solved deterministically by L-BFGS-B on a smooth reformulation (linear/objective.py)."""

    def __init__(self, eps: float = 0.1, norm: str = "inf", box: bool = False, alpha: float = 1e-4,
                 tol: float = 1e-6, max_iter: int = 5000):
        self.eps = eps
        self.norm = norm
        self.box = box
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter

    def _adversary(self):
        return check_eps(self.eps), check_norm(self.norm), checks.boolean("box", self.box)


def linear_model_parts(model, y) -> tuple[np.ndarray, float, np.ndarray]:
    """``(w, b, y±1)`` of ANY fitted binary scikit-learn linear classifier (``coef_`` of shape (1, d) or (d,),
    ``intercept_``, ``classes_`` of two labels, e.g. LogisticRegression, LinearSVC, SGDClassifier, or the
    classifiers above); ``classes_[1]`` maps to +1 as in scikit-learn's decision_function."""
    check_is_fitted(model, ["coef_", "classes_"])
    coef = np.asarray(model.coef_, dtype=np.float64)
    if coef.ndim == 2 and coef.shape[0] != 1 or len(model.classes_) != 2:
        raise ValueError(f"{type(model).__name__} is not a binary linear classifier (coef_ shape {coef.shape})")
    intercept = float(np.asarray(getattr(model, "intercept_", 0.0), dtype=np.float64).reshape(-1)[0])
    y = np.asarray(y)
    unknown = ~np.isin(y, model.classes_)
    if unknown.any():
        raise ValueError(f"label {y[unknown][0]!r} is not one of the fitted classes {list(model.classes_)}")
    return coef.reshape(-1), intercept, np.where(y == model.classes_[1], 1.0, -1.0)


def exact_robust_accuracy(model, X, y, eps: float, norm: str = "inf", box: bool = False) -> float:
    """Exact robust accuracy of any fitted binary scikit-learn linear classifier (see :func:`linear_model_parts`)
    under ‖δ‖_norm ≤ eps, optionally inside the [0,1] pixel box (linear/robust.py)."""
    w, b, y_pm = linear_model_parts(model, y)
    return robust_accuracy(w, b, np.asarray(X, dtype=np.float64), y_pm, eps, norm, box)


def exact_worst_case_images(model, X, y, eps: float, norm: str = "inf", box: bool = False) -> np.ndarray:
    """The exact worst-case inputs x + δ* for any fitted binary scikit-learn linear classifier."""
    w, b, y_pm = linear_model_parts(model, y)
    return worst_case_images(w, b, X, y_pm, eps, norm, box)


def fit_exact(X, y, eps: float, norm: str = "inf", box: bool = False, alpha: float = 1e-4, tol: float = 1e-6,
              max_iter: int = 5000) -> FitResult:
    """Fit :class:`AdversarialLogisticClassifier` (the standard model for ``eps = 0``) to ``X`` and labels ±1 ``y``
    and return its solver record (weights, intercept, convergence). The studies report convergence themselves, so
    the estimator's ConvergenceWarning is silenced here."""
    model = AdversarialLogisticClassifier(eps=eps, norm=norm, box=box, alpha=alpha, tol=tol, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y).fit_result_
