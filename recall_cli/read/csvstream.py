"""Delimited text read in columnar batches by Arrow's CSV reader, with the stdlib's rules.

The stdlib path (`load.text_sheet`) holds the whole text, every record as a
Python list and an object grid: about twelve times the file. This reader
keeps the same promises with Arrow strings:

- The head of the file (at least `HEAD_BYTES` and 200 lines) is decoded and
  read by the stdlib exactly as before: the encoding is detected on it, the
  `sep=` line and the sniffed delimiter come from it, and its records (title
  rows, the header) are kept as the stdlib reads them.
- The rest is streamed by `pyarrow.csv.open_csv` from the byte where the
  head's last whole record ends, serially (records keep their order and
  numbers, and quoted line breaks are safe), every value as text.
- A record with another field count (a ragged row) comes to the invalid-row
  handler with its text and number; the stdlib reads it, so it is padded,
  cut and counted exactly as before.

Whatever this reader cannot mirror exactly hands the file back to the stdlib
path (`Fallback`): UTF-16, a head with a record over several lines or a NUL,
a tail whose physical lines differ from its records (quoted line breaks, to
check for stray quotes), a NUL byte anywhere, bytes that are not text in the
detected encoding. Those files cost what they cost before; none is misread.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from recall_cli.read.options import LoadOptions

#: At least this much of a file is read by the stdlib first (encoding, delimiter, title rows).
HEAD_BYTES = 1 << 20
#: The delimiter sniffer looks at the first 200 lines: the head holds them all.
HEAD_LINES = 201
#: A head that has not found its 200 lines by this size stops there anyway.
HEAD_MAX = 64 << 20
#: How far the head grows at a time towards its 200 lines.
HEAD_STEP = 1 << 16
#: Bytes Arrow parses at a time: the batch that bounds the reader's own memory.
BLOCK_BYTES = 16 << 20


class Fallback(Exception):
    """This file is read by the stdlib path instead (the reason is for tests and --debug)."""


class _Counted:
    """A binary file read through, counting physical lines and watching for NUL bytes.

    Lines are counted as the stdlib counts them with newline="": \r\n, \r and
    \n each end one, and a last line without an end counts too. Arrow calls
    `read` with its block size, so the counting is one pass per block.
    """

    closed = False

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.breaks = 0
        self.nul = False
        self._last = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if data:
            self.breaks += _breaks(data)
            if self._last == b"\r" and data[:1] == b"\n":
                self.breaks -= 1  # one \r\n split across two reads
            self._last = data[-1:]
            if b"\x00" in data:
                self.nul = True
        return data

    @property
    def lines(self) -> int:
        return self.breaks + (1 if self._last not in (b"", b"\r", b"\n") else 0)


def _breaks(data: bytes) -> int:
    """Line ends in data: \r\n, \r and \n (the two-byte count is slow: only when needed)."""
    n = data.count(b"\n")
    if b"\r" in data:
        n += data.count(b"\r") - data.count(b"\r\n")
    return n


def _head(fh: Any) -> bytes:
    """The first HEAD_BYTES of the file, extended to HEAD_LINES lines and a line's end."""
    parts = [fh.read(HEAD_BYTES)]
    size, lines = len(parts[0]), _breaks(parts[0])
    while lines < HEAD_LINES and size < HEAD_MAX:
        more = fh.read(HEAD_STEP)
        if not more:
            break
        parts.append(more)
        size, lines = size + len(more), lines + _breaks(more)
    parts.append(fh.readline(max(HEAD_MAX - size, 1)))  # to the end of the line it cut
    return b"".join(parts)


def read_stream(
    path: Path,
    options: LoadOptions,
    opener: Callable[[], AbstractContextManager[Any]] | None = None,
) -> tuple[Any, dict[str, object]]:
    """The cells of a delimited text file as an Arrow table, and the reader's details.

    Columns are named "0", "1", ... as wide as the used width, plus
    `load.NFIELDS`, each record's real field count. `opener` opens the bytes
    (a member of a .csv.gz or .csv.zip); by default the file at `path`. Raises
    Fallback when the stdlib path must read the file.
    """
    from recall_cli.read.load import detect_encoding, sniff_delimiter, used_width

    if opener is None:
        opener = functools.partial(path.open, "rb")
    with opener() as fh:
        head = _head(fh)
        at_end = not fh.read(1)
    if at_end:
        raise Fallback("the whole file is its head")
    encoding = options.encoding or detect_encoding(head)
    if encoding.replace("_", "-").lower().startswith("utf-16"):
        raise Fallback("UTF-16")
    codec = encoding.replace("_", "-").lower()
    if codec == "utf-8-sig":
        codec = "utf-8"  # the mark is skipped by its bytes below
    try:
        text = head.decode(codec)
    except (UnicodeDecodeError, LookupError) as exc:
        # Perhaps only cut in a character: the stdlib path reads and judges the whole file.
        raise Fallback("head does not decode") from exc
    bom = 0
    if text.startswith("\ufeff"):
        text = text[1:]
        bom = len("\ufeff".encode(codec))
    hint = re.match(r"sep=(.)\r?\n", text)
    delimiter = options.delimiter or (hint[1] if hint else sniff_delimiter(text))
    records, offset = _head_records(text, delimiter, codec)
    width = _stream_width(records)
    if width < 2:
        raise Fallback("no table in the head")
    with opener() as fh:
        fh.seek(bom + offset)
        counted = _Counted(fh)
        tail, bad = _read_tail(counted, width, delimiter, codec)
    if counted.nul:
        raise Fallback("a NUL byte")
    n_tail = sum(len(b) for b in tail) + len(bad)
    if counted.lines != n_tail:
        raise Fallback("a record over several lines")
    extra = [_stdlib_record(t, delimiter) for _, t in bad]
    used = max(used_width(records), used_width(extra), _used_tail(tail, width))
    table = _assemble(records, tail, bad, extra, width, used)
    details: dict[str, object] = {
        "reader": "csv",
        "encoding": encoding,
        "delimiter": {"\t": "tab"}.get(delimiter, delimiter),
    }
    return table, details


