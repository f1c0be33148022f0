"""The theory studies as definitions (data.study's protocol): one frozen dataclass per study of D(d, p, eta)
(docs/paper.md §§2-4) and of Schmidt et al.'s Gaussian model, its settings checked when it is made (theory.studies.
guards), and ``run()`` computing its payload in theory/ and returning a :class:`data.study.StudyResult`.

========================= ========================= ===========================================================
definition                kind                      what it computes
========================= ========================= ===========================================================
:class:`AveragingStudy`   ``theory.averaging``      sign(sum x_i): closed forms against Monte Carlo (claim 1)
:class:`BoundStudy`       ``theory.bound``          Theorem 1 for many classifiers, its tight point (claim 2)
:class:`FrontierStudy`    ``theory.frontier``       the exact trade-off frontier and best linear rules (claim 2)
:class:`SvmStudy`         ``theory.svm``            Theorem 2: population SVM and logistic minimisers (claim 3)
:class:`FiniteSampleStudy` ``theory.finite_sample`` learned linear rules against n (the theory of claims 5, 6)
:class:`TransferStudy`    ``theory.transfer``       the -2 eta y shift against independent models (claim 4)
:class:`GaussianStudy`    ``theory.gaussian_model`` Schmidt et al.'s model: errors against n
========================= ========================= ===========================================================

The many small matrix products of the finite-sample and transfer fits run with one BLAS thread (threadpoolctl): on a
shared machine multi-threaded BLAS made them up to 100x slower.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from tradeoff.data import checks
from tradeoff.data.kinds import Kind
from tradeoff.data.study import StudyResult, study_settings

from ..distribution import FeatureDistribution
from .guards import check_general_d, check_mc, check_sample_bytes, check_work, require_theorem1

#: The settings of ``tradeoff theory gaussian`` by default (the sample sizes of the curve).
GAUSSIAN_NS = (1, 2, 3, 5, 8, 13, 20, 32, 50, 100)


def _check_common(eps: float, norm: str, seed: int) -> None:
    """The radius (a finite number >= 0 in D's feature space), the norm and the seed of a study."""
    checks.number("--eps", eps, low=0.0)
    checks.choice("--norm", norm, ("inf", "2"))
    checks.integer("--seed", seed, low=0, high=2**63 - 1)


def _result(study, kind: Kind, payload: dict, dist: FeatureDistribution, seeds, started: float) -> StudyResult:
    return StudyResult(kind, payload, dist.label(), tuple(int(s) for s in seeds), time.perf_counter() - started,
                       settings=study_settings(study))


@dataclass(frozen=True)
class AveragingStudy:
    """The averaging classifier sign(sum x_i) at radius ``eps`` in ``norm``: closed forms Phi(eta sqrt(d)) and
    Phi((eta - eps) sqrt(d)) against ``mc_samples`` Monte Carlo draws, also at each eta sqrt(d) of
    ``also_eta_sqrt_d`` (each at Theorem 1's radius) so that the 99% / 1% statement is checked (docs/paper.md §2)."""

    dist: FeatureDistribution
    eps: float
    norm: str = "inf"
    mc_samples: int = 100_000
    seed: int = 0
    also_eta_sqrt_d: tuple[float, ...] = ()

    def __post_init__(self):
        for ets in self.also_eta_sqrt_d:
            checks.number("--also-eta-sqrt-d", ets, low=0.0)
        _check_common(self.eps, self.norm, self.seed)
        checks.integer("--mc-samples", self.mc_samples, low=0)
        check_mc(self.dist, self.mc_samples)
        check_work("--mc-samples", self.mc_samples, self.mc_samples * self.dist.dim * (1 + len(self.also_eta_sqrt_d)),
                   "lower --mc-samples, --d or the number of --also-eta-sqrt-d settings")

    def run(self) -> StudyResult:
        """The ``theory.averaging`` payload (theory.averaging.averaging_payload)."""
        from tradeoff.theory.averaging import averaging_payload

        started = time.perf_counter()
        payload = averaging_payload(self.dist, self.eps, self.norm, self.mc_samples, self.seed, self.also_eta_sqrt_d)
        return _result(self, Kind.THEORY_AVERAGING, payload, self.dist, [self.seed], started)


@dataclass(frozen=True)
class BoundStudy:
    """Theorem 1, robust <= p/(1-p)·delta, on exact linear rules and Monte Carlo non-linear ones at radius ``eps``,
    and its tight point delta = 1 - p (docs/paper.md §3); beside it the theorem's symbolic proof (theory.symbolic)."""

    dist: FeatureDistribution
    eps: float
    norm: str = "inf"
    mc_samples: int = 20_000
    seed: int = 0

    def __post_init__(self):
        _check_common(self.eps, self.norm, self.seed)
        checks.integer("--mc-samples", self.mc_samples, low=0)
        require_theorem1(self.dist, self.eps, self.norm)
        check_mc(self.dist, self.mc_samples)

    def run(self) -> StudyResult:
        """The ``theory.bound`` payload (theory.bound.bound_payload) with ``symbolic`` (theorem1_summary)."""
        from tradeoff.theory.bound import bound_payload
        from tradeoff.theory.symbolic import theorem1_summary

        started = time.perf_counter()
        payload = bound_payload(self.dist, self.eps, self.norm, self.mc_samples, self.seed)
        payload["symbolic"] = theorem1_summary()
        return _result(self, Kind.THEORY_BOUND, payload, self.dist, [self.seed], started)


@dataclass(frozen=True)
class FrontierStudy:
    """The trade-off frontier at radius ``eps`` on ``points`` values of delta: Theorem 1's line, its cap, the
    frontier reached by mixtures, the best linear rules (docs/paper.md §3)."""

    dist: FeatureDistribution
    eps: float
    norm: str = "inf"
    points: int = 61
    seed: int = 0

    def __post_init__(self):
        _check_common(self.eps, self.norm, self.seed)
        require_theorem1(self.dist, self.eps, self.norm)
        if not 2 <= self.points <= 10_001:
            raise ValueError(f"--points must be between 2 and 10001, got {self.points}")

    def run(self) -> StudyResult:
        """The ``theory.frontier`` payload (theory.frontier.tradeoff_frontier)."""
        from tradeoff.theory.frontier import default_deltas, tradeoff_frontier

        started = time.perf_counter()
        f = tradeoff_frontier(self.dist, self.eps, self.norm, default_deltas(self.dist, self.points))
        return _result(self, Kind.THEORY_FRONTIER, f.to_payload(), self.dist, [self.seed], started)


@dataclass(frozen=True)
class SvmStudy:
    """Theorem 2 for hinge and logistic loss: the population minimisers, standard and l_inf-adversarial
    (``eps_train``, default 2 eta), evaluated at ``eps_eval`` (default 2 eta), Lemmas D.1-D.5 (docs/paper.md §4);
    ``seed`` seeds the random start of Lemma D.1's general-w check, skipped unless ``check_general``. Beside the
    numbers, the sympy-derived accuracies of each minimiser (theory.symbolic.symmetric_rule_check)."""

    dist: FeatureDistribution
    eps_train: float | None = None
    eps_eval: float | None = None
    seed: int = 0
    check_general: bool = True

    def __post_init__(self):
        for option, v in (("--eps-train", self.eps_train), ("--eps", self.eps_eval)):
            if v is not None:
                checks.number(option, v, low=0.0)
        checks.integer("--seed", self.seed, low=0, high=2**63 - 1)
        checks.boolean("check_general", self.check_general)
        check_general_d(self.dist, self.check_general)

    def run(self) -> StudyResult:
        """The ``theory.svm`` payload (theory.theorem2.theorem2_payload) with ``symbolic``."""
        from tradeoff.theory.symbolic import symmetric_rule_check
        from tradeoff.theory.theorem2 import theorem2_payload

        started = time.perf_counter()
        d = self.dist
        payload = theorem2_payload(d.d, d.p, d.eta, self.eps_train, self.eps_eval, seed=self.seed,
                                   check_general=self.check_general)
        models = {f"{loss}, {kind}": block[kind] for loss, block in (("hinge", payload), ("logistic",
                                                                                         payload["logistic"]))
                  for kind in ("standard", "adversarial")}
        payload["symbolic"] = symmetric_rule_check(models, d.d, d.p, d.eta, payload["eps_eval"])
        return _result(self, Kind.THEORY_SVM, payload, d, [self.seed], started)


@dataclass(frozen=True)
class FiniteSampleStudy:
    """Finite samples (beyond the paper): standard and l_inf-adversarially trained linear rules learned from each
    n of ``ns`` samples of D, per training radius and seed, with exact standard and robust accuracy (robust at
    ``eps_eval``, default 2 eta)."""

    dist: FeatureDistribution
    ns: tuple[int, ...]
    eps_trains: tuple[float, ...]
    seeds: tuple[int, ...]
    eps_eval: float | None = None
    loss: str = "logistic"
    ridge: float = 1e-3

    def __post_init__(self):
        checks.number("--ridge", self.ridge, low=0.0, low_open=True)
        if not self.ns or not self.eps_trains or not self.seeds:
            raise ValueError("a finite-sample study needs at least one n, one training radius and one seed")
        for n in self.ns:
            checks.integer("--n-max", n, low=1)
        for e in self.eps_trains:
            checks.number("--eps-train", e, low=0.0)
        for seed in self.seeds:
            checks.integer("--seed", seed, low=0, high=2**63 - 1)
        if self.eps_eval is not None:
            checks.number("--eps", self.eps_eval, low=0.0)
        checks.choice("--loss", self.loss, ("logistic", "squared_hinge"))
        check_sample_bytes(max(self.ns), self.dist.d, "--n-max")
        check_work("--n-max", max(self.ns), self.n_fits * max(self.ns) * self.dist.dim * 100,
                   "lower --n-max, --d, --seeds or --per-decade (each fit passes over its sample about 100 times)")

    @property
    def n_fits(self) -> int:
        """How many rules :meth:`run` learns (for a progress bar)."""
        return len(self.ns) * len(self.eps_trains) * len(self.seeds)

    def run(self, on_row: Callable[[object], None] | None = None) -> StudyResult:
        """The ``theory.finite_sample`` payload; ``on_row(row)`` after every learned rule."""
        from threadpoolctl import threadpool_limits

        from tradeoff.theory.finite_sample import finite_sample_curve, finite_sample_payload

        started = time.perf_counter()
        d = self.dist
        with threadpool_limits(1):
            rows = finite_sample_curve(d.d, d.p, d.eta, self.ns, self.eps_trains, self.seeds, eps_eval=self.eps_eval,
                                       loss=self.loss, ridge=self.ridge, on_row=on_row)
        payload = finite_sample_payload(rows, d.d, d.p, d.eta, self.loss, self.ridge)
        return _result(self, Kind.THEORY_FINITE_SAMPLE, payload, d, self.seeds, started)


@dataclass(frozen=True)
class TransferStudy:
    """Claim 4: the fixed shift x_i -> x_i - 2 eta y of every weak feature against ``n_models`` standard linear
    models, each trained on ``n_train`` independent samples, on ``n_test`` fresh points (docs/paper.md §4)."""

    dist: FeatureDistribution
    n_models: int = 5
    n_train: int = 1000
    n_test: int = 10000
    seed: int = 0

    def __post_init__(self):
        for option, v in (("--n-models", self.n_models), ("--n-train", self.n_train), ("--n-test", self.n_test)):
            checks.integer(option, v, low=1)
        checks.integer("--seed", self.seed, low=0, high=2**63 - 1)
        check_sample_bytes(self.n_train, self.dist.d, "--n-train")
        check_sample_bytes(self.n_test, self.dist.d, "--n-test")
        check_work("--n-train", self.n_train, (self.n_models * self.n_train * 100 + self.n_test) * self.dist.dim,
                   "lower --n-models, --n-train, --n-test or --d (each fit passes over its sample about 100 times)")

    def run(self) -> StudyResult:
        """The ``theory.transfer`` payload (theory.transfer.transfer_study)."""
        from threadpoolctl import threadpool_limits

        from tradeoff.theory.transfer import transfer_study

        started = time.perf_counter()
        d = self.dist
        with threadpool_limits(1):
            payload = transfer_study(d.d, d.p, d.eta, n_models=self.n_models, n_train=self.n_train,
                                     n_test=self.n_test, seed=self.seed).to_payload()
        return _result(self, Kind.THEORY_TRANSFER, payload, d, [self.seed], started)


@dataclass(frozen=True)
class GaussianStudy:
    """Schmidt et al.'s Gaussian model (theory.gaussian_model): the averaging rule learned from n samples, its
    exact standard error and Monte Carlo robust error (``draws`` draws of w_hat per n) at radius ``eps`` in
    ``norm``; ``sigma`` defaults to d^(1/4)/2."""

    d: int = 1000
    sigma: float | None = None
    eps: float = 0.5
    norm: str = "inf"
    ns: tuple[int, ...] = GAUSSIAN_NS
    draws: int = 2000
    seed: int = 0

    def __post_init__(self):
        checks.integer("--d", self.d, low=1)
        if self.sigma is None:
            object.__setattr__(self, "sigma", self.d**0.25 / 2)
        checks.number("--sigma", self.sigma, low=0.0, low_open=True)
        _check_common(self.eps, self.norm, self.seed)
        checks.integer("--draws", self.draws, low=2)
        if not self.ns:
            raise ValueError("--n needs at least one sample size")
        for n in self.ns:
            checks.integer("--n", n, low=1, fix="each sample size is a number of samples >= 1")
        checks.memory("--draws", self.draws, 8.0 * self.draws * self.d * 3, "lower --draws or --d")
        check_work("--draws", self.draws, float(self.draws) * self.d * len(self.ns) * 4,
                   "lower --draws, --d or the number of --n values")

    def run(self) -> StudyResult:
        """The ``theory.gaussian_model`` payload: the setting, one row per n, and what each column means."""
        from tradeoff.theory.gaussian_model import GaussianModel, sample_size_curve

        started = time.perf_counter()
        rows = sample_size_curve(GaussianModel(self.d, self.sigma), self.ns, self.eps, self.norm, self.draws,
                                 self.seed)
        payload = {"d": self.d, "sigma": self.sigma, "eps": self.eps, "norm": self.norm, "draws": self.draws,
                   "rows": [asdict(r) for r in rows],
                   "definitions": {"rule": "sign(w_hat . x), w_hat = mean of y x over n samples",
                                   "standard_error": "exact expectation over the sample (2-d quadrature)",
                                   "robust_error_mc": "Monte Carlo over w_hat ~ N(theta*, sigma^2/n I), exact per "
                                                      "draw"}}
        return StudyResult(Kind.THEORY_GAUSSIAN_MODEL, payload, "synthetic gaussian", (self.seed,),
                           time.perf_counter() - started, settings=study_settings(self))
