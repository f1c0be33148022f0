"""The checks a theory study makes before it computes: that its arrays fit in memory and that Theorem 1 applies.

Each raises a one-line ValueError that names the command's option to change (``--mc-samples 0``, ``--n-max``,
``--eps``, ``--p``, ``--no-general-check``), so that ``tradeoff theory ...`` prints it with exit status 2 instead of
running out of memory or computing a bound outside its hypotheses (docs/paper.md §3, Theorem 1's conditions).
"""

from __future__ import annotations

from tradeoff.data import checks
from tradeoff.theory.distribution import FeatureDistribution

MAX_MC_ROW_BYTES = 64 * 2**20  # largest Monte Carlo row (d + 1 float64 values); beyond it, ask for --mc-samples 0
MAX_SAMPLE_BYTES = 2 * 2**30  # one float64 sample matrix (n, d + 1) of finite/transfer must fit in this
GENERAL_CHECK_MAX_D = 10**6  # Lemma D.1's general-w minimisation has 2 (d + 1) variables
#: The time guard of every size option: at most this many float64 values drawn or touched by one study (about
#: ten CPU minutes at the rates measured on the 2-core machine; the defaults need 10**8).
MAX_WORK_VALUES = 10**11
#: the largest --mc-samples the option accepts (the time guard above usually refuses less)
MAX_MC_SAMPLES = 10**10


def check_mc(dist: FeatureDistribution, mc_samples: int) -> None:
    """ValueError when one Monte Carlo sample of D (d + 1 float64 values) exceeds ``MAX_MC_ROW_BYTES``, or when the
    samples together exceed the time guard ``MAX_WORK_VALUES``."""
    if mc_samples and 8 * dist.dim > MAX_MC_ROW_BYTES:
        raise ValueError(f"--d {dist.d} is too large for Monte Carlo (one sample > 64 MiB); use --mc-samples 0")
    check_work("--mc-samples", mc_samples, mc_samples * dist.dim, f"lower --mc-samples or --d (d = {dist.d})")


def check_work(option: str, value, values: float, fix: str) -> None:
    """The time guard: ValueError naming ``option`` when a study would touch more than ``MAX_WORK_VALUES``
    float64 values (data.checks.work)."""
    checks.work(option, value, float(values), MAX_WORK_VALUES, "float64 values", fix)


def check_sample_bytes(n: int, d: int, option: str) -> None:
    """ValueError when ``n`` samples of D (float64, d + 1 columns) would not fit in ``MAX_SAMPLE_BYTES``."""
    need = 8 * n * (d + 1)
    if need > MAX_SAMPLE_BYTES:
        raise ValueError(f"{option} {n} samples at --d {d} need {need / 2**30:.3g} GiB in memory (limit "
                         f"{MAX_SAMPLE_BYTES / 2**30:g} GiB); lower {option} or --d")


def check_general_d(dist: FeatureDistribution, check_general: bool) -> None:
    """ValueError when Lemma D.1's general-w check is asked for at a d whose 2 (d + 1) variables are too many."""
    if dist.d > GENERAL_CHECK_MAX_D and check_general:
        raise ValueError(f"--d {dist.d} is too large for Lemma D.1's general-w check ({2 * (dist.d + 1)} variables, "
                         f"limit d <= {GENERAL_CHECK_MAX_D}); add --no-general-check")


def require_theorem1(dist: FeatureDistribution, eps: float, norm: str) -> None:
    """ValueError unless Theorem 1 applies: p < 1 and the shift 2 eta y fits in the eps ball of ``norm``."""
    from tradeoff.theory.theorem1 import theorem1_applies

    if not theorem1_applies(dist, eps, norm):
        need = "2*eta" if norm == "inf" else "2*eta*sqrt(d)"
        raise ValueError(f"Theorem 1 needs --eps >= {need} (got {eps:.6g}); omit --eps for {need}")
    if dist.p >= 1.0:
        raise ValueError("Theorem 1 needs --p < 1 (at p = 1 the robust feature alone is perfect)")
