import pytest
import torch

from tradeoff.deep.models import MODEL_REGISTRY, MnistCNN, Normalize, build_model, count_parameters

torch.set_num_threads(1)


def test_normalize_is_per_channel_affine_and_saved():
    norm = Normalize((0.5, 0.25), (0.5, 2.0))
    x = torch.rand(3, 2, 4, 4)
    out = norm(x)
    assert torch.allclose(out[:, 0], (x[:, 0] - 0.5) / 0.5)
    assert torch.allclose(out[:, 1], (x[:, 1] - 0.25) / 2.0)
    assert set(norm.state_dict()) == {"mean", "std"}


@pytest.mark.parametrize("std", [(0.0,), (-1.0,)])
def test_normalize_rejects_nonpositive_std(std):
    with pytest.raises(ValueError, match="std"):
        Normalize((0.0,), std)


def test_mnist_cnn_has_the_papers_layer_sizes():
    # conv5x5 1->32, conv5x5 32->64, fc 7*7*64->1024, fc 1024->10 (with biases)
    expected = (25 * 32 + 32) + (25 * 32 * 64 + 64) + (7 * 7 * 64 * 1024 + 1024) + (1024 * 10 + 10)
    model = MnistCNN()
    assert count_parameters(model) == expected
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_resnet18_and_resnet50_parameter_counts():
    # well-known counts: CIFAR ResNet-18 (10 classes) 11,173,962; ResNet-50 with 1000 classes 25,557,032
    r18 = build_model("resnet18", 10, (0.5,) * 3, (0.25,) * 3)
    assert count_parameters(r18) == 11_173_962
    r50 = build_model("resnet50", 9, (0.5,) * 3, (0.25,) * 3)
    assert count_parameters(r50) == 25_557_032 - 2049 * 1000 + 2049 * 9


@pytest.mark.parametrize(
    "name,shape,classes,width",
    [("mnist_cnn", (1, 28, 28), 10, None), ("tiny_cnn", (1, 12, 12), 4, None), ("resnet18", (3, 32, 32), 10, 8),
     ("resnet50", (3, 64, 64), 9, 4), ("resnet9", (3, 32, 32), 10, 8), ("resnet9", (3, 64, 64), 6, 4),
     ("resnet9", (1, 28, 28), 10, 4)],
)
def test_every_model_maps_unit_box_inputs_to_logits(name, shape, classes, width):
    torch.manual_seed(0)
    c = shape[0]
    model = build_model(name, classes, (0.5,) * c, (0.25,) * c, width=width, image_size=shape[-1]).eval()
    x = torch.rand(2, *shape, requires_grad=True)
    logits = model(x)
    assert logits.shape == (2, classes)
    logits.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_normalisation_is_inside_the_model():
    # shifting mean by m and the input by m gives the same logits: the model sees (x - mean)/std
    torch.manual_seed(0)
    model = build_model("tiny_cnn", 4, (0.0,), (1.0,)).eval()
    x = torch.rand(2, 1, 12, 12)
    ref = model(x)
    model.normalize.mean.fill_(0.3)
    assert torch.allclose(model(x + 0.3), ref, atol=1e-5)
    assert "0.mean" in model.state_dict()


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match="resnet18"):
        build_model("vgg", 10, (0.5,), (0.5,))
    assert set(MODEL_REGISTRY) >= {"mnist_cnn", "resnet18", "resnet50"}


def test_resnet9_has_the_published_layer_list():
    # conv3x3 (no bias) + BN (2 per channel) for 3->w, w->2w, 2w->2w x2, 2w->4w, 4w->8w, 8w->8w x2; fc 8w->10 no bias
    w = 64
    convs = [(3, w), (w, 2 * w), (2 * w, 2 * w), (2 * w, 2 * w), (2 * w, 4 * w), (4 * w, 8 * w), (8 * w, 8 * w),
             (8 * w, 8 * w)]
    expected = sum(9 * a * b + 2 * b for a, b in convs) + 8 * w * 10
    model = build_model("resnet9", 10, (0.5,) * 3, (0.25,) * 3)
    assert count_parameters(model) == expected == 6_573_120
    assert model.net.scale == 0.125 and model.net.fc.bias is None


def test_resnet9_learns_a_small_problem():
    """A few SGD steps on 64 images of the toy problem (4 classes) take the training loss far below log 4."""
    import math

    from tradeoff.data.toy import toy_data

    torch.manual_seed(0)
    x, y = toy_data("train", 64)
    model = build_model("resnet9", 4, (0.5,), (0.25,), width=8, image_size=12)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    losses = []
    for _ in range(30):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 0.8 * math.log(4) and losses[-1] < 0.3 * math.log(4)
