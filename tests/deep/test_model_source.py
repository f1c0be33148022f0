"""Load any classifier (deep.model_source, deep.weights_file, deep.model_checks): a run folder, a TorchScript file, a
``package.module:factory`` with a weights file, and RobustBench's loader (a stand-in with its documented signature,
plus the real package where it imports); every bad input is one line naming the problem and the fix."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
import types
from pathlib import Path

import pytest
import torch

from tests.deep.test_train import tiny_config
from tradeoff.data.checksums import sha256_file
from tradeoff.data.registry import dataset_info
from tradeoff.deep.config_toml import dumps_config
from tradeoff.deep.distributed import weights_digest
from tradeoff.deep.model_checks import probe_batch
from tradeoff.deep.model_source import load_classifier, robustbench_checkpoint
from tradeoff.deep.models import build_model
from tradeoff.deep.runs import load_run_model

torch.set_num_threads(1)
TOY = dataset_info("toy")
SHAPE = (1, 12, 12)
USER = "tradeoff_user_nets"  # the user's module, written into tmp_path for each test

USER_SOURCE = '''
import torch
from torch import nn
from tradeoff.deep.models import build_model

MEAN, STD = (0.5,), (0.25,)


def tiny():
    """The run folder's architecture (toy data: 1x12x12 images, 4 classes), in train mode as built."""
    return build_model("tiny_cnn", 4, MEAN, STD, image_size=12)


def tiny5():
    return build_model("tiny_cnn", 5, MEAN, STD, image_size=12)


def bare():
    """The bare network, which expects normalised inputs."""
    return build_model("tiny_cnn", 4, MEAN, STD, image_size=12).net


class Wrapped(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = tiny()

    def forward(self, x):
        return self.model(x)


class Dropper(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(144, 4)

    def forward(self, x):
        return self.fc(self.drop(x.flatten(1)))


def dropper():
    return Dropper()


def dropper_eval():
    return Dropper().eval()


class Noisy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(144, 4)

    def forward(self, x):
        return self.fc(x.flatten(1)) + torch.randn(len(x), 4)


def noisy_eval():
    return Noisy().eval()


class WithBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3, 4)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))


def with_bn():
    return WithBN()


class Out(nn.Module):
    def __init__(self, make):
        super().__init__()
        self.fc = nn.Linear(144, 4)
        self.make = make

    def forward(self, x):
        return self.make(self.fc(x.flatten(1)))


def extra_dim():
    return Out(lambda z: z[:, :, None])


def one_logit():
    return Out(lambda z: z[:, :1])


def as_tuple():
    return Out(lambda z: (z, z))


def inf_logits():
    return Out(lambda z: z / 0.0)


def nan_weights():
    m = Out(lambda z: z)
    with torch.no_grad():
        m.fc.weight[1, 2] = float("nan")
    return m


def colour_only():
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 12 * 12, 4))


def raises():
    raise RuntimeError("no GPU here\\nsecond line of the story")


def needs_width(width):
    return tiny()


def not_a_module():
    return 42


