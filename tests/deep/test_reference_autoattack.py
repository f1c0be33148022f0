"""The project's default evaluation (deep.evaluate.evaluate) against the reference AutoAttack on small
trained models: never above it by more than 1 point (a weaker default would show as a higher robust accuracy).
Both numbers are upper bounds of the true robust accuracy, so being below the reference is allowed."""

import pytest
import torch

from bench._digits import digits, trained_digits_cnn
from tradeoff.deep.evaluate import evaluate
from tradeoff.deep.reference import autoattack_attacks, autoattack_correct, reference_available

torch.set_num_threads(1)

pytestmark = pytest.mark.skipif(not reference_available(),
                                reason="pyautoattack not installed (pip install -e '.[autoattack]')")


@pytest.mark.parametrize("classes,adv_eps,eps,norm", [
    (None, 0.1, 0.1, "inf"),      # 10 classes, adversarially trained
    ((5, 7), 0.1, 0.15, "inf"),   # the 5-vs-7 binary problem: APGD-CE, FAB, Square in the reference
    ((3, 5, 8), 0.0, 0.5, "2"),   # 3 classes, standard training, ℓ2
])
def test_default_evaluation_is_within_one_point_of_autoattack(classes, adv_eps, eps, norm):
    model = trained_digits_cnn(classes, adv_eps)
    _, _, x, y = digits(classes)
    x, y = x[:100], y[:100]
    ours = evaluate(model, x, y, [eps], norm).accuracy[eps]
    ref_correct, info = autoattack_correct(model, x, y, eps, norm, square_queries=300, batch_size=100)
    ref = float(ref_correct.float().mean())
    assert info["attacks"] == autoattack_attacks(int(y.max()) + 1)
    assert ref < float((model(x).argmax(1) == y).float().mean())  # the reference does break points
    assert ours <= ref + 0.01, (ours, ref)


def test_attack_lists_respect_the_class_count():
    assert autoattack_attacks(10) == ["apgd-ce", "apgd-t", "fab-t", "square"]
    assert "apgd-dlr" not in autoattack_attacks(2) and "apgd-t" not in autoattack_attacks(3)
