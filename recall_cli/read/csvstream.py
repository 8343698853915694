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
- A plain file's big tail is cut into pieces, one per core, each just after a
  0x0A byte, and each parsed serially by its own reader in a thread of its
  own (`_read_pieces`). The pieces' result is the serial read's or is not
  used: piece k+1 starts at a record boundary if piece k started at one and
  ended outside quotes (`_Piece.ends_a_record`), and each piece must have as
  many records as lines, no line near a block's size and no Arrow error.
  Otherwise the tail is read serially, as above.
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

import codecs
import csv
import functools
import io
import os
import re
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

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
#: Blocks Arrow may read ahead of the batches taken. Its reader reads in a background
#: thread that queues up to 32 blocks (512 MB at 16 MB) when reading outruns parsing.
READ_AHEAD = 4
#: A read kept waiting this long for a batch to be taken goes ahead: the limit saves
#: memory only, it must never stall a read. One slow batch (a loaded machine) lets
#: one more block through, not the rest of the file.
_PATIENCE = 2.0
#: The tail of a plain file is parsed in this many pieces at once, one per core (at most
#: four); with one core it is read in one piece.
PIECES = min(4, os.cpu_count() or 1)
#: Each piece is at least this big: a smaller tail is read in one piece.
PIECE_BYTES = 64 << 20
#: How often the thread waiting for the pieces looks up (Ctrl-C comes to it meanwhile).
_POLL = 0.2


class Fallback(Exception):
    """This file is read by the stdlib path instead (the reason is for tests and --debug)."""


