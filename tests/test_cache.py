"""The columnar cache: hits, invalidation, --no-cache, identical results, file modes."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from recall_cli.cache import store as cache
from recall_cli.cli import cli
from recall_cli.normalize import sheet as normalize
from recall_cli.normalize.sheet import NormalizeOptions
from recall_cli.read.load import LoadOptions

from .conftest import write_csv

SCRIPT = Path(__file__).resolve().parents[1] / "sample_data" / "generate.py"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sample_data_generate_cache", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The messy sample set: an xlsx with several sheets and two CSVs."""
    out = tmp_path_factory.mktemp("sample")
    _generator().generate(out)
    return out


@pytest.fixture
def fresh_loads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Records every real (uncached) load, by the files it was asked for."""
    calls: list[list[str]] = []
    real = normalize.normalize_file

    def counting(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append([Path(path).name])
        return real(path, *args, **kwargs)

    monkeypatch.setattr(normalize, "normalize_file", counting)
    return calls


def _load(paths: list[Path], use_cache: bool = True) -> normalize.Shipments:
    loaded = cache.load_shipments(
        paths, load_options=LoadOptions(), options=NormalizeOptions(), use_cache=use_cache
    )
    cache.flush()  # entries are written in the background; these tests look at them
    return loaded


def _summary(runner: CliRunner, recall: Path, *extra: str) -> dict:
    result = runner.invoke(cli, ["summary", "--recall", str(recall), "--format", "json", *extra])
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def test_second_load_reads_the_cache(
    sample: Path, cache_home: Path, fresh_loads: list[list[str]]
) -> None:
    files = sorted(p for p in sample.iterdir() if p.suffix in (".xlsx", ".csv"))
    first = _load(files)
    assert len(fresh_loads) == 3  # one real load per file
    assert (cache.last_stats.hits, cache.last_stats.misses) == (0, 3)
    second = _load(files)
    assert len(fresh_loads) == 3  # no new real load
    assert (cache.last_stats.hits, cache.last_stats.misses) == (3, 0)
    pd.testing.assert_frame_equal(first.rows, second.rows)
    assert first.sources == second.sources


def test_cached_results_equal_uncached(sample: Path, cache_home: Path) -> None:
    runner = CliRunner()
    recall = sample / "recall.toml"
    uncached = _summary(runner, recall, "--no-cache")
    assert not cache_home.exists()  # --no-cache writes nothing
    first = _summary(runner, recall)
    cache.flush()
    assert cache.last_stats.stored == 3
    cached = _summary(runner, recall)
    assert cache.last_stats.hits == 3
    assert uncached == first == cached
    expected = json.loads((sample / "expected.json").read_text())
    assert cached["rows"] == expected["rows"]
    # Other scopes on the same cached rows agree too.
    for extra in (["--country", "FR"], ["--from", "2010-12-15", "--lot", "B201575"]):
        assert _summary(runner, recall, *extra, "--no-cache") == _summary(runner, recall, *extra)


def test_same_size_same_mtime_edit_is_noticed(
    tmp_path: Path, cache_home: Path, fresh_loads: list[list[str]]
) -> None:
    _generator().generate(tmp_path / "big", rows=1500)
    csv = tmp_path / "big" / "shipments_1500.csv"
    before = _load([csv])
    n_recalled = int((before.rows["lot"] == "B201575").sum())
    assert n_recalled > 0
    st = csv.stat()
    text = csv.read_text(encoding="utf-8")
    edited = text.replace("B201575", "B201576", 1)  # same length
    assert edited != text and len(edited) == len(text)
    csv.write_text(edited, encoding="utf-8")
    os.utime(csv, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (csv.stat().st_size, csv.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    after = _load([csv])
    assert cache.last_stats.misses == 1 and len(fresh_loads) == 2
    assert int((after.rows["lot"] == "B201575").sum()) == n_recalled - 1
    # The stale entry of that path was replaced, not kept beside the new one.
    assert len(list(cache_home.glob("*.json"))) == 1
    assert len(list(cache_home.glob("*.arrow"))) == 2  # its two halves


def test_options_that_change_rows_are_part_of_the_key(
    sample: Path, cache_home: Path, fresh_loads: list[list[str]]
) -> None:
    csv = sample / "us_returns_and_late.csv"
    _load([csv])
    cache.load_shipments(
        [csv], load_options=LoadOptions(), options=NormalizeOptions(date_order="day-first")
    )
    assert cache.last_stats.misses == 1 and len(fresh_loads) == 2


def test_no_cache_skips_reading_and_writing(
    sample: Path, cache_home: Path, fresh_loads: list[list[str]]
) -> None:
    csv = sample / "fr_expeditions_2010.csv"
    _load([csv], use_cache=False)
    assert not cache_home.exists()
    _load([csv])
    _load([csv], use_cache=False)
    assert len(fresh_loads) == 3


def test_cache_files_are_private(sample: Path, cache_home: Path) -> None:
    _load([sample / "fr_expeditions_2010.csv"])
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    files = list(cache_home.iterdir())
    assert {p.suffix for p in files} == {".arrow", ".json", ".hash", ".TAG"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name


def test_corrupt_entry_is_rebuilt(
    sample: Path, cache_home: Path, fresh_loads: list[list[str]]
) -> None:
    csv = sample / "fr_expeditions_2010.csv"
    good = _load([csv])
    for p in cache_home.glob("*.arrow"):
        p.write_bytes(b"not parquet at all")
    again = _load([csv])
    cache.flush()
    assert cache.last_stats.misses == 1 and cache.last_stats.stored == 1
    pd.testing.assert_frame_equal(good.rows, again.rows)
    for p in cache_home.glob("*.json"):
        p.write_text("{broken", encoding="utf-8")
    third = _load([csv])
    assert cache.last_stats.misses == 1
    pd.testing.assert_frame_equal(good.rows, third.rows)
    assert len(fresh_loads) == 3


def test_cache_info_and_clear(sample: Path, cache_home: Path) -> None:
    _load([sample / "fr_expeditions_2010.csv", sample / "us_returns_and_late.csv"])
    runner = CliRunner()
    info = runner.invoke(cli, ["cache", "info"])
    assert info.exit_code == 0
    assert f"path: {cache_home}" in info.stdout
    assert "entries: 2" in info.stdout
    cleared = runner.invoke(cli, ["cache", "clear"])
    assert cleared.exit_code == 0
    assert "deleted 2 cached files" in cleared.stderr
    assert not cache_home.exists()
    assert "entries: 0" in runner.invoke(cli, ["cache", "info"]).stdout


def test_content_hash_is_reused_until_the_file_is_touched(
    sample: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = sample / "fr_expeditions_2010.csv"
    hashed: list[Path] = []
    from recall_cli.read import identity

    real = identity._digest

    def counting(fh: Any) -> str:
        hashed.append(csv)
        return real(fh)

    monkeypatch.setattr(identity, "_digest", counting)
    monkeypatch.setattr(identity, "_memo", {})  # as in a new process
    first = cache.content_hash(csv)
    assert cache.content_hash(csv) == first and len(hashed) == 1
    st = csv.stat()
    csv.write_bytes(csv.read_bytes())  # same bytes, new ctime
    os.utime(csv, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cache.content_hash(csv) == first and len(hashed) == 2


def test_repeated_text_is_stored_once_per_entry(sample: Path, cache_home: Path) -> None:
    import pyarrow.feather as feather

    files = sorted(p for p in sample.iterdir() if p.suffix == ".csv")[:1]
    fresh = _load(files, use_cache=True)
    [meta] = list(cache_home.glob("*.json"))
    entry = cache.Entry(meta.with_suffix(".arrow"), meta)
    assert all(p.stat().st_size for p in entry.parts)  # the columns are split in two files
    got = cache.read_table(entry)
    assert got is not None
    stored = got[0]
    assert stored.column_names == list(fresh.rows.columns)
    for name in cache.COMPACT_COLUMNS:
        assert stored.schema.field(name).type.value_type.equals("large_string")
    assert set(stored["file"].chunk(0).dictionary.to_pylist()) == {str(files[0])}
    # Columns that are one column's buffers (the blank columns of absent fields)
    # are stored once and named in the meta.
    aliases = json.loads(meta.read_text())["aliases"]
    assert aliases and all(fresh.rows[a].equals(fresh.rows[b]) for a, b in aliases.items())
    on_disk = {n for p in entry.parts for n in feather.read_table(p).column_names}
    assert not on_disk & set(aliases)
    # Read back, they are text again, equal to a fresh load's.
    pd.testing.assert_frame_equal(_load(files).rows, fresh.rows)
    # A missing half is a miss, rebuilt by the next load, never half the columns.
    entry.parts[1].unlink()
    assert cache.read_table(entry) is None


def test_a_file_edited_while_it_decodes_is_not_stored(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With nothing stored for the file, its hash is worked out beside the decode:
    # rows of the old version must not be stored under the new version's hash.
    _generator().generate(tmp_path / "s", rows=300)
    csv = tmp_path / "s" / "shipments_300.csv"
    real = cache.read_and_normalize

    def edited_meanwhile(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        rows = real(path, *args, **kwargs)
        csv.write_text(csv.read_text(encoding="utf-8").replace("B201575", "B201576", 1),
                       encoding="utf-8")  # fmt: skip
        return rows

    monkeypatch.setattr(cache, "read_and_normalize", edited_meanwhile)
    _load([csv])
    assert cache.last_stats.stored == 0 and not list(cache_home.glob("*.arrow"))
    monkeypatch.setattr(cache, "read_and_normalize", real)
    _load([csv])
    assert cache.last_stats.stored == 1
    assert int((_load([csv]).rows["lot"] == "B201576").sum()) >= 1  # the edit, from the cache
    assert cache.last_stats.hits == 1


@pytest.mark.parametrize(
    ("distinct", "rows", "width"),
    [(3, 1_000, "int8"), (200, 1_000, "int16"), (40_000, 80_000, "int32"), (1_000, 1_000, None)],
)
def test_text_is_stored_as_codes_only_where_smaller(
    distinct: int, rows: int, width: str | None
) -> None:
    import pyarrow as pa

    values = [f"value {i % distinct}" for i in range(rows)]
    column = pa.chunked_array([pa.array(values, pa.large_string())])
    stored = cache._encoded(column)
    if width is None:  # every value differs: codes would only add bytes
        assert stored is column
    else:
        assert str(stored.type.index_type) == width
        assert stored.nbytes < column.nbytes
    assert stored.to_pylist() == values


def test_mostly_distinct_text_is_not_coded_at_all() -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    # A list of patients, one row each: the first rows show it, and the whole
    # column is not coded only to be thrown away.
    rows = 5 * cache._PROBE
    column = pa.chunked_array([pc.cast(pa.array(range(rows)), pa.large_string())])
    calls: list[int] = []
    real = pc.dictionary_encode

    def counting(arr: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(arr))
        return real(arr, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pc, "dictionary_encode", counting)
        assert cache._encoded(column) is column
    assert calls == [cache._PROBE]
    # 50,000 customers in no order, each on a few rows: most of the first rows
    # differ, and codes still take a fraction of the bytes.
    customers = np.random.default_rng(7).integers(0, 50_000, rows)
    repeated = pa.chunked_array([pc.cast(pa.array(customers), pa.large_string())])
    coded = cache._encoded(repeated)
    assert str(coded.type.index_type) == "int32"
    assert coded.nbytes < repeated.nbytes / 2


def test_an_entry_still_being_written_when_the_command_ends_is_stored(
    tmp_path: Path, cache_home: Path
) -> None:
    """The answer is printed while the entry is written in the background; the process
    waits for that write at exit, and the write must still be able to use both cores
    (concurrent.futures refuses new work once interpreter shutdown has begun)."""
    data = write_csv(tmp_path / "s.csv", [["Lot", "Ship Date", "Customer ID", "Qty"],
                                          ["L1", "2011-01-02", "X1", "4"]])  # fmt: skip
    probe = (
        "import time\n"
        "from recall_cli.cache import store\n"
        "real = store.write_entry\n"
        "def late(*args, **kwargs):\n"
        "    time.sleep(1.0)  # the command has printed its answer and is exiting\n"
        "    return real(*args, **kwargs)\n"
        "store.write_entry = late\n"
        "from recall_cli.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "RECALL_CACHE_DIR": str(cache_home)}
    done = subprocess.run(
        [sys.executable, "-c", probe, "summary", str(data), "--lot", "L1"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(list(cache_home.glob("*-*.json"))) == 1, sorted(p.name for p in cache_home.iterdir())


def test_columns_in_many_chunks_are_stored_as_the_whole_table_joined_would_be() -> None:
    """A streamed CSV's columns come in one chunk per batch: each is joined and coded on
    its own, and the table stored is the one joining every column at once gave."""
    import pyarrow as pa

    n = 3_000
    lots = [f"L{i % 7}" for i in range(n)]
    ids = [f"C{i}" for i in range(n)]

    def chunked(values: list[str]) -> pa.ChunkedArray:
        return pa.chunked_array(
            [pa.array(values[k : k + 500], pa.large_string()) for k in range(0, n, 500)]
        )

    blank = pa.chunked_array([pa.repeat(pa.scalar("", pa.large_string()), n)])
    id_col = chunked(ids)
    table = pa.table(
        {"lot": chunked(lots), "customer_id": id_col, "customer_key": id_col,
         "email": blank, "phone": blank, "quantity": pa.array(np.arange(n, dtype=float)),
         "order_id": chunked(ids)}
    )  # fmt: skip
    joined = table.combine_chunks()
    aliases = cache._aliases(table)
    assert aliases == cache._aliases(joined) == {"phone": "email"}
    stored = cache._compact(table.drop_columns(list(aliases)))
    expected = joined.drop_columns(list(aliases))
    for name in cache.COMPACT_COLUMNS:
        if name in expected.column_names:
            i = expected.schema.get_field_index(name)
            expected = expected.set_column(i, name, cache._encoded(expected[name]))
    assert stored.equals(expected)
    assert stored.schema == expected.schema
    assert all(c.num_chunks == 1 for c in stored.columns)
    assert str(stored["lot"].type.index_type) == "int8"
    assert stored["customer_id"].to_pylist() == ids
