"""Arrow to numpy and back through buffers, never through pyarrow's pandas shim.

pyarrow imports pandas the first time it converts Python objects or
turns an array into numpy (`pa.array`, `pa.scalar`, `to_numpy`), to check for
pandas types. The cached support path (quick.py) answers in less time than that
import, so it moves data with these helpers instead. Arrow compute kernels and
`to_pylist` do not touch the shim.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from recall_cli.normalize.distinct import Distinct, spread


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


def take(arr: pa.Array | pa.ChunkedArray, positions: np.ndarray) -> pa.ChunkedArray:
    """The values at these row positions, as `arr.take`: one chunk, nulls kept.

    A column read in many chunks (a streamed CSV has one per batch) is joined
    whole by Arrow's take before it picks a row. Picking a few rows is done
    chunk by chunk, each chunk picking its own rows, and the picks put back in
    the order asked; many rows (and coded columns) go to Arrow's take.
    """
    chunks = _chunks(arr)
    pos = np.ascontiguousarray(positions, dtype=np.int64)
    if len(chunks) <= 1 or len(pos) * 8 > len(arr) or pa.types.is_dictionary(arr.type):
        out = arr.take(indices(pos))
        return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out], arr.type)
    starts = np.zeros(len(chunks) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in chunks], out=starts[1:])
    if len(pos) and (int(pos.min()) < 0 or int(pos.max()) >= len(arr)):
        raise IndexError("take: a position outside the array")
    ascending = bool((pos[1:] >= pos[:-1]).all())
    order = np.arange(len(pos)) if ascending else np.argsort(pos, kind="stable")
    picked = pos[order]
    bounds = np.searchsorted(picked, starts)  # picked[bounds[j]:bounds[j + 1]] are chunk j's
    parts = [chunks[0].slice(0, 0)]
    for j, chunk in enumerate(chunks):
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        if hi > lo:
            parts.append(chunk.take(indices(picked[lo:hi] - starts[j])))
    gathered = pa.concat_arrays(parts)
    if not ascending:
        back = np.empty(len(pos), dtype=np.int64)
        back[order] = np.arange(len(pos))
        gathered = gathered.take(indices(back))
    return pa.chunked_array([gathered], arr.type)


def take_rows(table: pa.Table, positions: np.ndarray) -> pa.Table:
    """The table's rows at these positions, as `Table.take` (each column by `take`)."""
    return pa.table([take(c, positions) for c in table.columns], schema=table.schema)


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


