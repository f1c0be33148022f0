import numpy as np
import pytest

from tradeoff.data.idx import encode_idx, parse_idx, read_idx, write_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_roundtrip_all_dtypes(tmp_path, dtype):
    arr = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / "a.idx", arr)
    back = read_idx(path)
    assert back.shape == arr.shape and back.dtype.kind == np.dtype(dtype).kind
    np.testing.assert_array_equal(back, arr)


def test_header_is_big_endian_per_spec():
    raw = encode_idx(np.zeros((2, 258), dtype=np.uint8))
    assert raw[:4] == bytes([0, 0, 0x08, 2])
    assert raw[4:12] == bytes([0, 0, 0, 2, 0, 0, 1, 2])
    raw16 = encode_idx(np.array([1, 256], dtype=np.int16))
    assert raw16[8:] == bytes([0, 1, 1, 0])


def test_truncated_file_names_file_and_problem(tmp_path):
    raw = encode_idx(np.zeros((5, 28, 28), dtype=np.uint8))
    p = tmp_path / "train-images-idx3-ubyte"
    p.write_bytes(raw[:-10])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.*truncated"):
        read_idx(p)
    p.write_bytes(raw[:9])
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(p)
    p.write_bytes(b"")
    with pytest.raises(ValueError, match="only 0 bytes"):
        read_idx(p)


def test_trailing_bytes_rejected():
    raw = encode_idx(np.zeros(3, dtype=np.uint8)) + b"\x00"
    with pytest.raises(ValueError, match="trailing bytes"):
        parse_idx(raw, "x")


def test_foreign_files_rejected():
    import gzip

    raw = encode_idx(np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match="gzip-compressed"):
        parse_idx(gzip.compress(raw), "x.gz")
    with pytest.raises(ValueError, match="dtype code 0x07"):
        parse_idx(bytes([0, 0, 7, 1, 0, 0, 0, 0]), "x")
    with pytest.raises(ValueError, match="zero dimensions"):
        parse_idx(bytes([0, 0, 8, 0]), "x")
    with pytest.raises(ValueError, match="bad magic"):
        parse_idx(b"<html>not found</html>", "x")
