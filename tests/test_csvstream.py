"""The streamed CSV reader reads every file exactly as the stdlib path does.

The head is made tiny here, so that files of a few lines are streamed past it
(in real use the head is at least 1 MB and 200 lines). Each case is read both
ways and the cells, field counts, flags, warnings and details compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recall_cli.cli import cli
from recall_cli.normalize.columns import is_known_header
from recall_cli.read import csvstream
from recall_cli.read.load import NFIELDS, LoadOptions, RawSheet, read_text, text_sheet


@pytest.fixture
def small_head(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvstream, "HEAD_BYTES", 8)
    monkeypatch.setattr(csvstream, "HEAD_LINES", 3)
    monkeypatch.setattr(csvstream, "HEAD_STEP", 4)
    # Many batches; a record longer than a block (a stray quote's run) falls back.
    monkeypatch.setattr(csvstream, "BLOCK_BYTES", 256)


def _grid(raw: RawSheet) -> list[list[object]]:
    cells = raw.cells
    data = [c for c in cells.columns if c != NFIELDS]
    rows = cells[data].astype(object).values.tolist()
    fields = cells[NFIELDS].tolist() if NFIELDS in cells.columns else []
    # A blank line and a line of bare separators are both blank rows: the field
    # count of a row with nothing in it is never read, and Arrow cannot tell them apart.
    return [
        [*r, n if any(v != "" for v in r) else "blank"] for r, n in zip(rows, fields, strict=True)
    ]


def both(tmp_path: Path, data: bytes, name: str = "t.csv", **opts: object) -> RawSheet:
    """Read `data` streamed and by the stdlib; assert they agree; return the streamed sheet."""
    path = tmp_path / name
    path.write_bytes(data)
    options = LoadOptions(**opts)  # type: ignore[arg-type]
    streamed = read_text(path, options)
    plain = text_sheet(path, data, options)
    assert _grid(streamed) == _grid(plain)
    assert streamed.flagged == plain.flagged
    assert streamed.warnings == plain.warnings
    assert streamed.details == plain.details
    assert streamed.first_row == plain.first_row == 1
    return streamed


def streams(path: Path) -> bool:
    try:
        csvstream.read_stream(path, LoadOptions())
    except csvstream.Fallback:
        return False
    return True


HEADER = "Lot,Ship Date,Customer ID,Customer Name,Quantity\n"
ROWS = "".join(
    f"B{i:06d},2010-12-{i % 28 + 1:02d},C{i % 7},Name {i},{i % 9 + 1}\n" for i in range(40)
)


@pytest.mark.usefixtures("small_head")
@pytest.mark.parametrize(
    "text",
    [
        HEADER + ROWS,
        "Shipments 2010\nExported by SAP\n\n" + HEADER + ROWS,
        "sep=;\n" + (HEADER + ROWS).replace(",", ";"),
        (HEADER + ROWS).replace(",", "\t"),
        (HEADER + ROWS).replace(",", "|"),
        HEADER + ROWS.replace("\n", "\r\n"),
        HEADER + ROWS.replace("\n", "\r"),
        HEADER + ROWS.rstrip("\n"),
        HEADER + ROWS + "B9,2010-12-01,C1\n" + ROWS + "B8,2010-12-01,C1,Name,3,extra,\n",
        HEADER + ROWS.replace("\n", ",,\n"),  # trailing separators on every row
        HEADER + ROWS + "\n\n,,,,\n" + ROWS,
        HEADER + ROWS + 'B1,2010-12-01,C1,"Smith, ""Jr""",2\n' + ROWS,
        HEADER + ROWS + 'B1,2010-12-01,C1,ab"cd,2\n"B2"x,2010-12-01,C1, "q",2\n' + ROWS,
        HEADER + ROWS + "Total,,,,820\n" + HEADER + ROWS,
        HEADER + ROWS + "Customer ID,Lot,Quantity,Ship Date,Customer Name\n" + ROWS,
        HEADER + ROWS + "B1,2010-12-01,C1," + "x" * 300_000 + ",2\n" + ROWS,
        HEADER + ROWS + 'B1,2010-12-01,C1,"two\nlines",2\n' + ROWS,  # quoted line break
        HEADER + ROWS + 'B1,2010-12-01,C1,"open,2\n' + ROWS,  # a stray quote, never closed
        HEADER + ROWS + 'B1,2010-12-01,C1,"open,2\n' + ROWS + 'B2,"x",C2,N,2\n' + ROWS,
        HEADER + ROWS + "B1,2010-12-01,C1,Na\x00me,2\n" + ROWS,  # a NUL byte
        # A quote left open at the end: its value keeps the file's last line break.
        HEADER + ROWS + '"B9,2010-12-01,C1,Name,2\n',
        "\n\n\n" + ',""' + "\n\n\n" + '"' + "\n",  # found by hypothesis
        # A blank line is no fields to the stdlib: here it decides the width, so whether
        # the quote is stray (found by hypothesis).
        ",,\n" + ',";;;\r,"' + "\n" + "\n" + ",\n",
        # Open at the end, with an even number of quotes (found by hypothesis).
        "\n\n,,\n" + '"\r,"Lot","\n' + "\n",
        # The tail starts with a byte order mark, which is data here (Arrow would drop it).
        HEADER + ROWS[:31] + "\ufeffB1,2010-12-01,C1,N,2\n" + ROWS[31:],
    ],
    ids=[
        "plain", "title-rows", "sep-line", "tab", "pipe", "crlf", "cr", "no-final-newline",
        "ragged", "trailing-separators", "blank-lines", "quoted", "stray-inner-quotes",
        "second-header-same", "second-header-other", "huge-cell", "quoted-newline",
        "stray-quote", "stray-quote-closed", "nul", "open-at-end", "open-at-end-alone",
        "blank-lines-decide-width", "open-at-end-even-quotes", "mark-where-the-tail-starts",
    ],
)  # fmt: skip
def test_streamed_reads_as_the_stdlib_does(tmp_path: Path, text: str) -> None:
    both(tmp_path, text.encode("utf-8"))


