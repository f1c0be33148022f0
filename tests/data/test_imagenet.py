
import numpy as np
import pytest
import torch

import tradeoff.data.imagenet as rin
from tests.data._fixtures import make_imagenet_folder

torch.set_num_threads(1)

WN = rin.imagenet_wnids()
DOG_KEPT = rin.BALANCED_DOG_WNIDS[0]
DOG_DROPPED = next(WN[i] for i in range(151, 269) if WN[i] not in rin.BALANCED_DOG_WNIDS)
FROG = WN[30]
INSECT = WN[319]
TENCH = WN[0]  # not in any super-class


@pytest.fixture
def root(tmp_path):
    return make_imagenet_folder(
        tmp_path / "inet",
        {
            DOG_KEPT: [(300, 240), (256, 256)],
            DOG_DROPPED: [(500, 375)],
            FROG: [(240, 320)],
            INSECT: [(400, 300), (260, 500), (333, 333)],
            TENCH: [(300, 300)],
        },
    )


def test_spec_matches_paper_and_json():
    assert rin.SUPERCLASSES == tuple(tuple(s) for s in rin.restricted_imagenet_spec()["superclasses"])
    sizes = [last - first + 1 for _, first, last in rin.SUPERCLASSES]
    assert sizes == [118, 5, 3, 5, 21, 18, 9, 4, 20]
    assert len(WN) == 1000 and WN[0] == "n01440764" and list(WN) == sorted(WN)
    assert len(set(rin.BALANCED_DOG_WNIDS)) == 11
    assert all(rin.superclass_of(WN.index(w)) == 0 for w in rin.BALANCED_DOG_WNIDS)
    assert len(rin.wnid_labels()) == 203 and len(rin.wnid_labels(balanced=True)) == 96


def test_labels_follow_wnid_index(root):
    ds = rin.RestrictedImageNet(root, "val")
    assert len(ds) == 7  # the tench is not a Restricted ImageNet class
    for path, label, wnid in ds.samples:
        assert path.parent.name == wnid and label == rin.superclass_of(WN.index(wnid))
    assert ds.counts() == {
        "dog": 3,
        "cat": 0,
        "frog": 1,
        "turtle": 0,
        "bird": 0,
        "primate": 0,
        "fish": 0,
        "crab": 0,
        "insect": 3,
    }
    assert ds.class_counts()["dog"] == 2 and ds.class_counts()["insect"] == 1
    assert ds.classes[2] == "frog"


def test_balanced_and_custom_dogs(root):
    b = rin.RestrictedImageNet(root, "val", balanced=True)
    assert b.counts()["dog"] == 2 and len(b) == 6
    c = rin.RestrictedImageNet(root, "val", dog_wnids=[DOG_DROPPED])
    assert c.counts()["dog"] == 1
    with pytest.raises(ValueError, match=f"not dogs: {FROG}"):
        rin.RestrictedImageNet(root, "val", dog_wnids=[FROG])


def test_items_test_and_train_transforms(root):
    ds = rin.RestrictedImageNet(root, "val")
    x, y = ds[0]
    assert x.shape == (3, 224, 224) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert 0 <= x.min() and x.max() <= 1
    assert torch.equal(ds[0][0], x) and torch.equal(ds[-7][0], x)
    tr = rin.RestrictedImageNet(root, "val", train=True, seed=5)
    a = tr[1][0]
    assert torch.equal(a, tr[1][0])
    tr.set_epoch(1)
    assert not torch.equal(a, tr[1][0])
    with pytest.raises(IndexError):
        ds[7]


def test_training_batches_of_the_folder(root):
    """The batches training reads from the folder (deep.datasets.DatasetBatches, Restricted ImageNet's loader)."""
    from tradeoff.deep.datasets import DatasetBatches

    ds = rin.RestrictedImageNet(root, "val")
    batches = list(DatasetBatches(ds, 4, shuffle=True, seed=0, num_workers=0).epoch(0))
    assert [b[0].shape[0] for b in batches] == [4, 3]
    ys = torch.cat([b[1] for b in batches])
    assert sorted(ys.tolist()) == sorted(ds.labels.tolist())
    again = torch.cat([b[1] for b in DatasetBatches(ds, 4, shuffle=True, seed=0, num_workers=0).epoch(0)])
    assert torch.equal(ys, again)


def test_corrupt_image_names_file(root):
    bad = root / "val" / FROG / f"{FROG}_0.JPEG"
    bad.write_bytes(bad.read_bytes()[:200])
    ds = rin.RestrictedImageNet(root, "val")
    idx = [i for i, s in enumerate(ds.samples) if s[0] == bad][0]
    with pytest.raises(ValueError, match=f"{FROG}_0.JPEG: cannot decode image"):
        ds[idx]
    bad.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot decode image"):
        ds[idx]


def test_missing_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        rin.RestrictedImageNet(tmp_path, "train")
    make_imagenet_folder(tmp_path / "x", {TENCH: [(50, 50)]})
    with pytest.raises(FileNotFoundError, match="no images of Restricted ImageNet classes"):
        rin.RestrictedImageNet(tmp_path / "x", "val")


@pytest.mark.realdata
def test_real_sample_counts_and_decoding():
    from tradeoff.data.registry import dataset_root

    SAMPLE = dataset_root("restricted_imagenet")
    if SAMPLE is None or not (SAMPLE / "val").is_dir():
        pytest.skip("set $TRADEOFF_IMAGENET_ROOT to the Restricted ImageNet sample (a folder with val/)")
    ds = rin.RestrictedImageNet(SAMPLE, "val")
    expected = {
        "dog": 118,
        "cat": 5,
        "frog": 3,
        "turtle": 5,
        "bird": 21,
        "primate": 18,
        "fish": 9,
        "crab": 4,
        "insect": 20,
    }
    assert len(ds) == 203 and ds.counts() == expected and ds.class_counts() == expected
    from tradeoff.deep.datasets import DatasetBatches

    x, y = next(iter(DatasetBatches(ds, 8, shuffle=False, num_workers=0).epoch(0)))
    assert x.shape == (8, 3, 224, 224) and y.dtype == torch.int64
    assert np.all(np.isin(y.numpy(), np.arange(9)))
    assert rin.RestrictedImageNet(SAMPLE, "val", balanced=True).counts()["dog"] == 11


def test_package_resources_load_outside_the_repository(tmp_path):
    """The class lists ship inside tradeoff.data: importing from another folder (no repository on sys.path, so no
    top-level 'data' package to fall back on) must find them."""
    import subprocess
    import sys

    code = "import tradeoff.data.imagenet as m; print(len(m.imagenet_wnids()))"
    out = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1000"
