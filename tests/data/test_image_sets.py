"""Any labelled image set (data.image_sets, data.image_folder): .npz and image-folder round trips, the registered
sets through the registry, and a one-line error for every bad input. Fixtures are written by the tests."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tradeoff.data.image_sets import data_hash, load_image_set
from tradeoff.data.registry import dataset_info
from tradeoff.data.toy import toy_data


def _one_line(excinfo, *words):
    text = str(excinfo.value)
    assert "\n" not in text, text
    for w in words:
        assert w in text, (w, text)


def _pixels(n=6, c=3, h=5, w=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, c, h, w), dtype=np.uint8), (np.arange(n) % 3).astype(np.int64)


# ---------------------------------------------------------------- registered sets
def test_a_registered_set_comes_through_the_registry():
    x, y, info = load_image_set("toy", "test")
    tx, ty = toy_data("test")
    assert np.array_equal(x, tx.numpy()) and np.array_equal(y, ty.numpy())
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (1000, 1, 12, 12)
    d = dataset_info("toy")
    assert info.kind == "registered" and info.class_names == d.class_names and info.num_classes == 4
    assert info.mean == d.mean and info.std == d.std and info.shape == (1, 12, 12) and info.n == 1000
    assert info.data_hash == data_hash(x, y)
    _, _, train = load_image_set("toy", "train")
    assert train.data_hash != info.data_hash and train.n == 2000


def test_a_set_read_image_by_image_is_refused_with_the_fix():
    with pytest.raises(ValueError) as e:
        load_image_set("restricted_imagenet")
    _one_line(e, "restricted_imagenet", "one sub-folder per class")


def test_an_unknown_name_that_is_no_path_names_the_choices(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        load_image_set(str(tmp_path / "nope"))
    _one_line(e, "mnist", "cifar10", ".npz")


# ---------------------------------------------------------------- .npz
def test_npz_round_trip_uint8_and_float(tmp_path):
    x, y = _pixels()
    np.savez(tmp_path / "u.npz", x=x, y=y, classes=np.array(["cat", "dog", "eel"]))
    gx, gy, info = load_image_set(str(tmp_path / "u.npz"))
    assert gx.dtype == np.uint8 and np.array_equal(gx, x) and np.array_equal(gy, y) and gy.dtype == np.int64
    assert info.kind == "npz" and info.class_names == ("cat", "dog", "eel") and info.shape == (3, 5, 7)
    assert info.notes == () and info.dtype == "uint8" and info.data_hash == data_hash(x, y)

    f = x.astype(np.float64) / 255
    np.savez(tmp_path / "f.npz", x=f, y=y.astype(np.uint8))
    fx, fy, finfo = load_image_set(str(tmp_path / "f.npz"))
    assert fx.dtype == np.float32 and np.allclose(fx, f) and fy.dtype == np.int64 and np.array_equal(fy, y)
    assert finfo.class_names == ("0", "1", "2") and finfo.data_hash != info.data_hash


def test_npz_channels_last_and_greyscale_layouts_are_converted_and_said(tmp_path):
    x, y = _pixels(c=3, h=8, w=9)
    np.savez(tmp_path / "hwc.npz", x=x.transpose(0, 2, 3, 1), y=y)
    gx, _, info = load_image_set(str(tmp_path / "hwc.npz"))
    assert np.array_equal(gx, x) and any("channels last" in n for n in info.notes)
    assert info.data_hash == data_hash(x, y)  # the same set as stored channels-first

    np.savez(tmp_path / "g.npz", x=x[:, 0], y=y)
    gx, _, info = load_image_set(str(tmp_path / "g.npz"))
    assert np.array_equal(gx, x[:, :1]) and any("one channel" in n for n in info.notes)

    square, _ = _pixels(c=3, h=3, w=3)  # 3x3x3: both ends could be channels; the documented layout wins
    np.savez(tmp_path / "amb.npz", x=square, y=y)
    gx, _, info = load_image_set(str(tmp_path / "amb.npz"))
    assert np.array_equal(gx, square) and any("taken as N×C×H×W" in n for n in info.notes)


def test_npz_splits_and_absent_classes(tmp_path):
    x, y = _pixels()
    tx, ty = _pixels(n=4, seed=1)
    np.savez(tmp_path / "s.npz", x_train=x, y_train=y, x_test=tx, y_test=np.array([0, 0, 3, 3]))
    gx, gy, _ = load_image_set(str(tmp_path / "s.npz"), "train")
    assert np.array_equal(gx, x) and np.array_equal(gy, y)
    gx, gy, info = load_image_set(str(tmp_path / "s.npz"), "test")
    assert np.array_equal(gx, tx) and info.num_classes == 4 and any("1, 2" in n for n in info.notes)
    np.savez(tmp_path / "one.npz", x=x, y=y)
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "one.npz"), "train")
    _one_line(e, "'x_train'", "keys: x, y", "x_train=images")


def _bad(tmp_path, **arrays):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "bad.npz"))
    return e


def test_every_bad_npz_gives_one_line_naming_the_key_and_the_fix(tmp_path):
    x, y = _pixels()
    f = x / 255.0
    f_nan = f.copy()
    f_nan[2, 0, 0, 0] = np.nan
    _one_line(_bad(tmp_path, x=f_nan, y=y), "'x'", "NaN", "image 2")
    _one_line(_bad(tmp_path, x=f * 255, y=y), "'x'", "outside [0, 1]", "divide by 255")
    _one_line(_bad(tmp_path, x=f - 0.5, y=y), "'x'", "outside [0, 1]", "normalisation belongs inside the model")
    _one_line(_bad(tmp_path, x=x.astype(np.int64), y=y), "'x'", "int64", "uint8")
    _one_line(_bad(tmp_path, x=x[0, 0], y=y), "'x'", "shape (5, 7)", "N×C×H×W")
    _one_line(_bad(tmp_path, x=np.zeros((6, 9, 9, 9), np.uint8), y=y), "'x'", "channel count")
    _one_line(_bad(tmp_path, x=np.zeros((0, 1, 4, 4), np.uint8), y=y[:0]), "'x'", "no images")
    _one_line(_bad(tmp_path, x=x, y=y.astype(np.float32)), "'y'", "float32", "integer")
    _one_line(_bad(tmp_path, x=x, y=np.eye(3)[y].astype(np.int64)), "'y'", "one-hot")
    _one_line(_bad(tmp_path, x=x, y=y[:-1]), "'y'", "5 labels", "6 images")
    _one_line(_bad(tmp_path, x=x, y=np.array([0, 1, -1, 0, 1, 2])), "'y'", "label -1", "index 2")
    _one_line(_bad(tmp_path, x=x, y=y, classes=np.array(["a", "b"])), "'y'", "label 2", "2 class names")
    _one_line(_bad(tmp_path, x=x, y=y, classes=np.array(["a", "a", "b"])), "'classes'", "distinct")
    _one_line(_bad(tmp_path, images=x, y=y), "no key 'x'", "keys: images, y")
    # an object array is refused without unpickling it
    _one_line(_bad(tmp_path, x=x, y=np.array([0, "a", 1, 2, 0, 1], dtype=object)), "'y'", "Python objects")


def test_files_that_are_not_npz_archives(tmp_path):
    (tmp_path / "junk.npz").write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "junk.npz"))
    _one_line(e, "not a readable .npz", "numpy.savez")
    np.save(tmp_path / "one.npy", np.zeros(3))
    (tmp_path / "one.npz").write_bytes((tmp_path / "one.npy").read_bytes())
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "one.npz"))
    _one_line(e, ".npy", "keys x and y")
    (tmp_path / "d.json").write_text("{}")
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "d.json"))
    _one_line(e, "not a .npz", "one sub-folder per class")
    np.savez(tmp_path / "ok.npz", x=_pixels()[0], y=_pixels()[1])
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "ok.npz"), root=tmp_path)
    _one_line(e, "root", "registered")


# ---------------------------------------------------------------- image folders
def _write_folder(root, x, y, names, mode="RGB"):
    for i, (img, label) in enumerate(zip(x, y)):
        folder = root / names[label]
        folder.mkdir(parents=True, exist_ok=True)
        arr = img.transpose(1, 2, 0) if mode == "RGB" else img[0]
        Image.fromarray(arr, mode=mode).save(folder / f"{i:03d}.png")


def test_folder_round_trip_decodes_to_the_arrays_written(tmp_path):
    x, y = _pixels(n=9, c=3, h=6, w=4)
    names = ("bird", "ant", "cat")  # labels follow the sorted names, not the order written
    _write_folder(tmp_path / "set", x, y, names)
    gx, gy, info = load_image_set(str(tmp_path / "set"))
    order = {"ant": 0, "bird": 1, "cat": 2}
    want_y = np.array([order[names[v]] for v in y])
    idx = np.argsort(want_y, kind="stable")  # classes in sorted order, files in name order within each
    assert info.class_names == ("ant", "bird", "cat") and info.kind == "folder" and info.notes == ()
    assert gx.dtype == np.uint8 and np.array_equal(gx, x[idx]) and np.array_equal(gy, want_y[idx])
    assert info.data_hash == data_hash(x[idx], want_y[idx])


def test_folder_greyscale_stays_one_channel_and_mixed_modes_become_rgb(tmp_path):
    x, y = _pixels(n=4, c=1, h=5, w=5)
    _write_folder(tmp_path / "g", x, y, ("a", "b", "c"), mode="L")
    gx, _, info = load_image_set(str(tmp_path / "g"))
    assert gx.shape == (4, 1, 5, 5) and sorted(gx.reshape(4, -1).tolist()) == sorted(x.reshape(4, -1).tolist())

    rgb, _ = _pixels(n=1, c=3, h=5, w=5, seed=3)
    Image.fromarray(rgb[0].transpose(1, 2, 0)).save(tmp_path / "g" / "a" / "zz_rgb.png")
    rgba = np.concatenate([rgb[0].transpose(1, 2, 0), np.full((5, 5, 1), 7, np.uint8)], axis=2)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "g" / "b" / "zz_rgba.png")
    (tmp_path / "g" / "c" / "README.txt").write_text("not an image")
    gx, gy, info = load_image_set(str(tmp_path / "g"))
    assert gx.shape == (6, 3, 5, 5)
    grey = gx[(gy == 0)][0]  # a greyscale image, replicated over the three channels
    assert np.array_equal(grey[0], grey[1]) and np.array_equal(grey[1], grey[2])
    a_last = gx[gy == 0][-1]
    b_last = gx[gy == 1][-1]
    assert np.array_equal(a_last, rgb[0]) and np.array_equal(b_last, rgb[0])  # alpha dropped, colours kept
    notes = " | ".join(info.notes)
    assert "mode L to RGB" in notes and "mode RGBA to RGB (alpha dropped)" in notes and "skipped 1 file" in notes


def test_folder_of_splits(tmp_path):
    x, y = _pixels(n=6, c=3, h=4, w=4)
    _write_folder(tmp_path / "s" / "train", x, y, ("a", "b", "c"))
    _write_folder(tmp_path / "s" / "val", x[:3], y[:3], ("a", "b", "c"))
    gx, _, _ = load_image_set(str(tmp_path / "s"), "train")
    assert len(gx) == 6
    gx, _, info = load_image_set(str(tmp_path / "s"), "test")  # test falls back to val
    assert len(gx) == 3 and info.path.endswith("val")
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "s"), "extra")
    _one_line(e, "no extra/", "train, val")
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "s" / "train"), "train")
    _one_line(e, "one set of classes", "train/ and test/")


def test_every_bad_folder_gives_one_line_naming_the_file(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "empty"))
    _one_line(e, "no class sub-folders", "<class name>")

    (tmp_path / "noimg" / "a").mkdir(parents=True)
    (tmp_path / "noimg" / "a" / "x.txt").write_text("hi")
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "noimg"))
    _one_line(e, "no image files")

    x, y = _pixels(n=3, c=3, h=4, w=4)
    _write_folder(tmp_path / "size", x, y, ("a", "b", "c"))
    Image.fromarray(np.zeros((6, 4, 3), np.uint8)).save(tmp_path / "size" / "b" / "big.png")
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "size"))
    _one_line(e, "big.png", "4x6", "4x4", "one size")

    _write_folder(tmp_path / "broken", x, y, ("a", "b", "c"))
    (tmp_path / "broken" / "c" / "zz.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "broken"))
    _one_line(e, "zz.png", "Pillow")

    _write_folder(tmp_path / "deep16", x, y, ("a", "b", "c"))
    Image.fromarray(np.zeros((4, 4), np.uint16)).save(tmp_path / "deep16" / "a" / "zz16.png")
    with pytest.raises(ValueError) as e:
        load_image_set(str(tmp_path / "deep16"))
    _one_line(e, "zz16.png", "pixel mode", "8-bit")
