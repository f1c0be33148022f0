"""The linear trade-off frontier on real data: exactly trained linear models traced two ways, with exact accuracies.

1. ε_train sweep: the exact adversarial logistic model (linear/objective.py, the Figure 5 estimator) for ε_train
   from 0 to beyond ε_eval. ε_train = 0 and ε_train = ε_eval are Figure 5's standard and robust models (same call,
   same data: linear/fig5.py).
2. β sweep: the TRADES-style objective clean loss + β · exact robust loss at ε_eval (linear/trades.py);
   β = 0 is standard training.

Every model gets its exact standard and robust (at ε_eval, same threat model) accuracy on the test and on the
training set (linear/robust.py). The points are (standard, robust) pairs for the frontier figure; the upper-right
envelope of all of them (with mixtures, the concave hull) is the best a linear model reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from tradeoff.data import checks
from tradeoff.data.registry import DATASETS

from .estimators import fit_exact
from .objective import BLAS_THREADS
from .robust import check_eps, check_in_box, check_norm, robust_accuracy, standard_accuracy
from .trades import minimise_trades_logistic

#: pixels of an MNIST image: the dimension of the [0, 1] box that bounds an l_2 radius (data.checks.eps)
MNIST_PIXELS = DATASETS["mnist"].input_dim

DEFAULT_EPS_FRACTIONS = (0.0, 0.125, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
DEFAULT_BETAS = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
#: Radii of every model's robust-accuracy curve (pixel units; to compare with the data's own limit against eps).
DEFAULT_CURVE_EPS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


@dataclass(frozen=True)
class LinearFrontierConfig:
    """What defines one linear frontier run; the threat model and solver settings match Figure 5's defaults."""

    eps_eval: float = 0.2
    norm: str = "inf"
    box: bool = True
    eps_trains: tuple[float, ...] | None = None  # default: DEFAULT_EPS_FRACTIONS * eps_eval
    betas: tuple[float, ...] = DEFAULT_BETAS
    alpha: float = 1e-4
    tol: float = 1e-6
    max_iter: int = 5000
    curve_eps: tuple[float, ...] = DEFAULT_CURVE_EPS

    def checked(self) -> LinearFrontierConfig:
        """A validated copy (ValueError naming the bad field)."""
        norm = check_norm(self.norm)
        eps = check_eps(self.eps_eval, norm, MNIST_PIXELS, "eps_eval")
        if self.eps_trains is None:
            bound = checks.eps_bound(norm, MNIST_PIXELS)  # the largest radius of the pixel box
            eps_trains = tuple(min(round(f * eps, 12), bound) for f in DEFAULT_EPS_FRACTIONS)
        else:
            eps_trains = tuple(check_eps(e, norm, MNIST_PIXELS, "eps_train") for e in self.eps_trains)
        betas = tuple(float(b) for b in self.betas)
        if any(not (np.isfinite(b) and b >= 0) for b in betas):
            raise ValueError(f"betas must be finite numbers >= 0, got {list(self.betas)}")
        if not eps_trains and not betas:
            raise ValueError("nothing to train: give eps_trains and/or betas")
        if not (np.isfinite(self.alpha) and self.alpha >= 0):
            raise ValueError(f"alpha (L2 regularisation) must be a finite number >= 0, got {self.alpha!r}")
        if not (np.isfinite(self.tol) and self.tol > 0):
            raise ValueError(f"tol must be a finite number > 0, got {self.tol!r}")
        curve = tuple(sorted({check_eps(e) for e in self.curve_eps}))
        return LinearFrontierConfig(eps, norm, checks.boolean("box", self.box), tuple(sorted(set(eps_trains))),
                                    tuple(sorted(set(betas))), float(self.alpha), float(self.tol), int(self.max_iter),
                                    curve)


@dataclass(frozen=True)
class FrontierModel:
    """One trained model and its exact accuracies (robust: at ``eps_eval``)."""

    method: str  # "eps_train" or "trades"
    eps_train: float
    beta: float | None
    standard_acc: float
    robust_acc: float
    train_standard_acc: float
    train_robust_acc: float
    l1_norm: float
    converged: bool
    n_iter: int
    grad_norm: float
    seconds: float
    robust_curve: tuple[float, ...] = ()  # exact robust test accuracy at config.curve_eps


