"""The linear studies on two MNIST digits as definitions (data.study's protocol: definition → run → result file):
Figure 5 (docs/paper.md §5, Appendix E; linear.fig5) and the linear trade-off frontier (linear.frontier). Each
definition holds its configuration, checked when made (a one-line ValueError names the bad setting), and the MNIST
folder; ``run()`` loads the two digits, trains every model (through the scikit-learn estimators of
linear.estimators where a model is a plain standard or adversarial fit), measures it exactly and returns a
:class:`data.study.StudyResult` whose warnings name the fits that did not reach their tolerance."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tradeoff.data.kinds import Kind
from tradeoff.data.study import StudyResult, study_settings

from . import fig5
from .frontier import LinearFrontierConfig, linear_frontier_study, n_fits


def _dataset(digits) -> str:
    return f"mnist {digits[0]}-vs-{digits[1]}"


@dataclass(frozen=True)
class Fig5Study:
    """Figure 5: a standard and an exactly adversarially trained logistic linear model on two MNIST digits, their
    exact robust accuracy, the pixel-correlation analysis and the top-k study (:class:`linear.fig5.Fig5Config`);
    ``root``: the MNIST folder (default the data cache)."""

    config: fig5.Fig5Config = fig5.Fig5Config()
    root: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "config", self.config.checked())

    def run(self, progress: Callable[[str], None] | None = None,
            start: Callable[[int], None] | None = None) -> StudyResult:
        """The ``linear.fig5`` payload; ``start(n)`` with the number of fits once the digits are loaded,
        ``progress(step)`` after every fit."""
        cfg = self.config
        started = time.perf_counter()
        X_train, y_train, X_test, y_test = fig5.load_binary_mnist(cfg.digits, root=self.root)
        if start is not None:
            start(fig5.n_fits(cfg, X_train[0].size))
        payload = fig5.run_fig5(X_train, y_train, X_test, y_test, cfg, progress=progress).payload()
        unconverged = [name for name, d in payload["solver"].items() if not d["converged"]]
        unconverged += [f"top-k k={r['k']}" for r in payload["topk"] if not r["converged"]]
        warnings = (f"L-BFGS-B did not reach tol={cfg.tol} for: {', '.join(unconverged)} (raise --tol or check the "
                    "data)",) if unconverged else ()
        return StudyResult(Kind.LINEAR_FIG5, payload, _dataset(cfg.digits), (), time.perf_counter() - started,
                           warnings, settings=study_settings(self))


@dataclass(frozen=True)
class LinearFrontierStudy:
    """The linear trade-off frontier on two MNIST digits: exactly adversarially trained models over ε_train and
    TRADES-style models over β (:class:`linear.frontier.LinearFrontierConfig`), each measured exactly."""

    config: LinearFrontierConfig = LinearFrontierConfig()
    digits: tuple[int, int] = (5, 7)
    root: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "config", self.config.checked())
        object.__setattr__(self, "digits", fig5.check_digits(self.digits))

    @property
    def n_fits(self) -> int:
        """How many models :meth:`run` trains (for a progress bar)."""
        return n_fits(self.config)

    def run(self, progress: Callable[[str], None] | None = None) -> StudyResult:
        """The ``linear.frontier`` payload (with the digits); ``progress(label)`` after every fit."""
        started = time.perf_counter()
        X_train, y_train, X_test, y_test = fig5.load_binary_mnist(self.digits, root=self.root)
        res = linear_frontier_study(X_train, y_train, X_test, y_test, self.config, progress=progress)
        payload = res.payload()
        payload["digits"] = list(self.digits)
        bad = [f"{m.method} eps_train={m.eps_train:g} beta={m.beta}" for m in res.models if not m.converged]
        warnings = (f"L-BFGS-B did not reach tol={self.config.tol} for: {', '.join(bad)}",) if bad else ()
        return StudyResult(Kind.LINEAR_FRONTIER, payload, _dataset(self.digits), (), time.perf_counter() - started,
                           warnings, settings=study_settings(self))
