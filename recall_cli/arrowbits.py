"""Arrow to numpy and back through buffers, never through pyarrow's pandas shim.

pyarrow imports pandas (0.3-0.5 s) the first time it converts Python objects or
turns an array into numpy (`pa.array`, `pa.scalar`, `to_numpy`), to check for
pandas types. The cached support path (quick.py) answers in less time than that
import, so it moves data with these helpers instead. Arrow compute kernels and
`to_pylist` do not touch the shim.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .rules import Distinct, RuleInputs


def _chunks(arr: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    # Each chunk is converted on its own: joining chunks in Arrow goes through the shim.
    return list(arr.chunks) if isinstance(arr, pa.ChunkedArray) else [arr]


def _joined(parts: list[np.ndarray], dtype: str) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _valid(arr: pa.Array) -> np.ndarray:
    n = len(arr)
    if arr.null_count == 0:
        return np.ones(n, dtype=bool)
    bits = np.frombuffer(arr.buffers()[0], dtype=np.uint8)
    return np.unpackbits(bits, bitorder="little")[arr.offset : arr.offset + n].astype(bool)


def _bools(a: pa.Array) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    bits = np.frombuffer(a.buffers()[1], dtype=np.uint8)
    values = np.unpackbits(bits, bitorder="little")[a.offset : a.offset + len(a)].astype(bool)
    return values & _valid(a)


def bools(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean array (null counts as False)."""
    return _joined([_bools(a) for a in _chunks(arr)], "bool")


def _fixed(a: pa.Array, dtype: str, null: object) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=dtype)
    width = np.dtype(dtype).itemsize
    values = np.frombuffer(a.buffers()[1], dtype=dtype, count=len(a), offset=a.offset * width)
    if a.null_count:
        values = values.copy()
        values[~_valid(a)] = null
    return values


_ARROW_TYPES = {"int32": pa.int32(), "int64": pa.int64(), "float64": pa.float64()}


def fixed(arr: pa.Array | pa.ChunkedArray, dtype: str, null: object = 0) -> np.ndarray:
    """Values of a numeric array as `dtype`, nulls set to `null`.

    The buffers are read as they lie, so an array of another type is cast first:
    reading an int64 buffer as float64 would give garbage, not an error.
    """
    wanted = _ARROW_TYPES[dtype]
    if arr.type != wanted:
        arr = pc.cast(arr, wanted, safe=False)
    return _joined([_fixed(a, dtype, null) for a in _chunks(arr)], dtype)


_SECONDS = pa.timestamp("s")


NAT = np.iinfo(np.int64).min  # how numpy stores NaT


def seconds(arr: pa.Array | pa.ChunkedArray, null: int = NAT) -> np.ndarray:
    """A date or timestamp column as int64 seconds since 1970, `null` where null."""
    if arr.type != _SECONDS:  # milliseconds or nanoseconds read as seconds would be wrong
        arr = pc.cast(arr, _SECONDS, safe=False)
    return fixed(pc.cast(arr, pa.int64()), "int64", null)


def days(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A date or timestamp column as datetime64[D], NaT where null."""
    return seconds(arr).view("datetime64[s]").astype("datetime64[D]")


def indices(positions: np.ndarray) -> pa.Array:
    """Row positions as an Arrow int64 array, for `take`."""
    data = np.ascontiguousarray(positions, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def strings(values: Sequence[str]) -> pa.Array:
    """A large_string array of Python strings."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.large_string(),
        len(encoded),
        [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
    )


def text(value: str) -> pa.Scalar:
    return strings([value])[0]


def distinct(arr: pa.Array | pa.ChunkedArray) -> Distinct:
    """Codes per row into the distinct values (null read as "")."""
    values = pc.unique(arr)
    codes = fixed(pc.index_in(arr, value_set=values), "int32")
    return Distinct(codes, ["" if v is None else str(v) for v in values.to_pylist()])


def rule_inputs(table: pa.Table) -> RuleInputs:
    """The columns rules.classify reads (RULE_COLUMNS), from an Arrow table."""
    return RuleInputs(
        kind=distinct(table["kind"]),
        lot=distinct(table["lot"]),
        country=distinct(table["country"]),
        problem=distinct(table["problem"]),
        day=days(table["ship_date"]),
        has_identity=bools(pc.not_equal(table["customer_key"], text(""))),
    )
