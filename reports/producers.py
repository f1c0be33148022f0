"""The one table of the commands that write each kind of result file (reports/RESULTS.md): the report names them
where a result is missing (reports.claims) and beside every result it shows (reports.scale_info)."""

from __future__ import annotations

#: The command that writes each kind at the CPU scales, ``{scale}`` and ``{dataset}`` filled in.
PRODUCER = {
    "theory.averaging": "tradeoff theory averaging",
    "theory.bound": "tradeoff theory bound",
    "theory.frontier": "tradeoff theory frontier",
    "theory.svm": "tradeoff theory svm",
    "theory.transfer": "tradeoff theory transfer",
    "theory.finite_sample": "tradeoff theory finite",
    "theory.gaussian_model": "tradeoff theory gaussian",
    "linear.fig5": "tradeoff linear fig5",
    "linear.frontier": "tradeoff linear frontier",
    "data.limit": "tradeoff data limit --eps 0.1 0.2 0.3 0.4 0.45 0.48 0.49 0.495",
    "deep.frontier": "tradeoff deep frontier --scale {scale}",
    "deep.sweep": "tradeoff deep reproduce --scale {scale} --datasets {dataset}",
    "deep.gradients": "tradeoff deep reproduce --scale {scale} --datasets {dataset}",
    "deep.large_eps": "tradeoff deep reproduce --scale {scale} --datasets {dataset}",
    "deep.sanity": "tradeoff deep reproduce --scale {scale} --datasets {dataset}",
    "deep.reproduce": "tradeoff deep reproduce --scale {scale} --datasets {dataset}",
    "deep.benchmark": "python -m bench",
}


def producer(kind: str, scale: str = "quick", dataset: str = "mnist") -> str | None:
    """The command that writes result files of ``kind`` at ``scale`` for ``dataset`` (None for an unknown kind)."""
    template = PRODUCER.get(kind)
    return None if template is None else template.format(scale=scale, dataset=dataset)
