"""The statistical test behind every measured verdict of the report (docs/statistics.md).

A claim about trained models is a claim about a difference of accuracies, e.g. "the standard model is more accurate
than the ε = 0.3 model at full data". Each such difference is estimated from runs (seeds) evaluated on a test set,
and is decided by one rule, fixed before the data are looked at:

* the **effect** is oriented so that the paper's claim says ``effect > 0``;
* its two-sided ``1 - ALPHA`` confidence interval ``[low, high]`` is computed as stated in :class:`Difference`;
* **confirmed** when ``low > 0``, **refuted** when ``high < 0``, else **inconclusive**, and an inconclusive result
  states its minimum detectable effect: the true effect that this design would detect with probability ``POWER``.

One ``ALPHA`` holds for every claim. Uncertainty comes from two sources and both are counted: training randomness
(seed to seed) and the finite test set, which every seed shares. Three ways, best first (docs/statistics.md):

* from per-image correctness (seeds × images for each recipe), :func:`difference_from_correctness`: the unbiased
  variance of the crossed seeds × images design (``deep.experiments.crossed``), exact in expectation;
* from accuracies alone with ``shared_test_set=True`` in :func:`difference`: the seed part from the runs and, for the
  test part, ``p̄(1-p̄)/n_test`` per recipe, which bounds the test-set variance of a mean over seeds that share one
  test set (it ignores the positive correlation of two models on the same points, so conservative);
* :func:`difference` by default (the form the claims used first): each run's binomial variance divided by the
  number of runs, as if each seed had its own test set. Seeds that share a test set miss mostly the same images, so
  this is **not** an upper bound (on the quick MNIST models it understated the test-set standard error of the seed
  means by about a fifth); it stays for result files without per-image data until the claims pass
  ``shared_test_set=True``.

With a single run per model only the test part is known, and the label says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from tradeoff.deep.experiments import crossed

ALPHA = 0.05  # one significance level for every claim of the report
POWER = 0.8  # power at which the minimum detectable effect is stated

CONFIRMED = "confirmed"
REFUTED = "refuted"
INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Difference:
    """Estimated effect ``mean(a) - mean(b)`` (oriented so that the paper's claim is ``effect > 0``) with its
    ``1 - alpha`` interval and the minimum detectable effect (MDE) at power ``POWER``.

    ``method`` says how the interval was made, in words a reader can check, e.g. "paired t over 3 seeds (+ test-set
    binomial bound)" or "normal, test-set binomial only (1 run per model: seed variance not measured)"."""

    estimate: float
    low: float
    high: float
    se: float
    df: float
    mde: float
    n_runs: int
    method: str
    alpha: float = ALPHA

    @property
    def verdict(self) -> str:
        """``confirmed`` if the interval lies above 0, ``refuted`` if below, else ``inconclusive``."""
        if self.low > 0:
            return CONFIRMED
        if self.high < 0:
            return REFUTED
        return INCONCLUSIVE

    def text(self, digits: int = 4) -> str:
        """``+0.0123 [0.0051, 0.0195] (95% CI, paired t over 3 seeds …)``, plus the MDE when inconclusive."""
        level = f"{100 * (1 - self.alpha):g}% CI"
        out = (f"{self.estimate:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}] "
               f"({level}, {self.method})")
        if self.verdict == INCONCLUSIVE:
            out += f"; minimum detectable effect {self.mde:.{digits}f} at {POWER:.0%} power"
        return out


def _quantiles(df: float, alpha: float) -> tuple[float, float]:
    """(two-sided critical value at ``alpha``, one-sided quantile at ``POWER``) of Student's t with ``df`` degrees of
    freedom (the normal distribution when ``df`` is infinite)."""
    if math.isinf(df):
        return float(stats.norm.ppf(1 - alpha / 2)), float(stats.norm.ppf(POWER))
    return float(stats.t.ppf(1 - alpha / 2, df)), float(stats.t.ppf(POWER, df))


def _check(values: Sequence[float], name: str) -> list[float]:
    vals = [float(v) for v in values]
    if not vals:
        raise ValueError(f"{name}: no runs to compare")
    if any(not math.isfinite(v) or not 0.0 <= v <= 1.0 for v in vals):
        raise ValueError(f"{name}: accuracies must be finite numbers in [0, 1], got {vals}")
    return vals


def binomial_variance(acc: float, n_test: int | None) -> float:
    """Variance ``acc (1 - acc) / n_test`` of an accuracy measured on ``n_test`` independent test points (0 when
    ``n_test`` is unknown: the caller's method label then says the test-set part is missing)."""
    if not n_test:
        return 0.0
    return acc * (1.0 - acc) / int(n_test)