@dataclass
class LinearFrontierResult:
    """Outputs of :func:`linear_frontier_study` (weights kept for tests and reuse, not written to results)."""

    config: LinearFrontierConfig
    n_train: int
    n_test: int
    models: list[FrontierModel]
    weights: list[tuple[np.ndarray, float]] = field(default_factory=list)

    def payload(self) -> dict:
        """The ``linear.frontier`` result payload (reports/RESULTS.md)."""
        c = self.config
        return {"eps_eval": c.eps_eval, "norm": c.norm, "box": c.box, "config": asdict(c),
                "n_train": self.n_train, "n_test": self.n_test, "models": [asdict(m) for m in self.models],
                "definitions": {
                    "eps_train": "exact adversarial logistic training at eps_train (Figure 5 estimator)",
                    "trades": "clean logistic loss + beta * exact adversarial logistic loss at eps_eval",
                    "accuracy": "exact; robust at eps_eval (margin must stay > 0), test set unless train_*",
                    "robust_curve": "exact robust test accuracy at each of config.curve_eps"}}


def linear_frontier_study(X_train, y_train, X_test, y_test, config: LinearFrontierConfig = LinearFrontierConfig(),
                          progress: Callable[[str], None] | None = None) -> LinearFrontierResult:
    """Train the ε_train and β sweeps (module docstring) on images in [0,1] (any shape (n, ...)) with labels ±1 and
    measure every model exactly. ``progress(label)`` after every fit."""
    cfg = config.checked()
    Xtr = np.asarray(X_train, dtype=np.float64).reshape(len(X_train), -1)
    Xte = np.asarray(X_test, dtype=np.float64).reshape(len(X_test), -1)
    ytr, yte = np.asarray(y_train, dtype=np.float64), np.asarray(y_test, dtype=np.float64)
    if cfg.box:
        check_in_box(Xtr, "X_train")
        check_in_box(Xte, "X_test")
    note = progress or (lambda label: None)
    models, weights = [], []
    jobs = [("eps_train", e, None) for e in cfg.eps_trains] + [("trades", cfg.eps_eval, b) for b in cfg.betas]
    with threadpool_limits(BLAS_THREADS, user_api="blas"):
        for method, eps_train, beta in jobs:
            t0 = time.perf_counter()
            if method == "eps_train":  # exactly the Figure 5 fits (standard model: eps 0, no box)
                res = fit_exact(Xtr, ytr, eps_train, cfg.norm, cfg.box and eps_train > 0, cfg.alpha, cfg.tol,
                                cfg.max_iter)
            else:
                res = minimise_trades_logistic(Xtr, ytr, beta, cfg.eps_eval, cfg.norm, cfg.box, cfg.alpha, cfg.tol,
                                               cfg.max_iter)
            seconds = time.perf_counter() - t0
            w, b = res.coef, res.intercept
            models.append(FrontierModel(
                method=method, eps_train=float(eps_train), beta=beta,
                standard_acc=standard_accuracy(w, b, Xte, yte),
                robust_acc=robust_accuracy(w, b, Xte, yte, cfg.eps_eval, cfg.norm, cfg.box),
                train_standard_acc=standard_accuracy(w, b, Xtr, ytr),
                train_robust_acc=robust_accuracy(w, b, Xtr, ytr, cfg.eps_eval, cfg.norm, cfg.box),
                l1_norm=float(np.abs(w).sum()), converged=bool(res.converged), n_iter=res.n_iter,
                grad_norm=res.grad_norm, seconds=seconds,
                robust_curve=tuple(robust_accuracy(w, b, Xte, yte, e, cfg.norm, cfg.box) for e in cfg.curve_eps),
            ))
            weights.append((w, b))
            note(f"{method} eps_train={eps_train:g}" + ("" if beta is None else f" beta={beta:g}"))
    return LinearFrontierResult(cfg, len(Xtr), len(Xte), models, weights)


def n_fits(config: LinearFrontierConfig) -> int:
    """How many models :func:`linear_frontier_study` trains (for a progress bar)."""
    cfg = config.checked()
    return len(cfg.eps_trains) + len(cfg.betas)