@pytest.mark.usefixtures("small_head")
@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (("\ufeff" + HEADER + ROWS + "B1,2010-12-01,C1,Café,2\n").encode("utf-8"), "utf-8-sig"),
        ((HEADER + ROWS + "B1,2010-12-01,C1,Café € “x”,2\n").encode("cp1252"), None),
        ((HEADER + ROWS + "B1,2010-12-01,C1,Zoë,2\n").encode("latin-1"), None),
        ((HEADER + ROWS).encode("utf-16"), "utf-16"),
    ],
    ids=["utf-8-bom", "cp1252", "latin-1", "utf-16"],
)
def test_encodings(tmp_path: Path, data: bytes, encoding: str | None) -> None:
    got = both(tmp_path, data)
    if encoding:
        assert got.details["encoding"] == encoding


FR_HEADER = "N° de lot;Date d'expédition;N° client;Nom;Quantité\n"
FR_ROWS = "".join(
    f"B{i:06d};{i % 28 + 1:02d}/12/2010;C{i % 7};Hélène {i};{i % 9 + 1}\n" for i in range(40)
)
MISREAD_BOM = "\u00ef\u00bb\u00bf"  # a UTF-8 BOM once read as cp1252


@pytest.mark.usefixtures("small_head")
@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ((FR_HEADER + FR_ROWS).encode("cp850"), "cp850"),
        ((FR_HEADER + FR_ROWS).encode("mac_roman"), "mac_roman"),
        (b"\xef\xbb\xbf" + (FR_HEADER + FR_ROWS).encode("cp1252"), "cp1252"),
        ((MISREAD_BOM + FR_HEADER + FR_ROWS).encode("utf-8"), "utf-8"),
        (('"' + MISREAD_BOM + 'N° de lot";' + FR_HEADER[10:] + FR_ROWS).encode("utf-8"), "utf-8"),
    ],
    ids=["cp850", "mac_roman", "utf8-bom-before-cp1252", "misread-bom", "quoted-misread-bom"],
)
def test_the_start_of_a_streamed_file_is_read_by_the_whole_read_rules(
    tmp_path: Path, data: bytes, encoding: str
) -> None:
    # The code page is chosen by how well the header reads, as the run asks for.
    got = both(tmp_path, data, known_header=is_known_header)
    assert streams(tmp_path / "t.csv")
    assert got.details["encoding"] == encoding
    assert list(got.cells.iloc[0, :2]) == ["N° de lot", "Date d'expédition"]