def difference(a: Sequence[float], b: Sequence[float], n_test_a: Sequence[int | None] | int | None = None,
               n_test_b: Sequence[int | None] | int | None = None, paired: bool = True,
               alpha: float = ALPHA, shared_test_set: bool = False) -> Difference:
    """The effect ``mean(a) - mean(b)`` of two groups of runs, with a ``1 - alpha`` interval.

    * ``paired`` (a[i] and b[i] share seed i, training subset and order; needs equal lengths ≥ 2): the seed part is
      ``s_d² / k`` with ``s_d`` the sample s.d. of the k differences, Student's t with k - 1 degrees of freedom.
    * unpaired with ≥ 2 runs each: Welch's ``s_a²/k_a + s_b²/k_b`` with Welch–Satterthwaite degrees of freedom.
    * a single run on either side: no seed part; the normal distribution on the test-set part alone.

    The test-set part is added in every case. By default it is ``mean_i v_a,i / k_a + mean_i v_b,i / k_b`` (``v`` =
    binomial variance of each run's accuracy), which assumes one test set per run and is not an upper bound when the
    runs share one (module docstring). With ``shared_test_set`` it is ``p̄_a(1 − p̄_a)/n_a + p̄_b(1 − p̄_b)/n_b``
    (p̄ the mean accuracy over runs, n the smallest test-set size of the side): the variance over test sets of a mean
    over seeds of 0/1 correctness on one shared set is at most ``p̄(1 − p̄)/n``, and adding the two sides ignores
    their positive correlation, so this part is an upper bound.
    MDE = (t_{1-α/2} + t_{POWER}) · SE, the usual normal-approximation power formula with t quantiles."""
    a = _check(a, "a")
    b = _check(b, "b")
    na = _as_list(n_test_a, len(a))
    nb = _as_list(n_test_b, len(b))
    test_known = all(n for n in na) and all(n for n in nb)
    if shared_test_set and test_known:
        test_var = (binomial_variance(sum(a) / len(a), min(na)) + binomial_variance(sum(b) / len(b), min(nb)))
        test_label = " + test-set binomial bound (one test set shared by the runs)"
    else:
        test_var = (sum(binomial_variance(x, n) for x, n in zip(a, na)) / len(a) ** 2
                    + sum(binomial_variance(x, n) for x, n in zip(b, nb)) / len(b) ** 2)
        test_label = " + test-set binomial bound" if test_known else " (test-set size unknown: not counted)"
    est = sum(a) / len(a) - sum(b) / len(b)
    if paired and len(a) == len(b) and len(a) >= 2:
        d = [x - y for x, y in zip(a, b)]
        k = len(d)
        seed_var = _sample_var(d) / k
        df = float(k - 1)
        method = f"paired t over {k} seeds{test_label}"
        n_runs = k
    elif len(a) >= 2 and len(b) >= 2:
        va, vb = _sample_var(a) / len(a), _sample_var(b) / len(b)
        seed_var = va + vb
        df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)) if va + vb > 0 else float(
            min(len(a), len(b)) - 1)
        method = f"Welch t, {len(a)} vs {len(b)} runs (unpaired){test_label}"
        n_runs = min(len(a), len(b))
    else:
        seed_var = 0.0
        df = math.inf
        method = (f"normal, test-set binomial only ({len(a)} vs {len(b)} run(s): seed variance not measured)"
                  if test_known else "no uncertainty available (1 run, test-set size unknown): cannot decide")
        n_runs = min(len(a), len(b))
        if not test_known:  # nothing measures the uncertainty: an infinite interval, never a verdict
            seed_var = math.inf
    se = math.sqrt(seed_var + test_var)
    crit, zpow = _quantiles(df, alpha)
    return Difference(est, est - crit * se, est + crit * se, se, df, (crit + zpow) * se, n_runs, method, alpha)


def _as_list(n: Sequence[int | None] | int | None, k: int) -> list[int | None]:
    if n is None or isinstance(n, int):
        return [n] * k
    n = list(n)
    if len(n) != k:
        raise ValueError(f"n_test has {len(n)} entries for {k} runs")
    return n


def _sample_var(x: Sequence[float]) -> float:
    m = sum(x) / len(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)