def _codes(a: pa.DictionaryArray) -> np.ndarray:
    """A dictionary array's indices as they lie, in their own width (null slots unmasked)."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.int32)
    width = a.indices.type.to_pandas_dtype()
    return np.frombuffer(
        a.indices.buffers()[1],
        dtype=width,
        count=len(a),
        offset=a.offset * np.dtype(width).itemsize,
    )


def codes_in_range(a: pa.DictionaryArray) -> bool:
    """Whether the code of every valid slot points into the dictionary.

    What Arrow's full validation checks of a dictionary array's codes, in one
    vectorised pass: the array's buffers must have been validated (`validate()`).
    """
    codes = _codes(a)
    if a.null_count:
        codes = codes[_valid(a)]
    size = len(a.dictionary)
    if not len(codes):
        return True
    if size <= np.iinfo(codes.dtype).max:
        # Read as unsigned, a negative code is past any dictionary this width can
        # address: one pass, the largest code only.
        return int(codes.view(codes.dtype.str.replace("i", "u")).max()) < size
    return int(codes.min()) >= 0 and int(codes.max()) < size


def distinct(arr: pa.Array | pa.ChunkedArray) -> Distinct:
    """Codes per row into the distinct values (null read as "")."""
    chunks = _chunks(arr)
    if pa.types.is_dictionary(arr.type) and len(chunks) == 1 and chunks[0].null_count == 0:
        # A compact cached column (cache.COMPACT_COLUMNS) holds its codes already.
        # Rows taken from it keep the whole dictionary: values no row uses are
        # dropped, so that the values are those present, as after dictionary_encode.
        codes = _codes(chunks[0]).astype(np.int32)
        dictionary = chunks[0].dictionary
        used = np.zeros(len(dictionary), dtype=bool)
        if len(dictionary) == 1:
            used[:] = len(codes) > 0
        else:
            used[codes] = True  # a store per row: cheaper than counting them
        if used.all():
            return Distinct(codes, dictionary.to_pylist())
        # A few rows of a long dictionary (one customer's): only their values are decoded.
        renumbered = (np.cumsum(used) - 1).astype(np.int32)
        values = dictionary.take(indices(np.flatnonzero(used))).to_pylist()
        return Distinct(renumbered[codes], values)
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    chunks = _chunks(arr)
    if len(chunks) == 1:
        # One pass: unique then index_in hashes every row twice.
        encoded = pc.dictionary_encode(chunks[0])
        return Distinct(fixed(encoded.indices, "int32"), encoded.dictionary.to_pylist())
    values = pc.unique(arr)
    codes = fixed(pc.index_in(arr, value_set=values), "int32")
    return Distinct(codes, [str(v) for v in values.to_pylist()])


# --- edge whitespace ----------------------------------------------------------

# Bytes that can open or close a character Arrow's utf8_trim_whitespace removes:
# ASCII controls and space, DEL, and the UTF-8 lead bytes of U+0085, U+00A0
# (0xC2), U+1680 (0xE1), U+2000-U+205F (0xE2) and U+3000 (0xE3). A string whose
# edges show none of them has nothing to trim. The test is conservative ("é"
# ends in 0xC3 0xA9 and passes; a kana ending in 0xE3 .. .. is trimmed to be sure).
_EDGE = np.zeros(256, dtype=bool)  # a byte that may open or close whitespace
_EDGE[:0x21] = _EDGE[0x7F] = True
_EDGE[[0xC2, 0xE1, 0xE2, 0xE3]] = True
_CONTROL = np.zeros(256, dtype=bool)  # a last byte that is whitespace itself
_CONTROL[:0x21] = _CONTROL[0x7F] = True
_LEAD3 = np.zeros(256, dtype=bool)  # the lead byte of a three-byte space
_LEAD3[[0xE1, 0xE2, 0xE3]] = True


def _large(a: pa.Array) -> pa.Array:
    # large_string is what pandas holds: for a string array only the offsets are copied.
    return a if a.type == pa.large_string() else a.cast(pa.large_string())


def _offsets(a: pa.Array) -> npt.NDArray[np.int64]:
    """Where each string of a large_string array starts and ends in its data buffer."""
    assert a.type == pa.large_string()
    return np.frombuffer(a.buffers()[1], dtype=np.int64, count=len(a) + 1, offset=a.offset * 8)


def _edge_suspects(a: pa.Array) -> np.ndarray:
    """Rows whose first or last character might be whitespace (never a false negative)."""
    n = len(a)
    offsets = _offsets(a)
    data_buffer = a.buffers()[2]
    if data_buffer is None or data_buffer.size == 0 or n == 0:
        return np.zeros(n, dtype=bool)
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    start, end = offsets[:-1], offsets[1:]
    # mode="clip": a position before a short string's start reads its neighbour's
    # bytes, which can only add suspects.
    last = data.take(end - 1, mode="clip")
    suspect = _EDGE[data.take(start, mode="clip")] | _CONTROL[last]
    wide = np.flatnonzero(last >= 0x80)  # ends in a multi-byte character
    if len(wide):
        tail = end[wide]
        suspect[wide] |= (data.take(tail - 2, mode="clip") == 0xC2) | _LEAD3[
            data.take(tail - 3, mode="clip")
        ]
    suspect &= end > start
    return suspect


def filled(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True where a text array holds a string that is not empty (null is blank).

    Read from the offsets, without comparing each string with "".
    """
    parts = []
    for a in _chunks(arr):
        if pa.types.is_dictionary(a.type):  # a compact cached column: each value tested once
            # The last entry is for null slots, whose codes mean nothing.
            lookup = np.append(filled(a.dictionary), False)
            codes = _codes(a)
            if a.null_count:
                codes = np.where(_valid(a), codes, len(lookup) - 1)
            parts.append(lookup[codes])
        else:
            a = _large(a)
            parts.append((np.diff(_offsets(a)) > 0) & _valid(a))
    return _joined(parts, "bool")


