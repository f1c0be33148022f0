"""The IDX file format of the MNIST distribution: reader (with strict checks) and writer.

An IDX file is: two zero bytes; one dtype code byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64); one byte giving the number of dimensions ``k``; ``k`` big-endian uint32
sizes; then ``prod(sizes)`` big-endian values, nothing more. See LeCun et al., "The MNIST database".
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .io import atomic_write_bytes

#: IDX dtype code -> big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an IDX file into an array of its declared shape and dtype (native byte order).

    Checks the two zero magic bytes, the dtype code, the number of dimensions and that the length is exactly
    ``4 + 4k + prod(sizes) * itemsize``; raises ValueError naming ``name`` and the problem otherwise."""
    if len(raw) < 4:
        raise ValueError(f"{name}: not an IDX file: only {len(raw)} bytes (truncated or empty)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"{name}: not an IDX file: bad magic bytes {raw[:4].hex()} (expected 0000<dtype><ndim>); "
            "is it still gzip-compressed or a different file?"
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"{name}: not an IDX file: unknown dtype code 0x{code:02x}")
    if ndim == 0:
        raise ValueError(f"{name}: not an IDX file: zero dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name}: truncated IDX header ({len(raw)} bytes, need {header})")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(
            f"{name}: IDX file {what}: {len(raw)} bytes but header declares shape {dims} of {dtype.name} "
            f"({expected} bytes); delete it and fetch it again"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True) if dtype.itemsize > 1 else arr.copy()


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an (uncompressed) IDX file; see :func:`parse_idx` for the checks."""
    path = Path(path)
    return parse_idx(path.read_bytes(), name=str(path))


def encode_idx(arr: np.ndarray) -> bytes:
    """The IDX bytes of ``arr`` (its dtype must be one of :data:`IDX_DTYPES`, any byte order)."""
    arr = np.asarray(arr)
    matches = [
        (c, dt) for c, dt in IDX_DTYPES.items() if (dt.kind, dt.itemsize) == (arr.dtype.kind, arr.dtype.itemsize)
    ]
    if not matches:
        raise ValueError(f"dtype {arr.dtype} has no IDX code")
    code, dt = matches[0]
    if arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"IDX needs 1..255 dimensions, got {arr.ndim}")
    head = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    return head + np.ascontiguousarray(arr, dtype=dt).tobytes()


def write_idx(path: str | os.PathLike, arr: np.ndarray) -> Path:
    """Write ``arr`` as an IDX file, atomically."""
    return atomic_write_bytes(path, encode_idx(arr))
