"""Published accuracies of well-known robust models, quoted (never computed here): the one table that the report's
"Our models beside published numbers" (reports/published.py) and a trade-off card's accuracy plane
(deep/card_plane.py) both read.

Each row is a threat model (data set, norm, ε in [0, 1] pixel units), a model, its clean and robust test accuracy (as
fractions) under the attack that gave it, and the source the numbers are quoted from. MNIST ℓ∞ ε = 0.3 and CIFAR-10
ℓ∞ ε = 8/255 under AutoAttack (standard version), as Croce & Hein (2020, "Reliable evaluation of adversarial
robustness with an ensemble of diverse parameter-free attacks", ICML) list them and the RobustBench leaderboards
(Croce et al. 2021) show them. docs/peers.md, "Published numbers", holds the same rows (a test keeps the two equal).
"""

from __future__ import annotations

from dataclasses import dataclass

_CH = ("Croce & Hein 2020, 'Reliable evaluation of adversarial robustness with an ensemble of diverse parameter-free "
       "attacks' (ICML), table of MNIST l_inf models")
_RB = "RobustBench (Croce et al. 2021), model zoo entry "


@dataclass(frozen=True)
class PublishedPoint:
    """One quoted model: threat model (``dataset``, ``norm``, ``eps`` and ``eps_text`` as the source writes it), the
    model's name and architecture, clean and robust accuracy (fractions), the attack behind the robust one, and the
    source."""

    dataset: str
    norm: str
    eps: float
    eps_text: str
    name: str
    architecture: str
    clean: float
    robust: float
    attack: str
    source: str

    def as_dict(self) -> dict:
        """The JSON form (a card's ``plane.published``; the report's ``verdicts.json``)."""
        return {"dataset": self.dataset, "norm": self.norm, "eps": self.eps, "name": self.name,
                "architecture": self.architecture, "standard": self.clean, "robust": self.robust,
                "attack": self.attack, "source": self.source, "quoted": True}


#: Every quoted model (module docstring), in the order the report lists them.
PUBLISHED: tuple[PublishedPoint, ...] = (
    PublishedPoint("mnist", "inf", 0.3, "0.3", "Madry et al. 2018, PGD adversarial training", "CNN (Madry et al.)",
                   0.9853, 0.8850, "AutoAttack", _CH),
    PublishedPoint("mnist", "inf", 0.3, "0.3", "Zhang et al. 2019, TRADES", "CNN (Zhang et al.)", 0.9948, 0.9281,
                   "AutoAttack", _CH),
    PublishedPoint("mnist", "inf", 0.3, "0.3", "Wong et al. 2020, fast FGSM-RS training", "CNN (Wong et al.)",
                   0.9850, 0.8293, "AutoAttack", _CH),
    PublishedPoint("mnist", "inf", 0.3, "0.3", "Gowal et al. 2020, Uncovering the limits of adversarial training",
                   "not stated here (see the source)", 0.9926, 0.9634, "AutoAttack",
                   "RobustBench MNIST l_inf leaderboard (AutoAttack)"),
    PublishedPoint("cifar10", "inf", 8 / 255, "8/255", "Wong et al. 2020, fast FGSM-RS, PreAct ResNet-18",
                   "PreAct ResNet-18", 0.8334, 0.4321, "AutoAttack", _RB + "cifar10/Linf/Wong2020Fast"),
    PublishedPoint("cifar10", "inf", 8 / 255, "8/255", "Madry et al. 2018, WRN-34-10", "WideResNet-34-10", 0.8714,
                   0.4404, "AutoAttack", _RB + "cifar10/Linf/Madry2018Towards"),
)