@pytest.mark.usefixtures("small_head")
def test_bytes_that_break_utf8_late_are_read_as_the_whole_file_says(tmp_path: Path) -> None:
    # The head is UTF-8; a cp1252 byte far below makes the whole file cp1252.
    data = (HEADER + ROWS * 5).encode() + "B1,2010-12-01,C1,Caf\xe9,2\n".encode("cp1252")
    got = both(tmp_path, data)
    assert got.details["encoding"] != "utf-8"


@pytest.mark.usefixtures("small_head")
def test_plain_files_are_streamed_and_odd_ones_read_whole(tmp_path: Path) -> None:
    """The cases the stream mirrors are streamed; the others fall back, never misread."""
    cases = {
        "plain": (HEADER + ROWS, True),
        "ragged": (HEADER + ROWS + "B9,2010-12-01\n" + ROWS, True),
        "quoted-newline": (HEADER + ROWS + 'B1,2010-12-01,C1,"a\nb",2\n' + ROWS, True),
        "stray-quote": (
            HEADER
            + ROWS
            + 'B1,2010-12-01,C1,"open,2\nB3,2010-12-01,C3,N,2\nB2,"x",C2,N,2\n'
            + ROWS,
            True,
        ),
        "nul": (HEADER + ROWS + "B1,2010-12-01,C1,a\x00,2\n" + ROWS, False),
    }
    for name, (text, streamed) in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        assert streams(path) is streamed, name


FIELD = st.one_of(
    st.text(alphabet=st.sampled_from(list('ab ,;"\t\r\n\x00é')), max_size=6),
    st.sampled_from(["Lot", "Ship Date", "Customer ID", ""]),
)


def _field(raw: str, quoted: bool) -> str:
    return '"' + raw.replace('"', '""') + '"' if quoted else raw


@pytest.mark.usefixtures("small_head")
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(st.tuples(FIELD, st.booleans()), min_size=0, max_size=5), min_size=4, max_size=30
    ),
    delimiter=st.sampled_from([",", ";"]),
    terminator=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_any_text_reads_as_the_stdlib_does(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[tuple[str, bool]]],
    delimiter: str,
    terminator: str,
) -> None:
    """Messy text of every kind: raw quotes, breaks and NULs in unquoted fields too.

    The delimiter is given: the sniffer reads the first 200 lines, which a real
    head always holds and this tiny one does not.
    """
    text = "".join(delimiter.join(_field(v, q) for v, q in r) + terminator for r in rows)
    both(tmp_path_factory.mktemp("any"), text.encode("utf-8"), delimiter=delimiter)


