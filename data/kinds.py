"""The one table of result kinds: what each kind of result file holds, which command writes it, which claims read it.

A result file's ``kind`` (data.io.write_result) is a :class:`Kind`. For every kind, :data:`KINDS` states the file it
is written to under ``<build>/results``, the claims of the paper that read it (docs/paper.md §7), the payload keys
that must be present (the report names a missing one instead of deciding on a partial file), the command that
writes it (``{scale}`` and ``{dataset}`` filled in by :func:`producer`) and a caption. Adding a kind means one
entry here plus its producer; reports/RESULTS.md describes the payloads in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """The kind of a result file (the values are what result files hold)."""

    THEORY_AVERAGING = "theory.averaging"
    THEORY_BOUND = "theory.bound"
    THEORY_FRONTIER = "theory.frontier"
    THEORY_SVM = "theory.svm"
    THEORY_TRANSFER = "theory.transfer"
    THEORY_FINITE_SAMPLE = "theory.finite_sample"
    THEORY_GAUSSIAN_MODEL = "theory.gaussian_model"
    LINEAR_FIG5 = "linear.fig5"
    LINEAR_FRONTIER = "linear.frontier"
    DATA_LIMIT = "data.limit"
    DEEP_SWEEP = "deep.sweep"
    DEEP_FRONTIER = "deep.frontier"
    DEEP_GRADIENTS = "deep.gradients"
    DEEP_LARGE_EPS = "deep.large_eps"
    DEEP_SANITY = "deep.sanity"
    DEEP_PICTURES = "deep.pictures"
    DEEP_REPRODUCE = "deep.reproduce"
    DEEP_RUN = "deep.run"
    DEEP_BENCHMARK = "deep.benchmark"
    DEEP_CAMPAIGN = "deep.campaign"
    DEEP_CAMPAIGN_RUNS = "deep.campaign_runs"
    DEEP_CARD = "deep.card"
    DEEP_EVAL = "deep.eval"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class KindInfo:
    """One row of :data:`KINDS`."""

    file: str
    claims: tuple[int, ...]
    keys: tuple[str, ...]
    producer: str
    caption: str


_DEEP = "tradeoff deep reproduce --scale {scale} --datasets {dataset}"

#: Every kind: its file, the claims that read it, its required payload keys, its producer and a caption.
KINDS: dict[Kind, KindInfo] = {
    Kind.THEORY_AVERAGING: KindInfo("theory/averaging.json", (1,),
                                    ("d", "eta", "eps", "standard_closed", "robust_closed"),
                                    "tradeoff theory averaging",
                                    "the averaging classifier's closed-form and Monte Carlo accuracies"),
    Kind.THEORY_BOUND: KindInfo("theory/bound.json", (2,), ("classifiers",), "tradeoff theory bound",
                                "Theorem 1's bound checked on several classifiers"),
    Kind.THEORY_FRONTIER: KindInfo("theory/frontier.json", (2,), ("delta", "theorem1", "exact", "linear"),
                                   "tradeoff theory frontier", "the exact trade-off frontier of D"),
    Kind.THEORY_SVM: KindInfo("theory/svm.json", (3,), ("standard", "adversarial", "lemmas"),
                              "tradeoff theory svm", "Theorem 2's population SVM minimisers and Lemmas D.1-D.5"),
    Kind.THEORY_TRANSFER: KindInfo("theory/transfer.json", (4,), ("fooled_fraction",), "tradeoff theory transfer",
                                   "the -2ηy shift against independently trained standard models"),
    Kind.THEORY_FINITE_SAMPLE: KindInfo("theory/finite_sample.json", (5, 6), ("rows",), "tradeoff theory finite",
                                        "learned rules on D: accuracy against n (a theory analogue)"),
    Kind.THEORY_GAUSSIAN_MODEL: KindInfo("theory/gaussian_model.json", (), ("rows",), "tradeoff theory gaussian",
                                         "Schmidt et al.'s Gaussian model: error against n"),
    Kind.LINEAR_FIG5: KindInfo("linear/fig5.json", (9,), ("summary", "topk"), "tradeoff linear fig5",
                               "Figure 5: standard vs robust linear classifiers on MNIST 5 vs 7"),
    Kind.LINEAR_FRONTIER: KindInfo("linear/frontier.json", (), ("models",), "tradeoff linear frontier",
                                   "the exact frontier of linear models on MNIST 5 vs 7"),
    Kind.DATA_LIMIT: KindInfo("data/limit_<dataset>_<a>v<b>_<norm>.json", (), ("splits",),
                              "tradeoff data limit --eps 0.1 0.2 0.3 0.4 0.45 0.48 0.49 0.495",
                              "the best robust accuracy any classifier reaches on the data"),
    Kind.DEEP_SWEEP: KindInfo("deep/<experiment>_<dataset>.json", (5, 6, 7, 8), ("experiment", "rows"), _DEEP,
                              "standard and robust accuracy of every model of a sweep"),
    Kind.DEEP_FRONTIER: KindInfo("deep/frontier_<dataset>.json", (), ("rows",),
                                 "tradeoff deep frontier --scale {scale}",
                                 "TRADES and PGD models on the (standard, robust) plane"),
    Kind.DEEP_GRADIENTS: KindInfo("deep/gradients_<dataset>.json", (10,), ("models",), _DEEP,
                                  "input gradients and their alignment with the image's edges"),
    Kind.DEEP_LARGE_EPS: KindInfo("deep/large_eps_<dataset>.json", (11,), ("dataset",), _DEEP,
                                  "large-ε adversarial examples and how a judge sees them"),
    Kind.DEEP_SANITY: KindInfo("deep/sanity_<run>.json", (12,), ("checks",), _DEEP,
                               "gradient-masking sanity checks of one model"),
    Kind.DEEP_PICTURES: KindInfo("deep/pictures_<dataset>.json", (), ("arrays",), _DEEP,
                                 "the images, input gradients and large-ε examples the picture figures show "
                                 "(arrays in the .npz it names)"),
    Kind.DEEP_REPRODUCE: KindInfo("deep/reproduce_<dataset>.json", (), (), _DEEP,
                                  "what one reproduction ran and how long it took"),
    Kind.DEEP_RUN: KindInfo("runs/<name>/summary.json", (), ("standard_acc",), "tradeoff deep train CONFIG",
                            "one trained model's summary"),
    Kind.DEEP_BENCHMARK: KindInfo("deep/benchmark.json", (), (), "python -m bench", "speed and cost measurements"),
    Kind.DEEP_CAMPAIGN: KindInfo("campaign/campaign.json", (), (), "tradeoff deep campaign --budget SECONDS",
                                 "a GPU campaign's progress"),
    Kind.DEEP_CAMPAIGN_RUNS: KindInfo("campaign/campaign_runs.json", (), (), "tradeoff deep campaign --budget SECONDS",
                                      "the runs a GPU campaign finished"),
    Kind.DEEP_EVAL: KindInfo("deep/eval_<run>.json", (), ("run", "accuracy"), "tradeoff deep eval RUN --eps E",
                             "one model's clean and robust accuracy as tradeoff deep eval measured it (ad hoc)"),
    Kind.DEEP_CARD: KindInfo("cards/<model_hash>-<data_hash>-<settings_hash>.json", (), ("key", "fields", "settings"),
                             "tradeoff card MODEL --data DATA --norm NORM --eps E",
                             "a trade-off card: one model on one data set beside the paper's measurements"),
}


def as_kind(value: Kind | str) -> Kind:
    """``value`` as a :class:`Kind`; a ValueError naming the choices for anything else."""
    if isinstance(value, Kind):
        return value
    try:
        return Kind(str(value))
    except ValueError:
        names = ", ".join(k.value for k in Kind)
        raise ValueError(f"result kind {value!r} is unknown: choose one of {names}") from None


def producer(kind: Kind | str, scale: str = "quick", dataset: str = "mnist") -> str | None:
    """The command that writes result files of ``kind`` at ``scale`` for ``dataset`` (None for an unknown kind)."""
    try:
        info = KINDS[as_kind(kind)]
    except ValueError:
        return None
    return info.producer.format(scale=scale, dataset=dataset)


def missing_keys(kind: Kind | str, payload: object) -> list[str]:
    """The required payload keys of ``kind`` that ``payload`` lacks (all of them when it is not a dict)."""
    keys = KINDS[as_kind(kind)].keys
    if not isinstance(payload, dict):
        return list(keys)
    return [k for k in keys if k not in payload]
