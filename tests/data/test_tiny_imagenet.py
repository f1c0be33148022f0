"""Restricted Tiny ImageNet: class mapping, decoding (greyscale to RGB), cache, the deep dataset entry, the CLI."""

import numpy as np
import pytest
import torch

import tradeoff.data.tiny_imagenet as tiny
from tests.data._fixtures import make_tiny_imagenet_folder
from tradeoff.data.imagenet import SUPERCLASSES, imagenet_wnids, superclass_of

torch.set_num_threads(1)

WN = imagenet_wnids()
DOG, FROG, INSECT = WN[151], WN[30], WN[319]
TENCH = WN[0]  # in no super-class: ignored
DOG_NOT_TINY = WN[152]  # a Restricted ImageNet dog class that Tiny ImageNet does not have: ignored too


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEOFF_DATA", str(tmp_path / "cache"))
    return make_tiny_imagenet_folder(tmp_path / "tiny", [DOG, FROG, INSECT, TENCH, DOG_NOT_TINY],
                                     {"train": 3, "val": 2}, grey=FROG)


def test_mapping_is_the_restricted_imagenet_ranges():
    labels = tiny.wnid_labels()
    assert len(labels) == 24 and tiny.SUPERCLASS_NAMES == ("dog", "cat", "frog", "bird", "primate", "insect")
    full = [name for name, _, _ in SUPERCLASSES]
    for wnid, lab in labels.items():
        assert tiny.SUPERCLASS_NAMES[lab] == full[superclass_of(WN.index(wnid))]
    counts = np.bincount(list(labels.values()), minlength=6).tolist()
    assert counts == [6, 3, 2, 1, 4, 8]  # dog, cat, frog, bird, primate, insect


def test_decode_labels_and_greyscale(root):
    x, y = tiny.load_restricted_tiny_imagenet("train", root, cache=False)
    assert x.shape == (9, 3, 64, 64) and x.dtype == np.uint8 and y.dtype == np.int64
    # sorted wnid folders: frog (n016...) < dog (n020...) < insect (n022...); tench and the non-Tiny dog ignored
    assert y.tolist() == [2] * 3 + [0] * 3 + [5] * 3
    grey = x[0]  # the frog's first image is greyscale: three equal channels
    assert np.array_equal(grey[0], grey[1]) and np.array_equal(grey[1], grey[2])
    assert not np.array_equal(x[1][0], x[1][1])
    xv, yv = tiny.load_restricted_tiny_imagenet("val", root, cache=False)
    assert len(yv) == 6 and sorted(set(yv.tolist())) == [0, 2, 5]


def test_cache_reused_and_invalidated(root):
    a = tiny.load_restricted_tiny_imagenet("val", root)
    cdir = tiny.cache_folder(root)
    assert (cdir / "val-manifest.json").is_file()
    b = tiny.load_restricted_tiny_imagenet("val", root)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    # replacing an image (new size and mtime) must invalidate the cache
    from PIL import Image

    path = root / "val" / DOG / f"{DOG}_0.JPEG"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(path, format="PNG")
    c = tiny.load_restricted_tiny_imagenet("val", root)
    i = [k for k, lab in enumerate(c[1]) if lab == 0][0]
    assert c[0][i].max() == 0 and not np.array_equal(a[0], c[0])