class _Counted:
    """A binary file read through, counting physical lines and watching for NUL bytes.

    Lines are counted as the stdlib counts them with newline="": \r\n, \r and
    \n each end one, and a last line without an end counts too. Arrow calls
    `read` with its block size, so the counting is one pass per block.

    Arrow reads in a thread of its own, ahead of the batches: `read` waits while
    READ_AHEAD blocks are read and not yet parsed into a batch taken (`took`),
    so the bytes in flight stay a few blocks, not the whole file.
    """

    closed = False

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.breaks = 0
        self.nul = False
        self._last = b""
        self._reads = 0
        self._taken = 0
        self._free = False  # reads no longer wait (the read is over)
        self.stopped = False  # the read was given up: it ends at once
        self._turn = threading.Condition()
        self._run = 0  # bytes since the last \n byte
        self.long = False  # some run of bytes without a \n is half a block or more

    def took(self) -> None:
        """A batch was taken: one more block may be read."""
        with self._turn:
            self._taken += 1
            self._turn.notify_all()

    def release(self) -> None:
        """Reads wait no more (the batches are all taken, or the read stopped)."""
        with self._turn:
            self._free = True
            self._turn.notify_all()

    def stop(self) -> None:
        """The read is given up (Ctrl-C): Arrow sees the end of its input at its next read."""
        self.stopped = True
        self.release()

    def _wait_turn(self) -> None:
        with self._turn:
            while not self._free and self._reads - self._taken >= READ_AHEAD:
                if not self._turn.wait(_PATIENCE):
                    break  # this block is read anyway; the next ones wait again
            self._reads += 1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        self._wait_turn()
        if self.stopped:
            return b""
        data = self.raw.read(size)
        if data:
            self.breaks += _breaks(data)
            if self._last == b"\r" and data[:1] == b"\n":
                self.breaks -= 1  # one \r\n split across two reads
            self._last = data[-1:]
            if b"\x00" in data:
                self.nul = True
            self._watch_runs(data)
        return data

    def _watch_runs(self, data: bytes) -> None:
        """Set `long` if a run without a \n byte reaches half a block (then no line does).

        Every full window of half that size after the first \n holds a \n, or
        the run is long: two \n bytes are then less than two windows apart.
        """
        half = max(BLOCK_BYTES // 4, 1)
        first = data.find(b"\n")
        if first < 0:
            self._run += len(data)
            self.long |= self._run >= 2 * half
            return
        if self._run + first >= 2 * half:
            self.long = True
        for at in range(first + 1, len(data) - half + 1, half):
            if data.find(b"\n", at, at + half) < 0:
                self.long = True
                break
        self._run = len(data) - 1 - data.rfind(b"\n")

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
) -> tuple[Any, dict[str, object], dict[int, str], list[str]]:
    """The cells of a delimited text file as an Arrow table, the reader's details, flags, warnings.

    Columns are named "0", "1", ... as wide as the used width, plus
    `load.NFIELDS`, each record's real field count. `opener` opens the bytes
    (a member of a .csv.gz or .csv.zip); by default the file at `path`. Raises
    Fallback when the stdlib path must read the file.
    """
    from recall_cli.read.load import (
        decode_start,
        delimiter_of,
        fix_first_cell,
        text_details,
        text_encoding,
        used_width,
    )

    plain = opener is None  # a file on disk, which can be read from several places at once
    if opener is None:
        opener = functools.partial(path.open, "rb")
    with opener() as fh:
        head = _head(fh)
        at_end = not fh.read(1)
    if at_end:
        raise Fallback("the whole file is its head")
    encoding = text_encoding(head, options)
    codec = encoding.replace("_", "-").lower()
    if codec.startswith("utf-16"):
        raise Fallback("UTF-16")
    if codec == "utf-8-sig":
        codec = "utf-8"  # decode_start skips the mark by its bytes
    try:
        text, bom = decode_start(head, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        # Perhaps only cut in a character: the stdlib path reads and judges the whole file.
        raise Fallback("head does not decode") from exc
    delimiter = delimiter_of(text, options)
    records, offset = _head_records(text, delimiter, codec)
    fix_first_cell(records)
    width = _stream_width(records)
    if width < 2:
        raise Fallback("no table in the head")
    start = bom + offset
    with opener() as fh:
        fh.seek(start)
        first = cast(bytes, fh.read(4))  # opened "rb"
        if first.decode(codec, "replace").startswith("\ufeff"):
            # Arrow drops a byte order mark at the start of its input; here it is data.
            raise Fallback("a byte order mark where the tail starts")
    pieced = _read_pieces(path, start, width, delimiter, codec) if plain else None
    if pieced is None:
        with opener() as fh:
            fh.seek(start)
            counted = _Counted(fh)
            tail, bad = _read_tail(counted, width, delimiter, codec)
        lines, nul = counted.lines, counted.nul
    else:
        tail, bad, lines, nul = pieced
    if nul:
        raise Fallback("a NUL byte")
    if _open_at_end(tail, bad, delimiter):
        raise Fallback("a quote left open at the end of the file")
    others, flagged, warnings = _others(records, tail, bad, width, delimiter, lines)
    extra = [r for _, rows in others for r in rows]
    used = max(used_width(records), used_width(extra), _used_tail(tail, width))
    table = _assemble(records, tail, others, width, used)
    details = text_details(encoding, delimiter, options)
    return table, details, flagged, warnings


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
    batches = []
    try:
        reader = pcsv.open_csv(fh, read_options=read, parse_options=parse, convert_options=convert)
        for batch in reader:
            if fh.stopped:
                break  # the read was given up: what is left is not parsed
            batches.append(batch)
            fh.took()
    except pa.ArrowInvalid as exc:  # not text in this encoding, or what Arrow cannot parse
        raise Fallback(f"Arrow: {type(exc).__name__}") from exc
    except UnicodeDecodeError as exc:
        raise Fallback("tail does not decode") from exc
    finally:
        fh.release()
    if any(n is None for n, _ in bad):
        raise Fallback("a record without its number")
    return batches, bad


def _lf_ends_lines(codec: str) -> bool:
    """Whether a 0x0A byte is a line feed wherever it is in text of this codec.

    True for UTF-8 (no byte of a multi-byte character is below 0x80) and for
    single-byte codecs: every byte, decoded alone from a fresh state, is one
    character or not text. A multi-byte or stateful codec keeps a lone lead,
    shift or escape byte back, and is refused.
    """
    try:
        info = codecs.lookup(codec)
    except LookupError:
        return False
    if info.name == "utf-8":
        return True
    if info.incrementaldecoder is None:
        return False
    for b in range(256):
        try:
            char = info.incrementaldecoder("strict").decode(bytes([b]))
        except UnicodeDecodeError:
            continue
        if len(char) != 1 or (b == 0x0A) != (char == "\n"):
            return False
    return True


def _cuts(path: Path, start: int) -> list[int]:
    """Where the tail's pieces start, each just after a \n byte, then the file's size;
    [] for a tail read in one piece."""
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        count = min(PIECES, (size - start) // max(PIECE_BYTES, 1))
        cuts = [start]
        for k in range(1, count):
            fh.seek(start + (size - start) * k // count)
            line = fh.readline(BLOCK_BYTES)  # a longer line: no cut there
            at = fh.tell()
            if line.endswith(b"\n") and cuts[-1] < at < size:
                cuts.append(at)
    return [*cuts, size] if len(cuts) > 1 else []


class _Slice:
    """The bytes of a file from where it stands, at most `left` of them (None: to its end)."""

    def __init__(self, raw: Any, left: int | None) -> None:
        self.raw, self.left = raw, left

    def read(self, size: int = -1) -> bytes:
        if self.left is None:
            return bytes(self.raw.read(size))
        n = self.left if size < 0 else min(size, self.left)
        data = bytes(self.raw.read(n))
        self.left -= len(data)
        return data


class _Piece:
    """One piece of the tail, parsed by its own Arrow reader in a thread of its own."""

    def __init__(self, path: Path, start: int, end: int | None) -> None:
        self.path, self.start, self.end = path, start, end
        self.counted: _Counted | None = None
        self.tail: list[Any] = []
        self.bad: list[tuple[int, str]] = []
        self.error: BaseException | None = None
        self.mark = False  # the piece starts with a byte order mark
        self.halted = False  # stopped by the waiting thread, perhaps before `counted` is set

    def run(self, width: int, delimiter: str, codec: str) -> None:
        try:
            with self.path.open("rb") as raw:
                raw.seek(self.start)
                # Arrow drops a byte order mark at the start of its input: here it is data.
                self.mark = raw.read(4).decode(codec, "replace").startswith("\ufeff")
                raw.seek(self.start)
                left = None if self.end is None else self.end - self.start
                self.counted = _Counted(_Slice(raw, left))
                if self.halted:  # `_stop` came before `counted` was set: one of us sees the other
                    self.counted.stop()
                self.tail, self.bad = _read_tail(self.counted, width, delimiter, codec)
        except BaseException as exc:  # judged by the thread that waits: a serial read
            self.error = exc

    @property
    def records(self) -> int:
        return sum(len(b) for b in self.tail) + len(self.bad)

    def ends_a_record(self) -> bool:
        """Whether the serial parse is outside any quoted field at this piece's end.

        The piece ends just after a \n byte. Outside quotes that byte ended the
        last record; inside a quoted field Arrow, at the end of its input, still
        makes a record of what it has: taken whole, its last value ends with
        that break; rejected, its text (given without the break) holds the quote
        that opened the field. A record that could be either is not trusted.
        """
        if self.bad and self.bad[-1][0] == self.records:
            return '"' not in self.bad[-1][1]
        last = next((b for b in reversed(self.tail) if len(b)), None)
        if last is None:
            return False
        values = [col[len(last) - 1].as_py() for col in last.columns]
        return not any("\n" in v or "\r" in v for v in values)


def _read_pieces(
    path: Path, start: int, width: int, delimiter: str, codec: str
) -> tuple[list[Any], list[tuple[int, str]], int, bool] | None:
    """The tail read in pieces on several cores, or None if it must be read in one.

    The result is the serial read's: the same records in the same order, the
    invalid rows at the same numbers, the same line count and NUL flag. It is
    kept only when that is proven, piece by piece (see the design note):

    - piece k starts at a record boundary: piece 0 does (the head ends at one),
      and piece k+1 does when piece k started at one and `ends_a_record`;
    - every piece holds as many records as physical lines, so no record runs
      over a break and none can hide a cut inside quotes;
    - no run of bytes without a \n reaches half a block, so no record is near
      a block's size: Arrow refuses a longer record or not depending on where
      its blocks fall, which differs between the serial read and the pieces;
    - every piece parsed without an error, with a number for each invalid row;
    - no piece but the first starts with a byte order mark, which Arrow would drop.

    Anything else (a quoted line break anywhere, a stray quote, an Arrow error)
    returns None and the tail is read serially, as it always was.
    """
    if PIECES < 2 or not _lf_ends_lines(codec):
        return None
    cuts = _cuts(path, start)
    if not cuts:
        return None
    ends: list[int | None] = [*cuts[1:-1], None]  # the last piece reads to the end, as serially
    pieces = [_Piece(path, a, b) for a, b in zip(cuts[:-1], ends, strict=True)]
    threads = [
        threading.Thread(target=p.run, args=(width, delimiter, codec), daemon=True) for p in pieces
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(_POLL)
                if any(p.error is not None for p in pieces):
                    _stop(pieces)  # the tail is read serially: the others need not finish
    except BaseException:  # Ctrl-C: the pieces end at their next read
        _stop(pieces)
        for t in threads:
            # Arrow's reader threads call into Python: they must be done before it exits.
            t.join()
        raise
    for p in pieces:
        if p.error is not None or p.counted is None or p.counted.long:
            return None
        if p.counted.lines != p.records:
            return None
    if not all(p.ends_a_record() for p in pieces[:-1]) or any(p.mark for p in pieces[1:]):
        return None
    tail: list[Any] = []
    bad: list[tuple[int, str]] = []
    before = 0  # records in the pieces before this one
    for p in pieces:
        tail.extend(p.tail)
        bad.extend((n + before, text) for n, text in p.bad)
        before += p.records
    lines = sum(p.counted.lines for p in pieces if p.counted is not None)
    nul = any(p.counted is not None and p.counted.nul for p in pieces)
    return tail, bad, lines, nul


def _stop(pieces: Sequence[_Piece]) -> None:
    for p in pieces:
        p.halted = True
        if p.counted is not None:
            p.counted.stop()


def _stdlib_record(text: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False), [])


_BREAK = re.compile(r"\r\n|\r|\n")


def _spanning_valid(tail: Sequence[Any], delimiter: str) -> dict[int, list[str]]:
    """Streamed records holding a line break, by their index among the streamed rows.

    Each comes with its physical lines rebuilt from its values: parsing only
    removes quotes, never a delimiter or a line break, so each rebuilt line has
    as many fields, read without quotes, as the line in the file.
    """
    import numpy as np
    import pyarrow.compute as pc

    out: dict[int, list[str]] = {}
    base = 0
    for b in tail:
        mask = np.zeros(len(b), dtype=bool)
        for col in b.columns:
            mask |= pc.match_substring_regex(col, r"[\r\n]").to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(mask).tolist():
            values = [col[i].as_py() for col in b.columns]
            out[base + i] = _BREAK.split(delimiter.join(values))
        base += len(b)
    return out


def _mode_width(counts: Any) -> int:
    """`load.table_width` over field counts: the most common above one, the first on a tie."""
    import numpy as np

    above = counts[counts > 1]
    if not len(above):
        return 0
    values, first, seen = np.unique(above, return_index=True, return_counts=True)
    best = max(range(len(values)), key=lambda k: (seen[k], -first[k]))
    return int(values[best])


def _others(
    head: list[list[str]],
    tail: list[Any],
    bad: list[tuple[int, str]],
    width: int,
    delimiter: str,
    tail_lines: int,
) -> tuple[list[tuple[int, list[list[str]]]], dict[int, str], list[str]]:
    """The records read by the stdlib (at their tail positions), flagged rows and warnings.

    Records over several lines get the stdlib path's treatment
    (`load.split_stray_quotes`, `load._line_count_warning`): a stray quote's
    lines are re-read one per row, unquoted, and sent to review; the warnings
    and the line numbers in them are the same.
    """
    import numpy as np

    from recall_cli.read import load

    n_valid = sum(len(b) for b in tail)
    others = [(n - 1, [_stdlib_record(t, delimiter)]) for n, t in bad]
    n_records = n_valid + len(bad)
    spans = {n - 1: _BREAK.split(t) for n, t in bad if "\n" in t or "\r" in t}
    if tail_lines == n_records and not spans:
        return others, {}, []
    is_bad = np.zeros(n_records, dtype=bool)
    is_bad[[p for p, _ in others]] = True
    valid_at = np.flatnonzero(~is_bad)
    raw = set(spans)
    spans.update({int(valid_at[i]): lines for i, lines in _spanning_valid(tail, delimiter).items()})
    if sum(len(v) - 1 for v in spans.values()) != tail_lines - n_records:
        raise Fallback("physical lines do not add up")
    counts = np.full(len(head) + n_records, width, dtype=np.int64)
    counts[: len(head)] = [len(r) for r in head]
    for p, rows in others:
        counts[len(head) + p] = len(rows[0])
    table_width = _mode_width(counts)
    empty = _all_empty(tail)
    if empty.any():
        # Arrow gives a blank line `width` empty fields, the stdlib none, and only the
        # bytes could tell it from a line of bare separators: the width must not hang on it.
        blank = counts.copy()
        blank[len(head) + valid_at[empty]] = 0
        if _mode_width(blank) != table_width or _tied(counts) or _tied(blank):
            raise Fallback("blank lines could decide the table's width")
    flagged: dict[int, str] = {}
    notes: list[str] = []
    split = dict(others)
    shift = 0  # rows added before this record by the stray quotes split into lines
    extra_lines = 0  # line breaks inside the records before this one
    for p in sorted(spans):
        lines = spans[p]
        start = len(head) + p + 1 + extra_lines
        end = start + len(lines) - 1
        extra_lines += len(lines) - 1
        if not load.is_stray_quote(lines, delimiter, table_width):
            continue
        if p not in raw:
            raise Fallback("a stray quote in a record Arrow took whole")
        first = load._unquoted(lines[0], delimiter)
        field_no = next(
            (k + 1 for k, v in enumerate(first) if v.startswith('"') and not v.endswith('"')), None
        )
        where = f"field {field_no} of line {start}" if field_no else f"line {start}"
        reason = (
            f"unclosed quote in {where}: lines {start}-{end} were read one per row, "
            "without quotes; check them at the source"
        )
        notes.append(
            f"a quote opened in {where} is never closed: it ran over lines "
            f"{start}-{end}, which were read one per row and sent to review"
        )
        split[p] = [load._unquoted(line, delimiter) for line in lines]
        for k in range(len(lines)):
            flagged[len(head) + p + shift + k] = reason
        shift += len(lines) - 1
    rows_read = len(head) + n_records + shift
    notes.extend(load._line_count_warning(len(head) + tail_lines, range(rows_read)))
    return sorted(split.items()), flagged, notes


def _open_at_end(tail: Sequence[Any], bad: Sequence[tuple[int, str]], delimiter: str) -> bool:
    """Whether the file's last record is one Arrow could not take and its quote is still
    open at the end of the file. Arrow's text of such a record stops before the file's
    last line break, which the stdlib keeps in the value (a record Arrow takes keeps it).
    Quote counts cannot tell: a quote inside an unquoted value is a plain character."""
    n_valid = sum(len(b) for b in tail)
    if not bad or bad[-1][0] != n_valid + len(bad):
        return False
    text = bad[-1][1]
    return _stdlib_record(text + "\n", delimiter) != _stdlib_record(text, delimiter)


def _all_empty(tail: Sequence[Any]) -> Any:
    """Which streamed records have nothing in any field (a blank line, or bare separators)."""
    import numpy as np
    import pyarrow.compute as pc

    masks = []
    for b in tail:
        mask = np.ones(len(b), dtype=bool)
        for col in b.columns:
            mask &= pc.equal(pc.binary_length(col), 0).to_numpy(zero_copy_only=False)
        masks.append(mask)
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def _tied(counts: Any) -> bool:
    """Whether two field counts above one are equally common at the top."""
    import numpy as np

    _, seen = np.unique(counts[counts > 1], return_counts=True)
    return len(seen) > 1 and int((seen == seen.max()).sum()) > 1


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
    others: list[tuple[int, list[list[str]]]],
    width: int,
    used: int,
) -> Any:
    """One table of `used` text columns: the head's records, then the tail's in file order.

    `others` holds, by tail position, the rows read by the stdlib in place of a
    record (one, or a stray quote's lines).
    """
    import numpy as np
    import pyarrow as pa

    from recall_cli.read.load import NFIELDS

    n_valid = sum(len(b) for b in tail)
    extra = [r for _, rows in others for r in rows]
    order = None
    if others:
        # Each tail record takes as many rows as it became; valid ones take one.
        size = np.ones(n_valid + len(others), dtype=np.int64)
        at = np.array([p for p, _ in others], dtype=np.int64)
        size[at] = [len(rows) for _, rows in others]
        start = np.cumsum(size) - size
        is_other = np.zeros(len(size), dtype=bool)
        is_other[at] = True
        order = np.empty(n_valid + len(extra), dtype=np.int64)
        order[start[~is_other]] = np.arange(n_valid)
        other_rows = np.concatenate([start[p] + np.arange(len(rows)) for p, rows in others])
        order[other_rows] = n_valid + np.arange(len(extra))
        order_arr = pa.array(order)
    columns: list[Any] = []
    for j in range(used):
        head_col = pa.array([r[j] if j < len(r) else "" for r in head], pa.large_string())
        if j < width:
            chunks = [b.column(j) for b in tail]
        else:
            chunks = [pa.repeat(pa.scalar("", pa.large_string()), n_valid)]
        if order is not None:
            rest = pa.array([r[j] if j < len(r) else "" for r in extra], pa.large_string())
            chunks = [pa.chunked_array([*chunks, rest], pa.large_string()).take(order_arr)]
        columns.append(pa.chunked_array([head_col, *chunks], pa.large_string()))
    counts = np.full(n_valid, width, dtype=np.int64)
    if order is not None:
        counts = np.concatenate([counts, [len(r) for r in extra]]).astype(np.int64)[order]
    nfields = np.concatenate([np.array([len(r) for r in head], dtype=np.int64), counts])
    names = [str(j) for j in range(used)]
    return pa.table([*columns, pa.array(nfields)], names=[*names, NFIELDS])
