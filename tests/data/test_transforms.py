import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tradeoff.data.transforms as T

torch.set_num_threads(1)


def _img(h, w, seed=0):
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("h,w", [(300, 500), (256, 256), (500, 260), (224, 224), (100, 80)])
def test_test_transform_shape_and_range(h, w):
    out = T.TestTransform()(_img(h, w))
    assert out.shape == (3, 224, 224) and out.dtype == torch.float32
    assert 0 <= out.min() and out.max() <= 1


def test_resize_shorter_keeps_aspect_and_constants():
    r = T.resize_shorter(_img(300, 500), 256)
    assert r.shape == (3, 256, 426)
    r = T.resize_shorter(_img(500, 300), 256)
    assert r.shape == (3, 426, 256)
    const = torch.full((3, 37, 53), 0.3)
    assert torch.allclose(T.resize(const, (224, 300)), torch.tensor(0.3), atol=1e-6)
    assert torch.allclose(T.resize(const, (10, 12)), torch.tensor(0.3), atol=1e-6)


def test_center_crop_takes_the_middle():
    img = torch.arange(10 * 12, dtype=torch.float32).reshape(1, 10, 12).expand(3, 10, 12)
    c = T.center_crop(img, 4)
    assert c[0, 0, 0].item() == 3 * 12 + 4 and c.shape == (3, 4, 4)
    with pytest.raises(ValueError, match="cannot centre-crop"):
        T.center_crop(img, 11)


@settings(max_examples=80, deadline=None)
@given(h=st.integers(8, 600), w=st.integers(8, 600), seed=st.integers(0, 10**6))
def test_random_resized_crop_box_in_bounds(h, w, seed):
    gen = torch.Generator().manual_seed(seed)
    top, left, ch, cw = T.random_resized_crop_box(h, w, (0.08, 1.0), (3 / 4, 4 / 3), gen)
    assert 0 <= top and top + ch <= h and 0 <= left and left + cw <= w and ch > 0 and cw > 0


def test_random_resized_crop_statistics():
    gen = torch.Generator().manual_seed(0)
    fracs, ratios = [], []
    for _ in range(400):
        _, _, ch, cw = T.random_resized_crop_box(400, 400, (0.08, 1.0), (3 / 4, 4 / 3), gen)
        fracs.append(ch * cw / 160000)
        ratios.append(cw / ch)
    assert min(fracs) >= 0.07 and max(fracs) <= 1.0
    assert 0.7 < min(ratios) and max(ratios) < 1.4
    # log-ratio is uniform on [log 3/4, log 4/3]: mean near 0
    assert abs(sum(math.log(r) for r in ratios) / len(ratios)) < 0.03


def test_flip_and_jitter_properties():
    img = _img(20, 30)
    assert torch.equal(T.random_hflip(img, p=1.0), img.flip(-1))
    assert torch.equal(T.random_hflip(img, p=0.0), img)
    assert torch.equal(T.color_jitter(img, 0, 0, 0, torch.Generator()), img)
    assert torch.allclose(T.adjust_brightness(img * 0.5, 1.5), img * 0.75)
    grey = T.adjust_saturation(img, 0.0)
    assert torch.allclose(grey[0], grey[1]) and torch.allclose(grey[1], grey[2])
    flat = T.adjust_contrast(img, 0.0)
    assert torch.allclose(flat, flat.flatten()[0].expand_as(flat))


def test_lighting_is_a_constant_colour_shift_in_pca_span():
    img = torch.full((3, 16, 16), 0.5)
    gen = torch.Generator().manual_seed(3)
    out = T.lighting(img, 0.05, gen)
    shift = out - img
    assert torch.allclose(shift, shift[:, :1, :1].expand_as(shift))
    assert shift.abs().max() > 0
    assert torch.equal(T.lighting(img, 0.0, gen), img)
    # average shift over many draws is ~0 (zero-mean noise)
    mean = sum((T.lighting(img, 0.05, gen) - img)[:, 0, 0] for _ in range(2000)) / 2000
    assert mean.abs().max() < 2e-3


def test_train_transform_seeded_and_in_range():
    img = _img(300, 400)
    t = T.TrainTransform()
    a = t(img, torch.Generator().manual_seed(1))
    b = t(img, torch.Generator().manual_seed(1))
    c = t(img, torch.Generator().manual_seed(2))
    assert a.shape == (3, 224, 224) and torch.equal(a, b) and not torch.equal(a, c)
    assert 0 <= a.min() and a.max() <= 1


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="float image tensor"):
        T.TestTransform()(torch.zeros(300, 300, 3, dtype=torch.uint8))
