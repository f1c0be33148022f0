import numpy as np
import pytest
import torch

from tradeoff.data.tensors import to_float_tensor, to_uint8_array


def test_to_float_tensor_range_shape_and_roundtrip():
    x = np.arange(256, dtype=np.uint8).reshape(4, 1, 8, 8)
    t = to_float_tensor(x)
    assert t.dtype == torch.float32 and t.shape == (4, 1, 8, 8)
    assert t.min().item() == 0.0 and t.max().item() == 1.0
    assert t[0, 0, 0, 1].item() == pytest.approx(1 / 255)
    np.testing.assert_array_equal(to_uint8_array(t), x)
    assert to_float_tensor(torch.from_numpy(x)).equal(t)


def test_to_float_tensor_rejects_non_uint8():
    with pytest.raises(ValueError, match="uint8"):
        to_float_tensor(np.zeros((2, 2), dtype=np.float32))


def test_as_float_images_scales_uint8_and_keeps_floats():
    import numpy as np
    import torch

    from tradeoff.data.tensors import as_float_images

    u8 = np.array([[0, 51, 255]], dtype=np.uint8)
    assert torch.equal(as_float_images(u8), torch.tensor([[0.0, 0.2, 1.0]]))
    assert torch.equal(as_float_images(torch.from_numpy(u8)), torch.tensor([[0.0, 0.2, 1.0]]))
    f64 = torch.tensor([0.25, 0.5], dtype=torch.float64)  # already in [0, 1]: cast, not divided again
    out = as_float_images(f64)
    assert out.dtype == torch.float32 and torch.equal(out, torch.tensor([0.25, 0.5]))