def _head_records(text: str, delimiter: str, encoding: str) -> tuple[list[list[str]], int]:
    """The head's whole records (not the one its last line may cut) and the bytes they span."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    ends: list[int] = []
    for record in reader:
        records.append(record)
        ends.append(reader.line_num)
    # The last record may go on past the head: it is read again by Arrow.
    while records and ends[-1] >= len(lines) - 1:
        records.pop()
        ends.pop()
    if any(end != k + 1 for k, end in enumerate(ends)):
        raise Fallback("a record over several lines in the head")
    if "\x00" in text:
        raise Fallback("a NUL byte in the head")
    taken = len(records)
    return records, len("".join(lines[:taken]).encode(encoding))


def _stream_width(records: Sequence[Sequence[str]]) -> int:
    from recall_cli.read.load import table_width

    return table_width(records[-HEAD_LINES:])


def _read_tail(
    fh: _Counted, width: int, delimiter: str, codec: str
) -> tuple[list[Any], list[tuple[int, str]]]:
    """The tail's batches of `width` text columns, and its other records (number, text)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [str(j) for j in range(width)]
    bad: list[tuple[int, str]] = []

    def other(row: Any) -> str:
        bad.append((row.number, row.text))
        return "skip"

    read = pcsv.ReadOptions(
        use_threads=False,  # records in order, each with its number; safe with quoted breaks
        block_size=BLOCK_BYTES,
        column_names=names,
        encoding="utf8" if codec in ("utf-8", "utf8") else codec,
    )
    parse = pcsv.ParseOptions(
        delimiter=delimiter,
        newlines_in_values=True,
        ignore_empty_lines=False,
        invalid_row_handler=other,
    )
    convert = pcsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.large_string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
    )
    try:
        reader = pcsv.open_csv(fh, read_options=read, parse_options=parse, convert_options=convert)
        batches = list(reader)
    except pa.ArrowInvalid as exc:  # not text in this encoding, or what Arrow cannot parse
        raise Fallback(f"Arrow: {type(exc).__name__}") from exc
    except UnicodeDecodeError as exc:
        raise Fallback("tail does not decode") from exc
    if any(n is None for n, _ in bad):
        raise Fallback("a record without its number")
    return batches, bad


def _stdlib_record(text: str, delimiter: str) -> list[str]:
    if "\n" in text or "\r" in text:
        raise Fallback("a record over several lines")
    return next(csv.reader([text], delimiter=delimiter, strict=False), [])


def _used_tail(batches: Sequence[Any], width: int) -> int:
    """The streamed columns' used width: up to the last one with a non-empty value."""
    import pyarrow.compute as pc

    for j in range(width - 1, -1, -1):
        for b in batches:
            if len(b) and pc.max(pc.binary_length(b.column(j))).as_py():
                return j + 1
    return 0


def _assemble(
    head: list[list[str]],
    tail: list[Any],
    bad: list[tuple[int, str]],
    extra: list[list[str]],
    width: int,
    used: int,
) -> Any:
    """One table of `used` text columns: the head's records, then the tail's in file order."""
    import numpy as np
    import pyarrow as pa

    from recall_cli.read.load import NFIELDS

    n_valid = sum(len(b) for b in tail)
    order = None
    if bad:
        # Positions in the tail: each other record at its number, the valid ones between.
        total = n_valid + len(bad)
        at = np.array([n - 1 for n, _ in bad], dtype=np.int64)
        is_bad = np.zeros(total, dtype=bool)
        is_bad[at] = True
        order = np.empty(total, dtype=np.int64)
        order[~is_bad] = np.arange(n_valid)
        order[at] = n_valid + np.arange(len(bad))
        order_arr = pa.array(order)
    columns: list[Any] = []
    for j in range(used):
        head_col = pa.array([r[j] if j < len(r) else "" for r in head], pa.large_string())
        if j < width:
            chunks = [b.column(j) for b in tail]
        else:
            chunks = [pa.repeat(pa.scalar("", pa.large_string()), n_valid)]
        if order is not None:
            others = pa.array([r[j] if j < len(r) else "" for r in extra], pa.large_string())
            chunks = [pa.chunked_array([*chunks, others], pa.large_string()).take(order_arr)]
        columns.append(pa.chunked_array([head_col, *chunks], pa.large_string()))
    counts = np.full(n_valid + len(bad), width, dtype=np.int64)
    if order is not None:
        valid_counts = counts[:n_valid]
        counts = np.concatenate([valid_counts, [len(r) for r in extra]])[order]
    nfields = np.concatenate([np.array([len(r) for r in head], dtype=np.int64), counts])
    names = [str(j) for j in range(used)]
    return pa.table([*columns, pa.array(nfields)], names=[*names, NFIELDS])
