"""The picture figures' arrays written as a result file and read back: the same arrays the experiment computed,
the interpolation frames included (recomputed from the stored images and large-ε examples, not stored)."""

from __future__ import annotations

import numpy as np
import pytest

from tradeoff.data.io import read_result


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory):
    from tests.deep._fake_engine import FakeEngine
    from tests.deep.test_experiments_pipeline import micro
    from tradeoff.deep.experiments.reproduce import reproduce_dataset

    root = tmp_path_factory.mktemp("pictures")
    out = reproduce_dataset("mnist", "quick", FakeEngine(), root / "runs", root / "results", overrides=micro,
                            sanity=False, groups=("pictures",))
    return root, out


def test_written_arrays_read_back_equal(reproduced):
    from tradeoff.deep.experiments.picture_file import read_pictures, write_pictures

    root, out = reproduced
    p = out.pictures
    path = write_pictures(p, root / "results", out.scale)
    env = read_result(path)
    assert env["kind"] == "deep.pictures" and env["scale"] == out.scale
    assert (path.parent / env["payload"]["arrays"]).is_file()
    payload, q = read_pictures(path)
    assert q.dataset == p.dataset == "mnist" and q.trained == p.trained
    np.testing.assert_array_equal(q.gradients.images, p.gradients.images)
    np.testing.assert_array_equal(q.gradients.labels, p.gradients.labels)
    assert list(q.gradients.grads) == list(p.gradients.grads)
    for m, g in p.gradients.grads.items():
        np.testing.assert_array_equal(q.gradients.grads[m], g)
    for field in ("own_norm", "own_pred", "own_probs"):
        got, want = getattr(q, field), getattr(p, field)
        assert list(got) == list(want)
        for m in want:
            np.testing.assert_array_equal(got[m], want[m])
    assert set(q.large_eps) == set(p.large_eps)
    for norm, s in p.large_eps.items():
        r = q.large_eps[norm]
        assert r.eps == s.eps
        for field in ("adv", "model_pred", "model_probs"):
            assert list(getattr(r, field)) == list(getattr(s, field))
            for m, v in getattr(s, field).items():
                np.testing.assert_array_equal(getattr(r, field)[m], v)
    n = len(p.gradients.images)
    assert q.interpolation.frames == p.interpolation.frames
    for m, strip in p.interpolation.strips.items():
        np.testing.assert_array_equal(q.interpolation.strips[m], strip)  # recomputed, bit for bit
        np.testing.assert_array_equal(q.interpolation.probs[m], p.interpolation.probs[m][:n])


def test_missing_arrays_name_the_file(reproduced, tmp_path):
    from tradeoff.deep.experiments.picture_file import read_pictures, write_pictures

    _, out = reproduced
    path = write_pictures(out.pictures, tmp_path, out.scale)
    (path.parent / read_result(path)["payload"]["arrays"]).unlink()
    with pytest.raises(ValueError, match="arrays pictures_mnist.npz are missing"):
        read_pictures(path)