def test_summary_and_review_are_the_same_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole run, streamed and read whole: the same summary JSON and review rows."""
    lines = ["Recall export,,,,\n", "\n", HEADER]
    for i in range(3_000):
        lot = "B201575" if i % 97 == 0 else f"L{i % 50:04d}"
        lines.append(f"{lot},2010-12-{i % 28 + 1:02d},C{i % 300},Name {i % 300},{i % 5 + 1}\n")
        if i % 401 == 0:
            lines.append(f"B201575,2010-12-02,C{i}\n")  # ragged: to review with its row
    path = tmp_path / "big.csv"
    path.write_text("".join(lines), encoding="utf-8")
    args = ["--lot", "B201575", "--from", "2010-12-01", "--to", "2010-12-31", "--no-cache"]

    def run(command: str) -> str:
        result = CliRunner().invoke(cli, [command, str(path), *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return result.stdout

    monkeypatch.setattr(csvstream, "HEAD_BYTES", 1024)
    monkeypatch.setattr(csvstream, "HEAD_LINES", 10)
    monkeypatch.setattr(csvstream, "HEAD_STEP", 256)
    assert streams(path)
    streamed = {c: run(c) for c in ("summary", "review")}
    monkeypatch.setattr(csvstream, "HEAD_BYTES", 10**9)  # the whole file is its head
    assert not streams(path)
    assert {c: run(c) for c in ("summary", "review")} == streamed
    review = json.loads(streamed["review"])
    assert review, "the ragged rows are in review"


@pytest.mark.usefixtures("small_head")
@pytest.mark.parametrize("kind", [".csv.gz", ".csv.zip"])
def test_compressed_members_stream_as_the_whole_read_does(tmp_path: Path, kind: str) -> None:
    import gzip
    import zipfile

    from recall_cli.read.load import compressed_sheets, read_compressed

    text = (HEADER + ROWS + "B9,2010-12-01,C1\n" + ROWS).encode()
    path = tmp_path / f"export{kind}"
    if kind == ".csv.gz":
        path.write_bytes(gzip.compress(text))
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("export/a.csv", text)
            zf.writestr("export/b.csv", text.replace(b",", b";"))
    streamed = list(compressed_sheets(path, LoadOptions()))
    whole = [text_sheet(path, data, LoadOptions(), sheet=m) for m, data in read_compressed(
        path, LoadOptions())]  # fmt: skip
    assert [s.sheet for s in streamed] == [s.sheet for s in whole]
    assert all(
        not isinstance(s.decoded, type(w.decoded)) for s, w in zip(streamed, whole, strict=True)
    )
    for s, w in zip(streamed, whole, strict=True):
        assert _grid(s) == _grid(w) and s.details == w.details


@pytest.mark.usefixtures("small_head")
def test_a_streamed_gzip_keeps_its_limits_and_says_when_it_is_cut(tmp_path: Path) -> None:
    import gzip

    from recall_cli.errors import InputFileError
    from recall_cli.read.load import read_file

    big = tmp_path / "big.csv.gz"
    big.write_bytes(gzip.compress((HEADER + ROWS * 2000).encode()))
    with pytest.raises(InputFileError, match="more than the 1 MB limit"):
        list(read_file(big, LoadOptions(max_unzipped_mb=1)))
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(big.read_bytes()[: len(big.read_bytes()) // 2])
    with pytest.raises(InputFileError, match="is damaged"):
        list(read_file(cut, LoadOptions()))


def test_arrow_reads_only_a_few_blocks_ahead_of_the_batches(
    tmp_path: Path, small_head: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow's reader thread would queue up to 32 blocks; the bytes in flight stay bounded."""
    ahead: list[int] = []
    read = csvstream._Counted.read

    def watched(self: csvstream._Counted, size: int = -1) -> bytes:
        data = read(self, size)
        ahead.append(self._reads - self._taken)
        return data

    monkeypatch.setattr(csvstream._Counted, "read", watched)
    monkeypatch.setattr(csvstream, "_PATIENCE", 60.0)  # a stalled gate would fail, not pass
    rows = "".join(f"B{i:06d},2010-12-{i % 28 + 1:02d},C{i % 7},Name {i},{i % 9 + 1}\n"
                   for i in range(2000))  # fmt: skip
    sheet = both(tmp_path, (HEADER + rows).encode())
    assert len(sheet.cells) == 2001
    assert len(ahead) > 10 * csvstream.READ_AHEAD  # many blocks were read
    assert max(ahead) <= csvstream.READ_AHEAD