NOT_CALLABLE = 3
'''


def _one_line(excinfo, *words):
    text = str(excinfo.value)
    assert "\n" not in text, text
    for w in words:
        assert w in text, (w, text)


@pytest.fixture
def user(tmp_path, monkeypatch):
    """The user's module on sys.path (fresh for each test), and a broken one whose import fails."""
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / f"{USER}.py").write_text(textwrap.dedent(USER_SOURCE))
    (folder / "tradeoff_user_broken.py").write_text("raise ImportError('needs torchvision\\nmore')\n")
    for name in (USER, "tradeoff_user_broken"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    yield importlib.import_module(USER)
    for name in (USER, "tradeoff_user_broken"):
        sys.modules.pop(name, None)


@pytest.fixture
def trained():
    """A tiny_cnn for the toy data with seeded (non-default) weights, in eval mode."""
    torch.manual_seed(3)
    model = build_model("tiny_cnn", TOY.num_classes, TOY.mean, TOY.std, image_size=TOY.image_size)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


@pytest.fixture
def run_dir(tmp_path, trained):
    """A run folder of this project (config.toml + model.pt), written without training."""
    d = tmp_path / "run"
    d.mkdir()
    (d / "config.toml").write_text(dumps_config(tiny_config()))
    torch.save(trained.state_dict(), d / "model.pt")
    return d


def _inputs(n=7):
    return torch.rand((n, *SHAPE), generator=torch.Generator().manual_seed(11))


# ---------------------------------------------------------------- the four sources
def test_a_run_folder(run_dir, trained):
    loaded = load_classifier(str(run_dir))
    assert loaded.kind == "run" and loaded.architecture == "tiny_cnn" and not loaded.model.training
    assert loaded.input_shape == SHAPE and loaded.num_classes == 4 and loaded.notes == ()
    assert loaded.weights == str(run_dir / "model.pt") and loaded.file_hash == sha256_file(run_dir / "model.pt")
    assert loaded.model_hash == weights_digest(trained)
    _, model = load_run_model(run_dir)
    x = _inputs()
    assert torch.equal(loaded.model(x), model(x))
    d = loaded.to_dict()
    assert json.loads(json.dumps(d)) == d and d["input_shape"] == [1, 12, 12] and "model" not in d


def test_the_same_weights_as_a_run_folder_and_as_torchscript_give_identical_logits(run_dir, trained, tmp_path):
    path = tmp_path / "model.ts"
    torch.jit.trace(trained, _inputs(2)).save(str(path))
    ts = load_classifier(str(path), input_shape=SHAPE)
    run = load_classifier(str(run_dir))
    assert ts.kind == "torchscript" and ts.architecture == "NormalizedModel" and ts.num_classes == 4
    assert ts.file_hash == sha256_file(path) and ts.file_hash != run.file_hash
    assert ts.model_hash == run.model_hash  # the weights, whichever file holds them
    x = _inputs()
    assert torch.equal(ts.model(x), run.model(x))


@pytest.mark.parametrize("prefix", ["", "module.", "model.", "_orig_mod.", "module.model."])
def test_a_factory_with_weights_and_any_saved_prefix(user, trained, tmp_path, prefix):
    path = tmp_path / "w.pt"
    torch.save({"state_dict": {prefix + k: v for k, v in trained.state_dict().items()}, "epoch": 7}, path)
    loaded = load_classifier(f"{USER}:tiny", weights=str(path), input_shape=SHAPE, num_classes=4)
    assert loaded.kind == "factory" and loaded.architecture == "NormalizedModel" and loaded.weights == str(path)
    assert loaded.model_hash == weights_digest(trained) and loaded.file_hash == sha256_file(path)
    x = _inputs()
    assert torch.equal(loaded.model(x), trained(x)) and not loaded.model.training
    notes = " | ".join(loaded.notes)
    assert "'state_dict' entry" in notes and "put in eval mode" in notes
    assert (f"stripped the prefix {prefix!r}" in notes) == bool(prefix)


def test_a_prefix_the_module_has_and_the_file_lacks_is_added(user, trained, tmp_path):
    torch.save(trained.state_dict(), tmp_path / "w.pt")
    loaded = load_classifier(f"{USER}:Wrapped", weights=str(tmp_path / "w.pt"), input_shape=SHAPE)
    assert any("added the prefix 'model.'" in n for n in loaded.notes) and loaded.architecture == "Wrapped"
    x = _inputs()
    assert torch.equal(loaded.model(x), trained(x))


def test_a_factory_without_weights_keeps_its_own(user):
    loaded = load_classifier(f"{USER}:tiny", input_shape=SHAPE)
    assert loaded.weights is None and loaded.file_hash is None and loaded.num_classes == 4


def test_safetensors_weights(user, trained, tmp_path):
    st = pytest.importorskip("safetensors.torch")
    path = tmp_path / "w.safetensors"
    st.save_file({"module." + k: v.contiguous() for k, v in trained.state_dict().items()}, str(path))
    loaded = load_classifier(f"{USER}:tiny", weights=str(path), input_shape=SHAPE)
    x = _inputs()
    assert torch.equal(loaded.model(x), trained(x)) and loaded.model_hash == weights_digest(trained)


def test_safetensors_without_the_package_says_how_to_install_it(user, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    (tmp_path / "w.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    with pytest.raises(ValueError) as e:
        load_classifier(f"{USER}:tiny", weights=str(tmp_path / "w.safetensors"), input_shape=SHAPE)
    _one_line(e, "w.safetensors", "pip install safetensors")


def test_normalize_wraps_a_model_that_expects_normalised_inputs(user, trained, tmp_path):
    torch.save(trained.net.state_dict(), tmp_path / "net.pt")
    loaded = load_classifier(f"{USER}:bare", weights=str(tmp_path / "net.pt"), input_shape=SHAPE,
                             normalize=(TOY.mean, TOY.std))
    x = _inputs()
    assert torch.equal(loaded.model(x), trained(x)) and any("normalised inside" in n for n in loaded.notes)
    bare = load_classifier(f"{USER}:bare", weights=str(tmp_path / "net.pt"), input_shape=SHAPE)
    assert not torch.equal(bare.model(x), trained(x))  # without the wrapper the same weights see other inputs
    for bad, words in ((((0.5,), (0.0,)), ["std", "positive"]), (((0.5, 0.5), (0.2,)), ["2 means but 1 stds"]),
                       (((0.5, 0.5, 0.5), (0.2, 0.2, 0.2)), ["3 channels", "has 1"]), (("a", "b"), ["invalid"])):
        with pytest.raises(ValueError) as e:
            load_classifier(f"{USER}:bare", input_shape=SHAPE, normalize=bad)
        _one_line(e, *words)


def install_robustbench(monkeypatch, load_model) -> None:
    """Make ``robustbench.utils.load_model`` importable as ``load_model`` (a stand-in: RobustBench does not import
    beside the CPU torch, docs/cards.md), for the test only."""
    package, utils = types.ModuleType("robustbench"), types.ModuleType("robustbench.utils")
    utils.load_model = load_model
    package.utils = utils
    monkeypatch.setitem(sys.modules, "robustbench", package)
    monkeypatch.setitem(sys.modules, "robustbench.utils", utils)


def test_a_robustbench_model_through_a_stand_in_with_the_documented_signature(tmp_path, monkeypatch):
    """RobustBench 1.1.1 does not import beside a CPU-only torch (docs/cards.md): a stand-in module with the
    documented ``load_model(model_name, model_dir, dataset, threat_model, ...)`` reading the documented
    ``model_dir/dataset/threat_model/NAME.pt`` layout checks our call and our handling of its model."""
    calls = []

    def load_model(model_name, model_dir="./models", dataset="cifar10", threat_model="Linf", custom_checkpoint="",
                   norm=None):
        calls.append({"model_name": model_name, "model_dir": model_dir, "dataset": dataset,
                      "threat_model": threat_model})
        state = torch.load(Path(model_dir) / dataset / threat_model / f"{model_name}.pt", weights_only=True)
        if model_name != "Tiny":
            raise KeyError(model_name)
        model = build_model("tiny_cnn", 10, (0.49, 0.48, 0.45), (0.25, 0.24, 0.26), image_size=32)
        model.load_state_dict({k.removeprefix("module."): v for k, v in state["state_dict"].items()})
        return model.eval()

    install_robustbench(monkeypatch, load_model)

    torch.manual_seed(5)
    net = build_model("tiny_cnn", 10, (0.49, 0.48, 0.45), (0.25, 0.24, 0.26), image_size=32).eval()
    ckpt = robustbench_checkpoint(tmp_path / "models", "Tiny", "cifar10", "Linf")
    assert ckpt == tmp_path / "models" / "cifar10" / "Linf" / "Tiny.pt"
    ckpt.parent.mkdir(parents=True)
    torch.save({"state_dict": {"module." + k: v for k, v in net.state_dict().items()}}, ckpt)

    loaded = load_classifier("robustbench:Tiny", model_dir=tmp_path / "models")
    assert calls == [{"model_name": "Tiny", "model_dir": str(tmp_path / "models"), "dataset": "cifar10",
                      "threat_model": "Linf"}]
    assert loaded.kind == "robustbench" and loaded.input_shape == (3, 32, 32) and loaded.num_classes == 10
    assert loaded.weights == str(ckpt) and loaded.file_hash == sha256_file(ckpt)
    x = torch.rand(3, 3, 32, 32)
    assert torch.equal(loaded.model(x), net(x))

    (ckpt.parent / "Other.pt").write_bytes(ckpt.read_bytes())
    with pytest.raises(ValueError) as e:
        load_classifier("robustbench:Other", model_dir=tmp_path / "models")
    _one_line(e, "load_model('Other'", "KeyError: 'Other'", "model zoo")
    with pytest.raises(FileNotFoundError) as e:
        load_classifier("robustbench:Missing", model_dir=tmp_path / "models", threat_model="L2")
    _one_line(e, str(tmp_path / "models" / "cifar10" / "L2" / "Missing.pt"), "never downloads")
    assert len(calls) == 2  # a missing checkpoint is refused before RobustBench is asked (it would download)
    with pytest.raises(ValueError) as e:
        load_classifier("robustbench:Tiny")
    _one_line(e, "model_dir", "cifar10/Linf/Tiny.pt")
    with pytest.raises(ValueError) as e:
        load_classifier("robustbench:Tiny", model_dir=tmp_path / "models", dataset="mnist")
    _one_line(e, "'mnist'", "cifar10, cifar100, imagenet")
    with pytest.raises(ValueError) as e:
        load_classifier("robustbench:Tiny", model_dir=tmp_path / "models", weights=ckpt)
    _one_line(e, "weights", "package.module:factory only")


def test_robustbench_that_does_not_import_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "robustbench", None)
    monkeypatch.setitem(sys.modules, "robustbench.utils", None)
    ckpt = robustbench_checkpoint(tmp_path, "Standard", "cifar10", "Linf")
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"")
    with pytest.raises(ValueError) as e:
        load_classifier("robustbench:Standard", model_dir=tmp_path)
    _one_line(e, "robustbench package", "pip install robustbench", "docs/cards.md")


def _real_robustbench():
    try:
        from robustbench.model_zoo.architectures.wide_resnet import WideResNet
    except Exception as e:  # absent, or torchvision's RuntimeError beside a CPU-only torch
        pytest.skip(f"robustbench does not import here ({type(e).__name__}); see docs/cards.md 'Loading models'")
    return WideResNet


@pytest.mark.slow
def test_the_real_robustbench_loader_with_local_weights(tmp_path, monkeypatch):
    """RobustBench's own load_model on its 'Standard' CIFAR-10 architecture (WideResNet-28-10) with weights this test
    writes into model_dir: no network is used (sockets refuse to connect)."""
    WideResNet = _real_robustbench()
    import socket

    monkeypatch.setattr(socket.socket, "connect", lambda *a, **k: (_ for _ in ()).throw(OSError("no network")))
    torch.manual_seed(0)
    net = WideResNet(depth=28, widen_factor=10).eval()
    ckpt = robustbench_checkpoint(tmp_path, "Standard", "cifar10", "Linf")
    ckpt.parent.mkdir(parents=True)
    torch.save({"state_dict": {"module." + k: v for k, v in net.state_dict().items()}}, ckpt)
    loaded = load_classifier("robustbench:Standard", model_dir=tmp_path)
    assert loaded.architecture == "WideResNet" and loaded.num_classes == 10
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(loaded.model(x), net(x))


# ---------------------------------------------------------------- train mode and randomness
def test_a_random_train_mode_model_is_refused_and_an_eval_mode_one_loads(user):
    with pytest.raises(ValueError) as e:
        load_classifier(f"{USER}:dropper", input_shape=SHAPE)
    _one_line(e, "different logits", "train mode", "model.eval()")
    loaded = load_classifier(f"{USER}:dropper_eval", input_shape=SHAPE)
    assert loaded.notes == () and not loaded.model.training


def test_randomness_in_eval_mode_is_refused_and_loading_keeps_the_callers_random_state(user):
    state = torch.get_rng_state()
    with pytest.raises(ValueError) as e:
        load_classifier(f"{USER}:noisy_eval", input_shape=SHAPE)
    _one_line(e, "different logits", "eval mode", "remove the randomness")
    assert torch.equal(torch.get_rng_state(), state)


def test_a_train_mode_batch_norm_model_is_put_in_eval_mode_and_its_statistics_kept(user, tmp_path):
    torch.manual_seed(1)
    source = user.with_bn()
    with torch.no_grad():
        source.bn.running_mean.copy_(torch.tensor([0.1, -0.2, 0.3]))
        source.bn.running_var.copy_(torch.tensor([0.5, 2.0, 1.5]))
    torch.save(source.state_dict(), tmp_path / "bn.pt")
    loaded = load_classifier(f"{USER}:with_bn", weights=str(tmp_path / "bn.pt"), input_shape=SHAPE)
    assert not loaded.model.training and any("put in eval mode" in n for n in loaded.notes)
    for name, t in source.state_dict().items():  # the probe calls in train mode changed no statistic
        assert torch.equal(loaded.model.state_dict()[name], t), name
    x = probe_batch(SHAPE)
    assert torch.equal(loaded.model(x), source.eval()(x))


# ---------------------------------------------------------------- bad inputs: one line each
def test_files_that_are_not_torchscript_models(tmp_path, trained):
    (tmp_path / "random.pt").write_bytes(torch.randint(0, 256, (500,), dtype=torch.uint8).numpy().tobytes())
    (tmp_path / "model.json").write_text(json.dumps({"layers": [1, 2]}))
    torch.save(trained.state_dict(), tmp_path / "state.pt")
    for name in ("random.pt", "model.json"):
        with pytest.raises(ValueError) as e:
            load_classifier(str(tmp_path / name), input_shape=SHAPE)
        _one_line(e, name, "not a TorchScript model", "torch.jit.trace")
    with pytest.raises(ValueError) as e:
        load_classifier(str(tmp_path / "state.pt"), input_shape=SHAPE)
    _one_line(e, "holds a state_dict", "package.module:factory", "weights=")


def test_weights_files_that_are_not_state_dicts(user, tmp_path, trained):
    (tmp_path / "random.pt").write_bytes(bytes(range(256)) * 3)
    (tmp_path / "w.json").write_text("{}")
    torch.jit.trace(trained, _inputs(2)).save(str(tmp_path / "ts.pt"))
    torch.save(trained, tmp_path / "whole.pt")
    torch.save({"epoch": 3, "lr": 0.1}, tmp_path / "meta.pt")
    torch.save([torch.zeros(1)], tmp_path / "list.pt")
    cases = {"random.pt": "not a torch weights file", "w.json": "not a torch weights file",
             "ts.pt": "is a TorchScript model", "whole.pt": "pickled Python objects",
             "meta.pt": "entry 'epoch' holds a int", "list.pt": "holds a list"}
    for name, words in cases.items():
        with pytest.raises(ValueError) as e:
            load_classifier(f"{USER}:tiny", weights=str(tmp_path / name), input_shape=SHAPE)
        _one_line(e, name, words)
    with pytest.raises(FileNotFoundError) as e:
        load_classifier(f"{USER}:tiny", weights=str(tmp_path / "nope.pt"), input_shape=SHAPE)
    _one_line(e, "nope.pt", "does not exist")


def test_weights_that_do_not_fit_the_factorys_module(user, tmp_path):
    torch.save(user.Dropper().state_dict(), tmp_path / "other.pt")
    with pytest.raises(ValueError) as e:
        load_classifier(f"{USER}:tiny", weights=str(tmp_path / "other.pt"), input_shape=SHAPE)
    _one_line(e, "does not fit", "8 missing (0.mean, 0.std, 1.conv1.bias and 5 more)", "2 unexpected (fc.bias, "
              "fc.weight)", "architecture")
    torch.save(user.tiny5().state_dict(), tmp_path / "five.pt")
    with pytest.raises(ValueError) as e:
        load_classifier(f"{USER}:tiny", weights=str(tmp_path / "five.pt"), input_shape=SHAPE)
    _one_line(e, "1.fc.weight has shape (5, 16) in the file but (4, 16)", "number of classes")


@pytest.mark.parametrize("spec, words", [
    ("tradeoff_user_missing:make", ["cannot be imported", "No module named", "PYTHONPATH"]),
    ("tradeoff_user_broken:make", ["importing", "ImportError: needs torchvision"]),
    (f"{USER}:nothing", ["no attribute 'nothing'"]),
    (f"{USER}:NOT_CALLABLE", ["is a int, not callable"]),
    (f"{USER}:raises", ["raised RuntimeError: no GPU here", "fix it"]),
    (f"{USER}:needs_width", ["raised TypeError", "no arguments"]),
    (f"{USER}:not_a_module", ["returned a int, not an nn.Module"]),
])
def test_factories_that_do_not_give_a_module(user, spec, words):
    with pytest.raises(ValueError) as e:
        load_classifier(spec, input_shape=SHAPE)
    _one_line(e, spec, *words)
    assert "second line" not in str(e.value) and "more" not in str(e.value)


@pytest.mark.parametrize("factory, kwargs, words", [
    ("extra_dim", {}, ["output shape is (4, 4, 1)", "expected (4, classes)"]),
    ("tiny", {"num_classes": 10}, ["output shape is (4, 4)", "expected (4, 10)", "number of classes"]),
    ("one_logit", {}, ["one logit per image", "[-z, z]"]),
    ("as_tuple", {}, ["returns a tuple", "logits"]),
    ("inf_logits", {}, ["not finite"]),
    ("nan_weights", {}, ["weight fc.weight holds 1 non-finite"]),
    ("colour_only", {}, ["fails on a probe batch of shape (4, 1, 12, 12)", "input shape"]),
])
def test_outputs_that_are_not_logits(user, factory, kwargs, words):
    with pytest.raises(ValueError) as e:
        load_classifier(f"{USER}:{factory}", input_shape=SHAPE, **kwargs)
    _one_line(e, f"{USER}:{factory}", *words)


def test_specs_and_shapes_that_do_not_fit(user, run_dir, tmp_path, trained):
    with pytest.raises(FileNotFoundError) as e:
        load_classifier(str(tmp_path / "nowhere.pt"))
    _one_line(e, "nowhere.pt", "package.module:factory", "robustbench:NAME")
    with pytest.raises(ValueError) as e:
        load_classifier(f"{USER}:tiny")
    _one_line(e, "input shape is unknown", "input_shape=(C, H, W)")
    with pytest.raises(ValueError) as e:
        load_classifier(f"{USER}:tiny", input_shape=(12, 12))
    _one_line(e, "(12, 12)", "three positive sizes")
    with pytest.raises(ValueError) as e:
        load_classifier(str(run_dir), input_shape=(3, 32, 32))
    _one_line(e, "(3, 32, 32) differs from its own (1, 12, 12)")
    with pytest.raises(ValueError) as e:
        load_classifier(f"{USER}:tiny", input_shape=SHAPE, num_classes=1)
    _one_line(e, "num_classes 1 is invalid", "2 or more")
    with pytest.raises(ValueError) as e:
        load_classifier(str(run_dir), num_classes=10)
    _one_line(e, "num_classes 10 differs from its own 4")
    with pytest.raises(ValueError) as e:
        load_classifier(str(run_dir), weights=run_dir / "model.pt")
    _one_line(e, "run folder holds its own weights")
    (tmp_path / "plain").mkdir()
    with pytest.raises(FileNotFoundError) as e:
        load_classifier(str(tmp_path / "plain"))
    _one_line(e, "not a run folder", "config.toml")
