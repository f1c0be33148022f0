"""What claim 11 judges, saved (deep.experiments.judged_examples): the file round-trips, is written atomically, and
scikit-learn's KNeighborsClassifier recomputes J1's other-class rates from it exactly."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from tradeoff.deep.experiments.claim11 import JudgedAttack, claim11_row
from tradeoff.deep.experiments.judged_examples import JudgedExamples, load_judged, save_judged
from tradeoff.deep.experiments.judges import Gate, JudgeValidity
from tradeoff.deep.experiments.knn import KNNJudge


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(0)
    centres = 0.5 + 0.15 * rng.standard_normal((4, 1, 5, 5))
    ytr = rng.integers(0, 4, 600)
    xtr = np.clip(centres[ytr] + 0.2 * rng.standard_normal((600, 1, 5, 5)), 0, 1).astype(np.float32)
    y = rng.integers(0, 4, 80)
    x = np.clip(centres[y] + 0.2 * rng.standard_normal((80, 1, 5, 5)), 0, 1).astype(np.float32)
    recs = []
    for seed in (0, 1):
        for model, norm, towards in (("standard", "2", 0.2), ("l2", "2", 0.8), ("standard", "inf", 0.1)):
            target = centres[(y + 1) % 4]
            adv = np.clip((1 - towards) * x + towards * target + 0.1 * rng.standard_normal(x.shape), 0, 1)
            recs.append((model, seed, norm, adv.astype(np.float32)))
    ex = JudgedExamples(
        dataset="toy", images=x, labels=y, image_index=np.arange(80) * 3,
        model=[r[0] for r in recs], seed=[r[1] for r in recs], norm=[r[2] for r in recs],
        eps=[4.0 if r[2] == "2" else 0.3 for r in recs], adv=np.stack([r[3] for r in recs]),
        pred_clean=np.tile(y, (len(recs), 1)), pred_adv=np.tile((y + 1) % 4, (len(recs), 1)))
    return xtr, ytr, ex


def _j1_rates(judge, ex):
    return [float((judge.predict(ex.adv[m]) != ex.labels).mean()) for m in range(len(ex.model))]


def test_scikit_learn_recomputes_j1_rates_from_the_file(world, tmp_path):
    xtr, ytr, ex = world
    judge = KNNJudge(xtr, ytr, k=10)
    ours = _j1_rates(judge, ex)
    path = save_judged(tmp_path / "large_eps_toy.npz", ex)
    back = load_judged(path)
    sk = KNeighborsClassifier(n_neighbors=10, algorithm="brute").fit(xtr.reshape(len(xtr), -1), ytr)
    theirs = [float((sk.predict(back.adv[m].reshape(len(back.labels), -1)) != back.labels).mean())
              for m in range(len(back.model))]
    assert ours == theirs
    assert len(set(ours)) > 1  # the records differ: the comparison is not trivially equal
    # and the claim-11 effect computed from the file is the one computed before saving
    valid = JudgeValidity("J1", False, Gate("clean", 0, 0.05, True, "", 1),
                          {"2": Gate("noise_2", 0, 0.05, True, "", 1)})

    def effect(e):
        rows = {m: [JudgedAttack(m, int(e.seed[i]), "2", float(e.eps[i]), e.labels, e.pred_clean[i], e.pred_adv[i],
                                 judge(e.adv[i])) for i in range(len(e.model)) if e.model[i] == m and e.norm[i] == "2"]
                for m in ("l2", "standard")}
        return claim11_row(rows["l2"], rows["standard"], valid).effect.interval()

    assert effect(back) == effect(ex)


def test_round_trip_keeps_every_array_and_leaves_no_temporary_file(world, tmp_path):
    _, _, ex = world
    path = save_judged(tmp_path / "sub" / "x.npz", ex)
    back = load_judged(path)
    for name in ("images", "labels", "image_index", "model", "seed", "norm", "eps", "adv", "pred_clean", "pred_adv"):
        np.testing.assert_array_equal(getattr(back, name), getattr(ex, name))
    assert back.dataset == "toy" and back.adv.dtype == np.float32
    assert back.record("l2", 1, "2") == 4
    assert [p.name for p in path.parent.iterdir()] == ["x.npz"]
    with np.load(path, allow_pickle=False) as z:  # readable without this package or pickle
        assert z["adv"].shape == (6, 80, 1, 5, 5)


def test_bad_inputs_are_refused(world, tmp_path):
    _, _, ex = world
    with pytest.raises(ValueError, match="adv"):
        JudgedExamples("toy", ex.images, ex.labels, ex.image_index, ex.model, ex.seed, ex.norm, ex.eps,
                       ex.adv[:, :10], ex.pred_clean, ex.pred_adv)
    with pytest.raises(ValueError, match="share"):
        JudgedExamples("toy", ex.images, ex.labels, ex.image_index, ["l2"] * 6, [0] * 6, ["2"] * 6, ex.eps,
                       ex.adv, ex.pred_clean, ex.pred_adv)
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a judged-examples file"):
        load_judged(tmp_path / "other.npz")
    with pytest.raises(KeyError):
        ex.record("linf", 0, "inf")