def test_a_read_nobody_takes_batches_from_goes_on_after_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The limit saves memory only: a read kept waiting goes ahead, never hangs."""
    import io

    monkeypatch.setattr(csvstream, "_PATIENCE", 0.01)
    fh = csvstream._Counted(io.BytesIO(b"a\n" * 100))
    got = [fh.read(2) for _ in range(3 * csvstream.READ_AHEAD)]
    assert b"".join(got) == b"a\n" * (3 * csvstream.READ_AHEAD)
    fh.release()
    assert fh.read(-1) == b"a\n" * (100 - 3 * csvstream.READ_AHEAD)


# --- the tail in pieces ------------------------------------------------------


def _after_every_line(path: Path, start: int) -> list[int]:
    """Cuts after every \\n byte of the tail: a piece per line, every boundary tried."""
    data = path.read_bytes()
    cuts = [start, *(i + 1 for i in range(start, len(data) - 1) if data[i] == 0x0A)]
    return [*cuts, len(data)] if len(cuts) > 1 else []


def _streamed(path: Path, options: LoadOptions) -> object:
    try:
        table, details, flagged, warnings = csvstream.read_stream(path, options)
    except csvstream.Fallback:
        return "fallback"
    return table, details, flagged, warnings


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    assert isinstance(a, tuple) and isinstance(b, tuple)
    return bool(a[0].equals(b[0])) and a[1:] == b[1:]


def in_pieces(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: bytes, cuts: str, **opts: object
) -> bool:
    """Read `data` with its tail in pieces and serially: assert the same result (and the
    stdlib's); whether the pieces were kept."""
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    options = LoadOptions(**opts)  # type: ignore[arg-type]
    kept: list[bool] = []
    read_pieces = csvstream._read_pieces

    def spy(*args: object) -> object:
        got = read_pieces(*args)  # type: ignore[arg-type]
        kept.append(got is not None)
        return got

    with monkeypatch.context() as m:
        m.setattr(csvstream, "PIECES", 1)
        serial = _streamed(path, options)
    with monkeypatch.context() as m:
        m.setattr(csvstream, "PIECES", 3)
        m.setattr(csvstream, "PIECE_BYTES", 1)
        m.setattr(csvstream, "_read_pieces", spy)
        if cuts == "every-line":
            m.setattr(csvstream, "_cuts", _after_every_line)
        pieced = _streamed(path, options)
        both(tmp_path, data, **opts)
    assert _same(pieced, serial)
    return any(kept)


CUT_CASES = {
    "plain": HEADER + ROWS,
    "crlf": HEADER + ROWS.replace("\n", "\r\n"),
    "cr": HEADER + ROWS.replace("\n", "\r"),
    "mixed-breaks": HEADER + ROWS.replace("0\n", "0\r\n").replace("5\n", "5\r"),
    "no-final-newline": HEADER + ROWS.rstrip("\n"),
    "ragged": HEADER + ROWS + "B9,2010-12-01,C1\n" + ROWS + "B8,2010-12-01,C1,N,3,x,\n",
    "ragged-last": HEADER + ROWS + "B9,2010-12-01,C1\n",
    "ragged-quoted": HEADER + ROWS + 'B9,"2010-12-01",C1\n' + ROWS,
    "blank-lines": HEADER + ROWS + "\n\n,,,,\n" + ROWS + "\n",
    "quoted": HEADER + ROWS + 'B1,2010-12-01,C1,"Smith, ""Jr""",2\n' + ROWS,
    "quoted-break": HEADER + ROWS + 'B1,2010-12-01,C1,"two\nlines",2\n' + ROWS,
    "quoted-crlf": HEADER + ROWS + 'B1,2010-12-01,C1,"two\r\nlines",2\n' + ROWS,
    "quoted-break-at-end": HEADER + ROWS + 'B1,2010-12-01,C1,Name,"2\n"\n' + ROWS,
    "rows-in-quotes": HEADER + ROWS + 'B1,2010-12-01,C1,"x\n' + ROWS + '",2\n' + ROWS,
    "stray-quote": HEADER + ROWS + 'B1,2010-12-01,C1,"open,2\n' + ROWS,
    "open-at-end": HEADER + ROWS + '"B9,2010-12-01,C1,Name,2\n',
    "long-line": HEADER + ROWS + "B1,2010-12-01,C1," + "x" * 3000 + ",2\n" + ROWS,
    "nul": HEADER + ROWS + "B1,2010-12-01,C1,Na\x00me,2\n" + ROWS,
    "second-header": HEADER + ROWS + "Total,,,,820\n" + HEADER + ROWS,
    "mark-at-a-line": HEADER + ROWS + "\ufeffB1,2010-12-01,C1,N,2\n" + ROWS,
}


@pytest.mark.usefixtures("small_head")
@pytest.mark.parametrize("cuts", ["every-line", "even"])
@pytest.mark.parametrize("text", list(CUT_CASES.values()), ids=list(CUT_CASES))
def test_the_tail_in_pieces_reads_as_the_serial_stream(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, cuts: str
) -> None:
    in_pieces(monkeypatch, tmp_path, text.encode("utf-8"), cuts)


@pytest.mark.usefixtures("small_head")
@pytest.mark.parametrize("cuts", ["every-line", "even"])
def test_plain_rows_and_ragged_ones_are_read_in_pieces(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cuts: str
) -> None:
    for name in ("plain", "crlf", "ragged", "ragged-last", "blank-lines", "quoted"):
        assert in_pieces(monkeypatch, tmp_path, CUT_CASES[name].encode(), cuts), name
    for name in ("quoted-break", "rows-in-quotes", "stray-quote", "cr", "long-line"):
        assert not in_pieces(monkeypatch, tmp_path, CUT_CASES[name].encode(), cuts), name
    for name in ("mark-at-a-line",) if cuts == "every-line" else ():
        assert not in_pieces(monkeypatch, tmp_path, CUT_CASES[name].encode(), cuts), name


@pytest.mark.usefixtures("small_head")
def test_a_cut_inside_a_quoted_field_is_never_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A quote opened on a piece's last line: the piece has as many records as lines,
    and only its end (the break kept in a value, or the quote in a rejected record's
    text) shows the next piece would start inside the field."""
    for opened in ('B1,2010-12-01,C1,N,"open\n', 'B1,"open\n'):
        text = HEADER + ROWS + opened + 'rest",2\n' + ROWS
        assert not in_pieces(monkeypatch, tmp_path, text.encode(), "every-line")
        # Were such a cut taken, the read would differ: the test above would see it.
        path = tmp_path / "p.csv"
        with monkeypatch.context() as m:
            m.setattr(csvstream, "PIECES", 1)
            serial = _streamed(path, LoadOptions())
        with monkeypatch.context() as m:
            m.setattr(csvstream, "PIECES", 3)
            m.setattr(csvstream, "PIECE_BYTES", 1)
            m.setattr(csvstream, "_cuts", _after_every_line)
            m.setattr(csvstream._Piece, "ends_a_record", lambda self: True)
            assert not _same(_streamed(path, LoadOptions()), serial)


@pytest.mark.usefixtures("small_head")
@pytest.mark.parametrize("codec", ["cp1252", "latin-1", "cp850"])
def test_single_byte_text_is_read_in_pieces(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, codec: str
) -> None:
    text = FR_HEADER + FR_ROWS + "B1;01/12/2010;C1;Zoë “x”;2\n".replace("“x”", "x") + FR_ROWS
    data = text.encode(codec)
    assert in_pieces(monkeypatch, tmp_path, data, "every-line", known_header=is_known_header)
    assert in_pieces(monkeypatch, tmp_path, data, "even", known_header=is_known_header)


def test_only_codecs_where_a_0a_byte_is_a_line_feed_are_cut() -> None:
    for codec in ("utf-8", "utf8", "cp1252", "latin-1", "cp850", "mac_roman", "ascii"):
        assert csvstream._lf_ends_lines(codec), codec
    for codec in ("utf-16", "utf-16-le", "utf-32", "shift_jis", "gb18030", "big5", "euc_jp",
                  "iso2022_jp", "utf-7", "no-such-codec"):  # fmt: skip
        assert not csvstream._lf_ends_lines(codec), codec


def test_the_even_cuts_fall_after_line_feeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csvstream, "PIECES", 4)
    monkeypatch.setattr(csvstream, "PIECE_BYTES", 100)
    data = (HEADER + ROWS * 3).encode()
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    cuts = csvstream._cuts(path, len(HEADER))
    assert len(cuts) == 5 and cuts[0] == len(HEADER) and cuts[-1] == len(data)
    assert cuts == sorted(set(cuts))
    assert all(data[c - 1] == 0x0A for c in cuts[1:-1])
    monkeypatch.setattr(csvstream, "PIECE_BYTES", len(data))
    assert csvstream._cuts(path, len(HEADER)) == []  # one piece: the serial read


def test_a_stopped_read_ends_at_once() -> None:
    """Ctrl-C in the waiting thread stops the pieces: Arrow sees the end of its input."""
    import io

    fh = csvstream._Counted(io.BytesIO(b"a\n" * 100))
    assert fh.read(4) == b"a\na\n"
    fh.stop()
    assert fh.read(4) == b""


def test_a_run_without_line_feeds_near_a_block_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(csvstream, "BLOCK_BYTES", 64)  # half a block: 32 bytes
    for data, long in [
        (b"ab\n" * 100, False),
        (b"a\n" + b"x" * 32 + b"\n" + b"y\n", True),
        (b"a\n" + b"x" * 15 + b"\n" + b"y\n", False),  # under a quarter: never long
        (b"x" * 40, True),
        (b"a\n" * 40 + b"x" * 40 + b"\n" + b"a\n" * 40, True),
    ]:
        for size in (1, 7, 64, 1000):
            fh = csvstream._Counted(io.BytesIO(data))
            fh.release()
            while fh.read(size):
                pass
            assert fh.long is long, (data, size)


@pytest.mark.usefixtures("small_head")
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(st.tuples(FIELD, st.booleans()), min_size=0, max_size=5), min_size=4, max_size=30
    ),
    delimiter=st.sampled_from([",", ";"]),
    terminator=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.sampled_from(["every-line", "even"]),
)
def test_any_text_in_pieces_reads_as_the_serial_stream(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[tuple[str, bool]]],
    delimiter: str,
    terminator: str,
    cuts: str,
) -> None:
    text = "".join(delimiter.join(_field(v, q) for v, q in r) + terminator for r in rows)
    with pytest.MonkeyPatch.context() as m:
        in_pieces(m, tmp_path_factory.mktemp("pieces"), text.encode(), cuts, delimiter=delimiter)


def test_ctrl_c_while_the_pieces_are_read_stops_them_before_it_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The waiting thread gets the KeyboardInterrupt; the pieces stop and are done
    before it is raised on (Arrow's threads must not call into an exiting interpreter)."""
    import threading

    path = tmp_path / "k.csv"
    path.write_bytes((HEADER + ROWS * 50).encode())
    monkeypatch.setattr(csvstream, "PIECES", 2)
    monkeypatch.setattr(csvstream, "PIECE_BYTES", 100)
    started: list[threading.Thread] = []
    join = threading.Thread.join
    start = threading.Thread.start

    def record(self: threading.Thread) -> None:
        started.append(self)
        start(self)

    def interrupted(self: threading.Thread, timeout: float | None = None) -> None:
        if timeout is not None:
            raise KeyboardInterrupt
        join(self)

    monkeypatch.setattr(threading.Thread, "start", record)
    monkeypatch.setattr(threading.Thread, "join", interrupted)
    with pytest.raises(KeyboardInterrupt):
        csvstream._read_pieces(path, len(HEADER), 5, ",", "utf-8")
    assert len(started) == 2
    assert not any(t.is_alive() for t in started)