def test_errors_name_the_problem(root, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        tiny.split_files(tmp_path / "nowhere", "train")
    with pytest.raises(ValueError, match="unknown Restricted Tiny ImageNet split"):
        tiny.split_files(root, "test")
    bad = root / "train" / INSECT / f"{INSECT}_1.JPEG"
    bad.write_bytes(bad.read_bytes()[:100])
    with pytest.raises(ValueError, match=f"{INSECT}_1.JPEG: cannot decode image"):
        tiny.decode_split(root, "train")
    from PIL import Image

    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(bad, format="JPEG")
    with pytest.raises(ValueError, match="is 32x32, Restricted Tiny ImageNet images are 64x64"):
        tiny.decode_split(root, "train")
    empty = tmp_path / "empty"
    (empty / "val" / TENCH).mkdir(parents=True)
    with pytest.raises(ValueError, match="no images of the 24"):
        tiny.split_files(empty, "val")


def test_deep_dataset_entry(root, monkeypatch):
    from tradeoff.data.registry import dataset_info
    from tradeoff.deep.datasets import load_split

    spec = dataset_info("restricted_tiny_imagenet")
    assert spec.title == "Restricted Tiny ImageNet (6 of 9 super-classes, 64 px)"
    assert spec.label == "restricted-tiny-imagenet" and spec.num_classes == len(tiny.SUPERCLASS_NAMES) == 6
    assert spec.class_names == tiny.SUPERCLASS_NAMES and (spec.image_size, spec.in_channels) == (64, 3)
    assert "Restricted ImageNet" not in spec.title.replace("Restricted Tiny ImageNet", "")
    from tradeoff.reports.claims import full_train_size, num_classes

    assert full_train_size(spec.label) == tiny.SIZES["train"] and num_classes(spec.label) == spec.num_classes
    monkeypatch.delenv("TRADEOFF_TINY_IMAGENET_ROOT", raising=False)
    with pytest.raises(ValueError, match=r"set \$TRADEOFF_TINY_IMAGENET_ROOT"):
        load_split("restricted_tiny_imagenet", "train")
    monkeypatch.setenv("TRADEOFF_TINY_IMAGENET_ROOT", str(root))
    x, y = load_split("restricted_tiny_imagenet", "test")  # "test" is the val split
    assert x.shape == (6, 3, 64, 64) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    xs, ys = load_split("restricted_tiny_imagenet", "train", root=str(root), n=3, seed=0)
    assert sorted(ys.tolist()) == [0, 2, 5]  # stratified: one of each class


def test_trains_end_to_end(root, tmp_path):
    from tradeoff.deep.config import EvalConfig, TrainConfig
    from tradeoff.deep.train import train_run

    cfg = TrainConfig(name="tiny", dataset="restricted_tiny_imagenet", data_root=str(root), model="tiny_cnn",
                      epochs=1, batch_size=4, device="cpu", progress=False, amp=False,
                      eval=EvalConfig(eps=[0.005], steps=2, n_epoch=None, n_final=None)).validate()
    history = train_run(cfg, tmp_path / "run").history
    assert len(history) == 1 and history[0]["n_train_seen"] == 9  # the 9 training images of the 3 Tiny classes
    assert history[0]["eval_n"] == 6 and 0 <= history[0]["eval_standard_acc"] <= 1 and "0.005" in str(
        history[0]["eval_robust_acc"])


def test_cli_info(root, monkeypatch, capsys):
    from tradeoff.reports.cli import main

    monkeypatch.delenv("TRADEOFF_TINY_IMAGENET_ROOT", raising=False)
    assert main(["data", "info", "restricted_tiny_imagenet"]) == 2
    assert "$TRADEOFF_TINY_IMAGENET_ROOT" in capsys.readouterr().err
    rc = main(["data", "info", "restricted_tiny_imagenet", "--root", str(root), "--json"])
    import json

    info = json.loads(capsys.readouterr().out)
    assert rc == 1 and not info["complete"]  # a fixture, not the full data set
    assert info["splits"]["train"]["n"] == 9 and info["splits"]["train"]["greyscale"] == 1
    assert {c["superclass"]: c["tiny_classes"] for c in info["splits"]["val"]["superclasses"]}["dog"] == 1


@pytest.mark.realdata
def test_real_folder():
    from tradeoff.data.registry import dataset_root

    real = dataset_root("restricted_tiny_imagenet")
    if real is None or not (real / "train").is_dir():
        pytest.skip("set $TRADEOFF_TINY_IMAGENET_ROOT to the Restricted Tiny ImageNet folder (train/ and val/)")
    info = tiny.summary(real)
    assert info["complete"]
    assert info["splits"]["train"]["greyscale"] + info["splits"]["val"]["greyscale"] == 120
    x, y = tiny.load_restricted_tiny_imagenet("val", real, cache=False)
    assert x.shape == (1200, 3, 64, 64) and np.bincount(y).tolist() == [300, 150, 100, 50, 200, 400]
