"""The cache and the audit log against hostile neighbours and bad days: folders that are
not ours, doctored or damaged entries, files edited mid-read, umask 000, killed writes."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from recall_cli.cache import store as cache
from recall_cli.errors import ExportError
from recall_cli.normalize.sheet import NormalizeOptions
from recall_cli.read.load import LoadOptions
from recall_cli.tasks.audit_log import append_audit, make_entry
from tests.conftest import as_json, invoke, write_csv

HEADER = ["lot", "ship_date", "customer_id", "name", "quantity"]
SCOPE = ("--lot", "B201575", "--from", "2010-11-30", "--to", "2011-01-04")
ROOT_ONLY = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="making a file another user owns needs root (os.chown to nobody)",
)


def _nobody() -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this machine")
    return entry.pw_uid, entry.pw_gid


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rows = [
        HEADER,
        ["B201575", "2010-12-01", "C1", "Ann", "6"],
        ["B201575", "2010-12-02", "C2", "Bob", "4"],
        ["B999999", "2010-12-03", "C3", "Cy", "1"],
    ]
    return write_csv(tmp_path / "shipments.csv", rows)


def _affected(runner: CliRunner, data: Path) -> dict[str, int]:
    result = invoke(runner, "affected", data, *SCOPE, "--format", "json")
    cache.flush()  # entries are written in the background; these tests look at them
    return {c["customer_id"]: c["units"] for c in as_json(result)}


def _load(path: Path) -> pd.DataFrame:
    rows = cache.load_shipments([path], load_options=LoadOptions(), options=NormalizeOptions()).rows
    cache.flush()
    return rows


def _entry(home: Path) -> cache.Entry:
    [meta] = list(home.glob("*-*.json"))
    return cache.Entry(meta.with_suffix(".arrow"), meta)


# --- item 7: a folder or file of another user -----------------------------------


@ROOT_ONLY
def test_a_cache_folder_owned_by_another_user_is_not_used(
    runner: CliRunner, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "theirs"
    monkeypatch.setenv("RECALL_CACHE_DIR", str(home))
    assert _affected(runner, data) == {"C1": 6, "C2": 4}  # fills the cache, ours
    # User B takes the folder and doctors A's entry: -4 units instead of 6.
    uid, gid = _nobody()
    for p in [home, *home.iterdir()]:
        os.chown(p, uid, gid)
    os.chmod(home, 0o755)
    result = invoke(runner, "affected", data, *SCOPE, "--format", "json")
    cache.flush()
    assert {c["customer_id"]: c["units"] for c in as_json(result)} == {"C1": 6, "C2": 4}
    assert result.stderr.count("is owned by another user") == 1
    assert cache.last_stats.hits == 0 and cache.last_stats.stored == 0
    before = sorted(p.name for p in home.iterdir())
    assert invoke(runner, "summary", data, *SCOPE).exit_code == 0
    assert sorted(p.name for p in home.iterdir()) == before  # nothing written there
    assert stat.S_IMODE(home.stat().st_mode) == 0o755  # nor chmodded


@ROOT_ONLY
def test_an_entry_file_owned_by_another_user_is_not_read(
    runner: CliRunner, data: Path, cache_home: Path
) -> None:
    assert _affected(runner, data) == {"C1": 6, "C2": 4}
    uid, gid = _nobody()
    for p in _entry(cache_home).parts:
        os.chown(p, uid, gid)
    result = invoke(runner, "affected", data, *SCOPE, "--format", "json")
    cache.flush()
    assert {c["customer_id"]: c["units"] for c in as_json(result)} == {"C1": 6, "C2": 4}
    assert "is owned by another user: it is not used" in result.stderr
    assert cache.last_stats.hits == 0


def test_a_cache_folder_writable_by_others_is_not_used(
    runner: CliRunner, data: Path, cache_home: Path
) -> None:
    assert _affected(runner, data) == {"C1": 6, "C2": 4}
    os.chmod(cache_home, 0o777)
    result = invoke(runner, "affected", data, *SCOPE, "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.count("is writable by other users") == 1
    assert cache.last_stats.hits == 0
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o777  # told, not silently changed


# --- item 11: only what the tool made ----------------------------------------------


def test_clear_refuses_a_folder_that_is_not_ours_and_queries_leave_it_alone(
    runner: CliRunner, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "Documents"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    keep = {"thesis.docx": b"mine", "notes.json": b"{}", "photo.arrow": b"x", "a.hash": b"y"}
    for name, body in keep.items():
        (home / name).write_bytes(body)
    monkeypatch.setenv("RECALL_CACHE_DIR", str(home))
    result = invoke(runner, "summary", data, *SCOPE)
    assert result.exit_code == 0 and "recall did not make" in result.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o755  # never chmodded
    cleared = invoke(runner, "cache", "clear")
    assert cleared.exit_code == 1 and "nothing was deleted" in cleared.stderr
    assert {p.name: p.read_bytes() for p in home.iterdir()} == keep


def test_the_cache_folder_is_tagged_and_clear_deletes_only_our_files(
    runner: CliRunner, data: Path, cache_home: Path
) -> None:
    assert _affected(runner, data)
    tag = (cache_home / "CACHEDIR.TAG").read_bytes()
    assert tag.startswith(b"Signature: 8a477f597d28d172789f06886806bc55")
    (cache_home / "keep-me.txt").write_text("not the tool's", encoding="utf-8")
    cleared = invoke(runner, "cache", "clear")
    assert cleared.exit_code == 0
    assert sorted(p.name for p in cache_home.iterdir()) == ["CACHEDIR.TAG", "keep-me.txt"]
    (cache_home / "keep-me.txt").unlink()
    assert invoke(runner, "cache", "clear").exit_code == 0
    assert not cache_home.exists()


def test_an_old_untagged_cache_is_adopted(runner: CliRunner, data: Path, cache_home: Path) -> None:
    assert _affected(runner, data)
    (cache_home / "CACHEDIR.TAG").unlink()  # a cache made before the tag
    assert _affected(runner, data) == {"C1": 6, "C2": 4}
    assert cache.last_stats.hits == 1 and (cache_home / "CACHEDIR.TAG").exists()


# --- item 13: umask 000 ------------------------------------------------------------------


def test_umask_000_still_makes_private_folders(
    runner: CliRunner, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: None
) -> None:
    monkeypatch.setenv("RECALL_CACHE_DIR", str(tmp_path / "c1" / "c2" / "cache"))
    log = tmp_path / "a1" / "a2" / "audit.jsonl"
    os.umask(0)
    assert invoke(runner, "summary", data, *SCOPE).exit_code == 0
    cache.flush()
    entry = make_entry(command="t", kind="email", scope={}, inputs=[data], output="-", rows=0)
    append_audit(entry, log)
    for folder in ("c1", "c1/c2", "c1/c2/cache", "a1", "a1/a2"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    for p in (tmp_path / "c1" / "c2" / "cache").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name


def test_the_audit_log_refuses_a_symlink_and_tightens_an_old_mode(
    data: Path, tmp_path: Path
) -> None:
    entry = make_entry(command="t", kind="email", scope={}, inputs=[data], output="-", rows=0)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    link = tmp_path / "audit.jsonl"
    link.symlink_to(victim)
    with pytest.raises(ExportError, match="symbolic link"):
        append_audit(entry, link)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    old = tmp_path / "old.jsonl"
    old.write_text("", encoding="utf-8")
    os.chmod(old, 0o644)
    append_audit(entry, old)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600


@ROOT_ONLY
def test_the_audit_log_refuses_a_file_of_another_user(data: Path, tmp_path: Path) -> None:
    entry = make_entry(command="t", kind="email", scope={}, inputs=[data], output="-", rows=0)
    log = tmp_path / "audit.jsonl"
    log.write_text("", encoding="utf-8")
    os.chown(log, *_nobody())
    with pytest.raises(ExportError, match="owned by another user"):
        append_audit(entry, log)
    assert log.read_text(encoding="utf-8") == ""


# --- item 5: edited while it is read, with an entry already there -------------------


def test_a_file_edited_while_it_is_read_again_is_not_stored(
    data: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _load(data)  # an entry exists: the next key is worked out before the read
    data.write_text(data.read_text(encoding="utf-8").replace(",6", ",7"), encoding="utf-8")
    real = cache.read_and_normalize

    def edited_meanwhile(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        rows = real(path, *args, **kwargs)
        data.write_text(data.read_text(encoding="utf-8").replace(",7", ",8"), encoding="utf-8")
        return rows

    monkeypatch.setattr(cache, "read_and_normalize", edited_meanwhile)
    read = _load(data)
    assert cache.last_stats.stored == 0  # rows of the ",7" version, key of either: not kept
    assert read["quantity"].tolist()[0] == 7 and first["quantity"].tolist()[0] == 6
    monkeypatch.setattr(cache, "read_and_normalize", real)
    assert _load(data)["quantity"].tolist()[0] == 8
    assert _load(data)["quantity"].tolist()[0] == 8 and cache.last_stats.hits == 1


# --- item 8: checksums (the random trials are in test_faults.py) -----------------------


def test_a_flipped_bit_in_a_column_or_in_the_meta_is_a_rebuild(
    runner: CliRunner, data: Path, cache_home: Path
) -> None:
    assert _affected(runner, data) == {"C1": 6, "C2": 4}
    entry = _entry(cache_home)
    meta = json.loads(entry.meta.read_text(encoding="utf-8"))
    assert meta["check"] and all(p["columns"] for p in meta["parts"])
    # A quantity 6.0 made -4.0 by hand, checksum left as it was.
    for part in entry.parts:
        raw = bytearray(part.read_bytes())
        six = (6.0).hex()
        import struct

        at = raw.find(struct.pack("<d", 6.0))
        if at >= 0:
            raw[at : at + 8] = struct.pack("<d", -4.0)
            part.write_bytes(bytes(raw))
            break
    else:
        raise AssertionError(f"no {six} in the entry")
    assert cache.read_table(entry) is None
    assert _affected(runner, data) == {"C1": 6, "C2": 4}
    assert cache.last_stats.hits == 0
    assert _affected(runner, data) == {"C1": 6, "C2": 4} and cache.last_stats.hits == 1
    entry = _entry(cache_home)
    text = entry.meta.read_text(encoding="utf-8")
    entry.meta.write_text(text.replace('"rows": 3', '"rows": 2'), encoding="utf-8")
    assert cache.read_meta(entry) is None


# --- item 12 (cache half): temp files of killed writes --------------------------------------


def test_old_temp_files_of_killed_writes_are_swept_and_live_ones_kept(
    data: Path, cache_home: Path
) -> None:
    import fcntl

    _load(data)
    orphan = cache_home / ".tmp-abcd1234.arrow"
    orphan.write_bytes(b"rows of a killed write")
    young = cache_home / ".tmp-young123.arrow"
    young.write_bytes(b"a write just starting")
    held = cache_home / ".tmp-held5678.arrow"
    held.write_bytes(b"a long write still going")
    theirs = cache_home / ".tmp-notes.txt"
    theirs.write_bytes(b"not a name the tool gives")
    old = time.time() - 3600
    for p in (orphan, held, theirs):
        os.utime(p, (old, old))
    fd = os.open(held, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        cache._swept.clear()  # a new run
        data.write_text(data.read_text(encoding="utf-8") + "B1,2010-12-04,C9,Di,1\n")
        _load(data)
        left = {p.name for p in cache_home.iterdir()}
    finally:
        os.close(fd)
    assert orphan.name not in left
    assert {young.name, held.name, theirs.name} <= left


def test_a_code_outside_its_dictionary_is_a_rebuild_even_with_its_checksum(
    runner: CliRunner, data: Path, cache_home: Path
) -> None:
    """An entry rewritten with a coded column whose code points past its dictionary,
    its checksums sealed anew: validation still refuses it before any value is read."""
    import pyarrow as pa
    import pyarrow.feather as feather

    assert _affected(runner, data) == {"C1": 6, "C2": 4}
    entry = _entry(cache_home)
    assert cache.read_table(entry, ["kind", "lot"]) is not None
    meta = json.loads(entry.meta.read_text(encoding="utf-8"))
    meta.pop("check")
    stored = meta["aliases"].get("lot", "lot")  # the column whose buffers `lot` reads
    for k, part in enumerate(entry.parts):
        table = feather.read_table(part)
        if stored not in table.column_names:
            continue
        lot = table[stored].chunk(0)
        assert pa.types.is_dictionary(lot.type)
        codes = np.frombuffer(lot.indices.buffers()[1], dtype=lot.type.index_type.to_pandas_dtype())
        wrong = codes.copy()
        wrong[1] = len(lot.dictionary) + 3
        bad = pa.DictionaryArray.from_buffers(
            lot.type, len(lot), [None, pa.py_buffer(wrong)], lot.dictionary
        )
        at = table.schema.get_field_index(stored)
        table = table.set_column(at, stored, pa.chunked_array([bad]))
        feather.write_feather(table, part, compression="uncompressed")
        meta["parts"][k] = cache._part_prints(part)
    meta["check"] = cache._seal(meta)
    entry.meta.write_text(json.dumps(meta), encoding="utf-8")
    assert cache.read_meta(entry) is not None  # the checksums hold
    assert cache.read_table(entry, ["kind"]) is not None  # the other columns are sound
    assert cache.read_table(entry, ["kind", "lot"]) is None
    assert _affected(runner, data) == {"C1": 6, "C2": 4}
    assert cache.last_stats.hits == 0
