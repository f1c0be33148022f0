"""The theory studies: each command of ``tradeoff theory`` as a definition (its settings, checked when made) whose
``run()`` computes the payload of one result kind, following the protocol of :mod:`data.study` (definition → run →
result → :func:`data.study.write_study`). :mod:`.definitions` holds the studies, :mod:`.guards` the checks they make
before computing (memory, Theorem 1's conditions)."""

from __future__ import annotations

from .definitions import (
    GAUSSIAN_NS,
    AveragingStudy,
    BoundStudy,
    FiniteSampleStudy,
    FrontierStudy,
    GaussianStudy,
    SvmStudy,
    TransferStudy,
)
from .guards import GENERAL_CHECK_MAX_D, MAX_MC_SAMPLES, MAX_WORK_VALUES, check_mc, check_work, require_theorem1

__all__ = ["GAUSSIAN_NS", "GENERAL_CHECK_MAX_D", "MAX_MC_SAMPLES", "MAX_WORK_VALUES", "AveragingStudy", "BoundStudy",
           "FiniteSampleStudy", "FrontierStudy",
           "GaussianStudy", "SvmStudy", "TransferStudy", "check_mc", "check_work", "require_theorem1"]