def among(arr: pa.Array | pa.ChunkedArray, values: Sequence[str]) -> np.ndarray:
    """True where a text array holds one of `values` (null holds none): `pc.is_in`, as bools.

    A compact cached column is tested once per distinct value and spread to the
    rows through its codes: the kernels would decode every row's text first.
    """
    parts = []
    for a in _chunks(arr):
        if not values or pa.types.is_null(a.type):  # a column of nulls only holds none
            parts.append(np.zeros(len(a), dtype=bool))
        elif pa.types.is_dictionary(a.type):
            # The last flag is for null slots, whose codes mean nothing.
            flags = np.append(among(a.dictionary, values), False)
            codes = _codes(a)
            if a.null_count:
                codes = np.where(_valid(a), codes, len(flags) - 1)
            parts.append(spread(flags, codes))
        else:
            wanted = strings(list(values)).cast(a.type)
            parts.append(_bools(pc.is_in(a, value_set=wanted)))
    return _joined(parts, "bool")


def plain(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The values themselves, for the kernels that take no dictionary (a compact cached column)."""
    return arr.cast(arr.type.value_type) if pa.types.is_dictionary(arr.type) else arr


def pylist(arr: pa.Array | pa.ChunkedArray) -> list:
    """The values as Python objects: codes are decoded in Arrow first, since pyarrow
    converts a dictionary array through one scalar object per row."""
    return plain(arr).to_pylist()


def records(table: pa.Table) -> list[dict]:
    """The rows as dicts, as `Table.to_pylist`, with coded columns decoded first (see pylist)."""
    return pa.table([plain(c) for c in table.columns], names=table.column_names).to_pylist()


def codes_type(count: int, value_type: pa.DataType) -> pa.DictionaryType:
    """The narrowest dictionary type for `count` distinct values: one byte of code
    for up to 127 values, two up to 32,767, four beyond."""
    width = pa.int8() if count <= 127 else pa.int16() if count <= 32767 else pa.int32()
    return pa.dictionary(width, value_type)


def value_type(arr: pa.Array | pa.ChunkedArray) -> pa.DataType:
    """The type of the values, whether stored plain or as codes."""
    return arr.type.value_type if pa.types.is_dictionary(arr.type) else arr.type


def _without_nulls(a: pa.Array) -> pa.Array:
    """Nulls as "", sharing the buffers when the null slots are already empty."""
    if a.null_count == 0:
        return a
    offsets = _offsets(a)
    null = ~_valid(a)
    if (offsets[1:][null] != offsets[:-1][null]).any():
        return pc.fill_null(a, "")
    buffers = a.buffers()
    return pa.Array.from_buffers(a.type, len(a), [None, buffers[1], buffers[2]], 0, a.offset)


def _packed(mask: np.ndarray) -> pa.Array:
    bits = np.packbits(mask, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(bits)])


def _trimmed_chunk(a: pa.Array) -> pa.Array:
    a = _without_nulls(_large(a))
    suspect = _edge_suspects(a)
    if not suspect.any():
        return a
    at = np.flatnonzero(suspect)
    before = a.take(indices(at))
    after = pc.utf8_trim_whitespace(before)
    if before.equals(after):
        return a
    return pc.replace_with_mask(a, _packed(suspect), after)


def trimmed(arr: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """Text with edge whitespace trimmed and nulls as "", as large_string.

    Exports are clean in most columns: checking the first and last bytes of each
    string in numpy is some twenty times cheaper than trimming every string, and
    a clean column comes back as the same buffers, without a copy.
    """
    return pa.chunked_array([_trimmed_chunk(a) for a in _chunks(arr)], pa.large_string())
