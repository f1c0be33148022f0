"""The whole Figure 5 study (docs/paper.md §5, Appendix E) as one function returning a dataclass.

Steps: pixel–label correlation on the training set; a standard and an exactly adversarially trained logistic
linear model (trained through the scikit-learn estimators of linear/estimators.py, whose solver is
linear/objective.py); their standard and exact robust test
accuracy and weight concentration; the top-k study of standard models on the k most correlated pixels.

Reconstructed defaults (docs/paper.md §5, all configurable in :class:`Fig5Config`): ℓ∞, ε_train = ε_eval = 0.2,
digits 5 (label +1) vs 7 (label -1), the [0,1] pixel box ON (images are pixels; the box only restricts the
adversary), k on a 20-point log grid from 1 to 784, L2 regularisation α = 1e-4 on the mean logistic loss.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from tradeoff.data import checks
from tradeoff.data.registry import DATASETS

from .analysis import ModelSummary, TopKRow, log_grid, pixel_correlation, rank_pixels, summarise_model, topk_study
from .estimators import fit_exact
from .objective import BLAS_THREADS, FitResult
from .robust import check_eps, check_in_box, check_norm

#: pixels of an MNIST image: the dimension of the [0, 1] box that bounds an l_2 radius (data.checks.eps)
MNIST_PIXELS = DATASETS["mnist"].input_dim


@dataclass(frozen=True)
class Fig5Config:
    """Everything that defines one Figure 5 run."""

    digits: tuple[int, int] = (5, 7)  # (positive → +1, negative → -1)
    eps: float = 0.2
    norm: str = "inf"
    box: bool = True
    alpha: float = 1e-4
    tol: float = 1e-6
    max_iter: int = 5000
    n_k: int = 20
    rank_by: str = "abs"
    top_fraction: float = 0.1
    active_rel: float = 0.01

    def checked(self) -> Fig5Config:
        """A copy with validated, normalised values; ValueError naming the bad field otherwise."""
        a, b = check_digits(self.digits)
        if self.rank_by not in ("abs", "signed"):
            raise ValueError(f"rank_by must be 'abs' or 'signed', got {self.rank_by!r}")
        if not 0 < self.top_fraction <= 1:
            raise ValueError(f"top_fraction must be in (0, 1], got {self.top_fraction}")
        if not 0 < self.active_rel <= 1:
            raise ValueError(f"active_rel must be in (0, 1], got {self.active_rel}")
        if self.n_k < 2:
            raise ValueError(f"n_k must be >= 2, got {self.n_k}")
        if not (np.isfinite(self.alpha) and self.alpha >= 0):
            raise ValueError(f"alpha (L2 regularisation) must be a finite number >= 0, got {self.alpha!r}")
        if not (np.isfinite(self.tol) and self.tol > 0):
            raise ValueError(f"tol (L-BFGS-B gradient tolerance) must be a finite number > 0, got {self.tol!r}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        norm = check_norm(self.norm)
        return Fig5Config((a, b), check_eps(self.eps, norm, MNIST_PIXELS), norm, checks.boolean("box", self.box),
                          float(self.alpha),
                          float(self.tol), int(self.max_iter), int(self.n_k), self.rank_by,
                          float(self.top_fraction), float(self.active_rel))


def check_digits(digits) -> tuple[int, int]:
    """Two different digits in 0–9, else ValueError with a one-line fix."""
    try:
        a, b = (int(v) for v in digits)
    except (TypeError, ValueError):
        raise ValueError(f"digits must be two integers in 0-9, got {digits!r}") from None
    for v in (a, b):
        if not 0 <= v <= 9:
            raise ValueError(f"digit {v} is not an MNIST class: choose two different digits in 0-9")
    if a == b:
        raise ValueError(f"the two digits must differ (got {a} twice): e.g. --digits 5 7")
    return a, b


@dataclass
class Fig5Result:
    """Outputs of :func:`run_fig5`. Weight and correlation vectors are flat (d,), ``image_shape`` reshapes them."""

    config: Fig5Config
    image_shape: tuple[int, ...]
    n_train: int
    n_test: int
    correlation: np.ndarray
    order: np.ndarray
    standard_weights: np.ndarray
    standard_intercept: float
    robust_weights: np.ndarray
    robust_intercept: float
    summary: dict[str, ModelSummary]
    topk: list[TopKRow]
    solver: dict[str, dict] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def payload(self) -> dict:
        """The ``linear.fig5`` result payload (reports/RESULTS.md) plus extra keys for the figures."""
        c = self.config
        return {
            "digits": list(c.digits), "eps": c.eps, "norm": c.norm, "box": c.box,
            "summary": {k: asdict(v) for k, v in self.summary.items()},
            "topk": [asdict(r) for r in self.topk],
            "correlation": self.correlation,
            "weights": {"standard": self.standard_weights, "robust": self.robust_weights},
            "intercepts": {"standard": self.standard_intercept, "robust": self.robust_intercept},
            "image_shape": list(self.image_shape),
            "n_train": self.n_train, "n_test": self.n_test,
            "config": asdict(c), "solver": self.solver, "timings": self.timings,
            "definitions": {
                "correlation": "Pearson corr(pixel, y) on the training set, y = +1 for digits[0], -1 for digits[1]",
                "rank_by": c.rank_by,
                "top_mass": f"share of sum|w| on the top {c.top_fraction:.0%} pixels by the ranking",
                "n_active": f"pixels with |w_i| >= {c.active_rel} * max|w|",
                "accuracy": "test set; robust = exact worst case of the linear model (margin must stay > 0)",
            },
        }


def _fit_diag(res: FitResult, seconds: float) -> dict:
    return {"n_iter": res.n_iter, "grad_norm": res.grad_norm, "converged": res.converged,
            "objective": res.objective, "seconds": seconds, "message": res.message}


def run_fig5(X_train, y_train, X_test, y_test, config: Fig5Config = Fig5Config(),
             progress: Callable[[str], None] | None = None,
             robust_fitter: Callable[..., FitResult] | None = None) -> Fig5Result:
    """Run the Figure 5 study on images in [0,1] (any shape (n, …), flattened) with labels y ∈ {-1, +1}.

    ``progress(step_name)`` is called after every model fit. ``robust_fitter(X, y, config)`` replaces the exact
    adversarial training (used by the benchmark to time the PGD way); it must return a FitResult.
    BLAS runs on ``linear.objective.BLAS_THREADS`` threads meanwhile (all products are matrix-vector ones)."""
    with threadpool_limits(BLAS_THREADS, user_api="blas"):
        return _run_fig5(X_train, y_train, X_test, y_test, config, progress, robust_fitter)


def _run_fig5(X_train, y_train, X_test, y_test, config, progress, robust_fitter) -> Fig5Result:
    cfg = config.checked()
    image_shape = tuple(np.shape(X_train)[1:])
    Xtr = np.asarray(X_train, dtype=np.float64).reshape(len(X_train), -1)
    Xte = np.asarray(X_test, dtype=np.float64).reshape(len(X_test), -1)
    ytr, yte = np.asarray(y_train, dtype=np.float64), np.asarray(y_test, dtype=np.float64)
    for name, v in (("y_train", ytr), ("y_test", yte)):
        if not np.all(np.abs(v) == 1) or len(np.unique(v)) != 2:
            raise ValueError(f"{name} must contain both labels -1 and +1")
    if cfg.box:
        check_in_box(Xtr, "X_train")
        check_in_box(Xte, "X_test")
    note = progress or (lambda step: None)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()

    t0 = time.perf_counter()
    corr = pixel_correlation(Xtr, ytr)
    order = rank_pixels(corr, cfg.rank_by)
    timings["correlation"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    std = fit_exact(Xtr, ytr, 0.0, cfg.norm, False, cfg.alpha, cfg.tol, cfg.max_iter)
    timings["standard_fit"] = time.perf_counter() - t0
    note("standard model")

    t0 = time.perf_counter()
    if robust_fitter is None:
        rob = fit_exact(Xtr, ytr, cfg.eps, cfg.norm, cfg.box, cfg.alpha, cfg.tol, cfg.max_iter)
    else:
        rob = robust_fitter(Xtr, ytr, cfg)
    timings["robust_fit"] = time.perf_counter() - t0
    note("robust model")

    summary = {
        name: summarise_model(res.coef, res.intercept, Xte, yte, corr, order, cfg.eps, cfg.norm, cfg.box,
                              cfg.top_fraction, cfg.active_rel)
        for name, res in (("standard", std), ("robust", rob))
    }

    t0 = time.perf_counter()
    ks = log_grid(Xtr.shape[1], cfg.n_k)
    topk = topk_study(Xtr, ytr, Xte, yte, order, ks, cfg.eps, cfg.norm, cfg.box, cfg.alpha, cfg.tol,
                      cfg.max_iter, progress=lambda _: note("top-k model"), full_model=(std.coef, std.intercept))
    timings["topk"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    return Fig5Result(
        config=cfg, image_shape=image_shape, n_train=len(Xtr), n_test=len(Xte), correlation=corr, order=order,
        standard_weights=std.coef, standard_intercept=std.intercept,
        robust_weights=rob.coef, robust_intercept=rob.intercept,
        summary=summary, topk=topk,
        solver={"standard": _fit_diag(std, timings["standard_fit"]), "robust": _fit_diag(rob, timings["robust_fit"])},
        timings=timings,
    )


def n_fits(config: Fig5Config, d: int) -> int:
    """How many models :func:`run_fig5` fits (for a progress bar)."""
    return 2 + len(log_grid(d, config.n_k))


def load_binary_mnist(digits=(5, 7), root=None):
    """MNIST restricted to two digits, pixels scaled to [0,1] as float64 images (n, 1, 28, 28):
    returns ``(X_train, y_train, X_test, y_test)`` with y = +1 for ``digits[0]`` and -1 for ``digits[1]``."""
    from tradeoff.data.mnist import load_mnist
    from tradeoff.data.subsets import binary_subset

    a, b = check_digits(digits)
    out = []
    for split in ("train", "test"):
        images, labels = load_mnist(split=split, root=root)
        imgs, y = binary_subset(images, labels, a, b)
        out += [np.asarray(imgs, dtype=np.float64) / 255.0, np.asarray(y, dtype=np.float64)]
    return tuple(out)