def combine(verdicts: Sequence[str]) -> str:
    """The verdict of a claim that needs every one of its parts (e.g. every (dataset, norm) configuration, or every
    step of a monotone fall): refuted if any part is refuted, confirmed if all are confirmed, else inconclusive."""
    verdicts = list(verdicts)
    if not verdicts:
        raise ValueError("no parts to combine")
    if REFUTED in verdicts:
        return REFUTED
    if all(v == CONFIRMED for v in verdicts):
        return CONFIRMED
    return INCONCLUSIVE


def combine_any(verdicts: Sequence[str]) -> str:
    """The verdict of a claim that needs only one of its parts (claim 5: *some* ε_train raises standard accuracy):
    confirmed if any part is confirmed, refuted if every part is refuted, else inconclusive. Its parts must be
    tested at ``alpha / m`` (Bonferroni over the m parts) so that choosing the best part does not inflate α."""
    verdicts = list(verdicts)
    if not verdicts:
        raise ValueError("no parts to combine")
    if CONFIRMED in verdicts:
        return CONFIRMED
    if all(v == REFUTED for v in verdicts):
        return REFUTED
    return INCONCLUSIVE


def se_of_interval(low: float, high: float, level: float = 1 - ALPHA) -> float:
    """Standard error behind a two-sided normal interval ``[low, high]`` at ``level``: (high − low) / (2 z)."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    return (float(high) - float(low)) / (2.0 * z)


def from_estimate(estimate: float, se: float, method: str, n_runs: int = 1, alpha: float = ALPHA) -> Difference:
    """A :class:`Difference` from an estimate and its standard error, normal distribution (for effects whose
    producer already gives an interval, e.g. a mean over test images)."""
    if not math.isfinite(estimate) or not math.isfinite(se) or se < 0:
        raise ValueError(f"estimate and standard error must be finite (se ≥ 0), got {estimate}, {se}")
    crit, zpow = _quantiles(math.inf, alpha)
    return Difference(float(estimate), estimate - crit * se, estimate + crit * se, float(se), math.inf,
                      (crit + zpow) * se, n_runs, method, alpha)


def from_crossed(c: crossed.CrossedMean, alpha: float = ALPHA) -> Difference:
    """A :class:`Difference` from a seeds × images estimate (:mod:`deep.experiments.crossed`): its estimate, standard
    error and degrees of freedom (Student's t; normal when ``df`` is infinite, e.g. a bootstrap), interval and MDE
    at ``alpha``, ``n_runs`` its number of seeds."""
    if not math.isfinite(c.estimate) or not math.isfinite(c.se):
        raise ValueError(f"the estimate and its standard error must be finite, got {c.estimate}, {c.se}")
    crit, zpow = _quantiles(c.df, alpha)
    return Difference(c.estimate, c.estimate - crit * c.se, c.estimate + crit * c.se, c.se, c.df,
                      (crit + zpow) * c.se, c.n_seeds, c.method, alpha)


def from_crossed_record(rec: dict, alpha: float = ALPHA) -> Difference:
    """A :class:`Difference` from the result-file form of a seeds × images estimate
    (:meth:`deep.experiments.crossed.CrossedMean.interval`: ``estimate``, ``se``, ``df``, ``n_seeds``, ``method``);
    a ValueError naming the key when one is missing."""
    for key in ("estimate", "se", "df"):
        if key not in rec:
            raise ValueError(f"a crossed interval needs {key!r} (written by deep.experiments.crossed)")
    c = crossed.CrossedMean(float(rec["estimate"]), float(rec["se"]), float(rec["df"]), float(rec.get("low", 0)),
                            float(rec.get("high", 0)), float(rec.get("level", 1 - alpha)), int(rec.get("n_seeds", 1)),
                            int(rec.get("n_images", rec.get("n", 0))), str(rec.get("method", "seeds x images")))
    return from_crossed(c, alpha)


def difference_from_correctness(correct_a, correct_b, paired: bool = True, alpha: float = ALPHA) -> Difference:
    """``mean accuracy(a) − mean accuracy(b)`` from per-image correctness, ``correct_a`` (S_a, N) and ``correct_b``
    (S_b, N) of 0/1 (row = seed, column = test image, the same images in the same order for both): paired by seed
    (row s of both from seed s; needs S_a = S_b) with :func:`deep.experiments.crossed.paired_difference`, else
    :func:`deep.experiments.crossed.unpaired_difference`. Both count the seed-to-seed and the test-set variation
    of a design whose seeds share one test set, without a bound."""
    if paired:
        c = crossed.paired_difference(correct_a, correct_b, level=1 - alpha)
    else:
        c = crossed.unpaired_difference(correct_a, correct_b, level=1 - alpha)
    return from_crossed(c, alpha)
