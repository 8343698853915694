"""The one output layer: every command writes exactly the format asked for, and every
file that holds patient data goes through one safe, audited path (issues 14 and 16)."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from .conftest import ROOT, SAMPLE, invoke, write_csv

RECALL = SAMPLE / "recall.toml"
POSIX = os.name == "posix"

TABLE_FIRST = ("table", "csv", "json", "xlsx")
VIEWS = ("table", "json")
EXPORT = ("csv", "json", "xlsx")
KINDS = ("email", "fda-806", "fda-806-totals", "fsma", "hcp", "postal", "replacements")
EVERY_FORMAT = (*TABLE_FIRST, "parquet")

# What each command can write, as docs/guide.md documents it.
OFFERED = {
    "summary": TABLE_FIRST, "review": TABLE_FIRST, "inspect": VIEWS, "check": VIEWS,
    "customer": VIEWS, "affected": TABLE_FIRST, "audit-scope": VIEWS, "diff": TABLE_FIRST,
    "sample": TABLE_FIRST, "status": TABLE_FIRST, "audit": TABLE_FIRST,
    **{f"export {k}": EXPORT for k in KINDS}, "export workbook": ("xlsx",),
    "sql": EVERY_FORMAT, "export rows": ("csv", "parquet", "xlsx", "json"),
}  # fmt: skip
SUFFIX_HOLDS = {".csv": ("csv",), ".tsv": ("csv",), ".json": ("json",), ".xlsx": ("xlsx",),
                ".parquet": ("parquet",), ".txt": ("table", "csv", "json")}  # fmt: skip


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("walk")
    data = ", ".join(f'"{SAMPLE / name}"' for name in
                     ("us_shipments_2010.xlsx", "fr_expeditions_2010.csv",
                      "us_returns_and_late.csv"))  # fmt: skip
    before = base / "v1.toml"
    before.write_text(f'lots = ["B201575"]\nfrom = "2010-11-30"\nto = "2011-01-04"\n'
                      f"data = [{data}]\n")  # fmt: skip
    responses = write_csv(base / "responses.csv", [["Customer ID", "Response date"],
                                                   ["C10003", "2011-01-20"]])  # fmt: skip
    log = base / "audit.jsonl"
    return {"dir": base, "before": before, "responses": responses, "log": log}


def _args(command: str, case: dict[str, Any]) -> list[str]:
    scope = ["--recall", str(RECALL)]
    audit = ["--audit-log", str(case["log"])]
    return {
        "check": ["check", "B201575", *scope],
        "customer": ["customer", "C10003", *scope, *audit],
        "diff": ["diff", "--before", str(case["before"]), "--after", str(RECALL), *audit],
        "sample": ["sample", *scope, "--level", "C", "--seed", "1", *audit],
        "status": ["status", *scope, "--responses", str(case["responses"]), *audit],
        "audit": ["audit", *audit],
        "inspect": ["inspect", *scope],
        "audit-scope": ["audit-scope", *scope],
        "summary": ["summary", *scope],
        "sql": ["sql", "SELECT * FROM review", *scope, *audit],
    }.get(command, [*command.split(" "), *scope, *audit])


def _expected(command: str, fmt: str | None, suffix: str) -> str | None:
    """The format docs/guide.md promises, or None for a refusal."""
    offered = OFFERED[command]
    holds = SUFFIX_HOLDS[suffix]
    if fmt is not None:
        return fmt if fmt in offered and fmt in holds else None
    usable = [f for f in holds if f in offered]
    return usable[0] if usable else None


def _check_bytes(data: bytes, fmt: str, suffix: str, path: Path) -> None:
    if fmt == "json":
        json.loads(data.decode("utf-8"))
    elif fmt == "xlsx":
        assert zipfile.is_zipfile(path)
        workbook = openpyxl.load_workbook(path, read_only=True)
        assert workbook.sheetnames
        workbook.close()
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(path).num_rows > 0
    elif fmt == "csv":
        delimiter = "\t" if suffix == ".tsv" else ","
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))
        assert len(rows[0]) >= 2, rows[0]
        assert all(len(r) == len(rows[0]) for r in rows[1:] if r and r[0] == rows[1][0])
    else:  # a table: plain text, no colour, neither JSON nor a zip
        text = data.decode("utf-8")
        assert text.strip() and "\x1b[" not in text
        assert not data.startswith(b"PK")
        with pytest.raises(ValueError):
            json.loads(text)


@pytest.mark.parametrize("command", list(OFFERED))
def test_every_command_writes_the_format_asked_for(
    runner: CliRunner, case: dict[str, Any], command: str
) -> None:
    for suffix in SUFFIX_HOLDS:
        for fmt in (None, *EVERY_FORMAT):
            out = case["dir"] / f"{command.replace(' ', '_')}-{fmt}{suffix}"
            extra = [] if fmt is None else ["--format", fmt]
            result = invoke(runner, *_args(command, case), *extra, "-o", out, "--force")
            want = _expected(command, fmt, suffix)
            label = f"{command} --format {fmt} -o x{suffix}"
            if want is None:
                assert result.exit_code == 2, (label, result.stderr)
                lines = result.stderr.splitlines()
                assert len(lines) == 1 and lines[0].startswith("Error: "), (label, lines)
                assert "can write" in lines[0] and not out.exists(), label
                continue
            assert result.exit_code in (0, 3, 4), (label, result.stderr)
            _check_bytes(out.read_bytes(), want, suffix, out)


# --- every patient file: 0600, atomic, audited ---------------------------------------

PATIENT_COMMANDS = [
    ["affected"], ["review"], ["sample", "--level", "A"], ["export", "email"],
    ["export", "workbook"], ["customer", "C10003"], ["check", "B201575", "--show-rows"],
    ["sql", "SELECT * FROM affected"], ["export", "rows"],
]  # fmt: skip


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
@pytest.mark.parametrize("words", [*PATIENT_COMMANDS, ["diff"], ["status"], ["not-responded"]],
                         ids=lambda w: "-".join(w).split(" ")[0])  # fmt: skip
def test_every_patient_file_is_0600_atomic_and_audited(
    runner: CliRunner, case: dict[str, Any], tmp_path: Path, words: list[str]
) -> None:
    log = tmp_path / "audit.jsonl"
    suffix = (
        ".xlsx" if "workbook" in words else ".json" if words[0] in ("customer", "check") else ".csv"
    )
    out = tmp_path / f"out{suffix}"
    out.write_bytes(b"old")
    if words == ["diff"]:
        args = ["diff", "--before", str(case["before"]), "--after", str(RECALL)]
    elif words == ["status"]:
        args = ["status", "--recall", str(RECALL), "--responses", str(case["responses"])]
    elif words == ["not-responded"]:
        args = ["status", "--recall", str(RECALL), "--responses", str(case["responses"]),
                "--not-responded-out", str(out)]  # fmt: skip
    else:
        args = [*words, "--recall", str(RECALL)]
    target = [] if words == ["not-responded"] else ["-o", str(out)]
    refused = invoke(runner, *args, *target, "--audit-log", log)
    assert refused.exit_code == 1 and "already exists" in refused.stderr
    assert out.read_bytes() == b"old"
    assert not log.exists() or str(out.resolve()) not in log.read_text()
    old = os.umask(0)
    try:
        result = invoke(runner, *args, *target, "--audit-log", log, "--force")
    finally:
        os.umask(old)
    assert result.exit_code in (0, 3, 4), result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert entries and entries[-1]["output"] == str(out.resolve())
    assert all(len(i["sha256"]) == 64 for i in entries[-1]["inputs"])
    text = log.read_text()
    for value in ("Martin", "@example", "Main St"):  # patient values never reach the log
        assert value not in text


def test_piped_stdout_is_audited_and_a_terminal_table_is_not(
    runner: CliRunner, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    piped = invoke(runner, "affected", "--recall", RECALL, "--format", "csv", "--audit-log", log)
    assert piped.exit_code == 0
    assert json.loads(log.read_text())["output"] == "-"
    same = invoke(runner, "affected", "--recall", RECALL, "--format", "csv", "-o", "/dev/stdout",
                  "--audit-log", log)  # fmt: skip
    assert same.stdout == piped.stdout and same.stderr == piped.stderr
    assert [json.loads(x)["output"] for x in log.read_text().splitlines()] == ["-", "-"]


# --- targets that are not regular files (issue 16, items 9 and 10) -----------------


@pytest.mark.skipif(not POSIX, reason="devices")
def test_force_writes_through_a_device_and_never_replaces_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    before = os.stat("/dev/null")
    result = invoke(runner, "affected", "--recall", RECALL, "--format", "csv", "-o", "/dev/null",
                    "--force", "--audit-log", tmp_path / "a.jsonl")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert json.loads((tmp_path / "a.jsonl").read_text())["output"] == "/dev/null"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    done = subprocess.run(
        [sys.executable, "-m", "recall_cli", "-q", "affected", "--recall", str(RECALL),
         "--format", "csv", "-o", str(fifo), "--force"],
        capture_output=True, timeout=120, env=_env(tmp_path),
    )  # fmt: skip
    data, _ = reader.communicate(timeout=60)
    assert done.returncode == 0, done.stderr
    assert data.startswith(b"customer_id,") and stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(not POSIX, reason="symlinks")
def test_a_symlink_is_refused_unless_force_follows_it(runner: CliRunner, tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    args = ("affected", "--recall", RECALL, "-o", link, "--audit-log", tmp_path / "a.jsonl")
    refused = invoke(runner, *args)
    assert refused.exit_code == 1 and "symbolic link" in refused.stderr
    assert real.read_text() == "old"
    assert invoke(runner, *args, "--force").exit_code == 0
    assert link.is_symlink() and real.read_text().startswith("customer_id,")


def test_output_that_is_an_input_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "data.csv", [["Customer ID", "Name", "Lot", "Ship date", "Qty"],
                                             ["C1", "Ann", "L1", "2011-01-02", "1"]])  # fmt: skip
    kept = data.read_bytes()
    for command in (["export", "email"], ["affected"]):
        result = invoke(runner, *command, data, "--lot", "L1", "-o", data, "--force",
                        "--audit-log", tmp_path / "a.jsonl")  # fmt: skip
        assert result.exit_code == 2, result.stderr
        assert "is one of the input files" in result.stderr
        assert data.read_bytes() == kept
    assert not (tmp_path / "a.jsonl").exists()


# --- full disk (issue 16, item 17) ------------------------------------------------------


def test_no_space_left_names_the_device_and_keeps_the_old_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recall_cli.output import deliver

    out = tmp_path / "affected.csv"
    out.write_text("old")
    real_open = deliver.atomic_output

    class Full:
        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def write(self, data: bytes) -> int:
            self.stream.write(data[:10])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    import contextlib

    @contextlib.contextmanager
    def full(*args: Any, **kwargs: Any) -> Any:
        with real_open(*args, **kwargs) as stream:
            yield Full(stream)

    monkeypatch.setattr(deliver, "atomic_output", full)
    result = invoke(runner, "affected", "--recall", RECALL, "-o", out, "--force",
                    "--audit-log", tmp_path / "a.jsonl")  # fmt: skip
    assert result.exit_code == 1
    mount = _mount_of(tmp_path)
    assert f"Error: no space left on {mount} writing {out}" in result.stderr
    assert "internal error" not in result.stderr
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["affected.csv"]


def _mount_of(path: Path) -> str:
    here = path.resolve()
    while here.parent != here and os.stat(here.parent).st_dev == os.stat(here).st_dev:
        here = here.parent
    return str(here)


def _can_mount() -> bool:
    return POSIX and os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.mark.skipif(not _can_mount(), reason="mounting a tmpfs needs root and mount(8)")
def test_a_really_full_tmpfs(tmp_path: Path) -> None:
    data = _big_shipments(tmp_path / "big.csv", 5_000)  # its list is far over 64 kB
    disk = tmp_path / "small"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                             capture_output=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"this machine cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        out = disk / "affected.csv"
        out.write_text("old")
        done = subprocess.run(
            [sys.executable, "-m", "recall_cli", "-q", "affected", str(data), "--lot", "L1",
             "--format", "csv", "-o", str(out), "--force"],
            capture_output=True, text=True, timeout=120, env=_env(tmp_path),
        )  # fmt: skip
        assert done.returncode == 1
        assert done.stderr == f"Error: no space left on {disk} writing {out} (free some space " \
            "or write elsewhere; an existing file of that name is kept)\n"  # fmt: skip
        assert out.read_text() == "old"
        assert sorted(p.name for p in disk.iterdir()) == ["affected.csv"]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# --- pipes and signals (a real process) -------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["RECALL_AUDIT_LOG"] = str(tmp_path / "audit.jsonl")
    env["RECALL_CACHE_DIR"] = str(tmp_path / "cache")
    env["PYTHONPATH"] = str(ROOT)
    return env


def _big_shipments(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Customer ID", "Name", "Email", "Lot", "Ship date", "Qty"])
        for i in range(rows):
            writer.writerow([f"C{i:07d}", f"Name {i}", f"p{i}@example.com", "L1", "2011-01-02", 1])
    return path


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    data = _big_shipments(tmp_path / "big.csv", 20_000)  # far more than a pipe's buffer
    shell = (f'"{sys.executable}" -m recall_cli affected "{data}" --lot L1 --no-cache '
             '--format csv | head -1; echo "status ${PIPESTATUS[0]}" >&2')  # fmt: skip
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=300,
                          env=_env(tmp_path))  # fmt: skip
    assert (
        done.stdout == "customer_id,name,email,phone,address,city,region,postal_code,"
        "country,lots,units,shipments,first_shipped,last_shipped,prescriber,prescriber_id\n"
    )
    assert "Error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == f"status {128 + signal.SIGPIPE}"


@pytest.mark.skipif(not POSIX, reason="signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_mid_export_leaves_no_patient_file(tmp_path: Path, signum: int) -> None:
    data = _big_shipments(tmp_path / "big.csv", 150_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "affected.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "recall_cli", "-q", "affected", str(data), "--lot", "L1",
         "--no-cache", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(tmp_path),
    )  # fmt: skip
    deadline = time.monotonic() + 240
    temp = []
    while not temp and proc.poll() is None and time.monotonic() < deadline:
        temp = [p for p in out_dir.iterdir() if p.name.endswith(".tmp")]
        time.sleep(0.002)
    if not temp:
        proc.kill()
        pytest.fail("the export never showed its temporary file")
    assert stat.S_IMODE(temp[0].stat().st_mode) == 0o600
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (128 + signum, 1), err  # SIGINT is click's "Aborted!", 1
    assert list(out_dir.iterdir()) == []
    assert not (tmp_path / "audit.jsonl").exists()


# --- xlsx past a sheet's rows (issue 16, item 3) ---------------------------------------------


def test_xlsx_splits_a_table_longer_than_a_sheet(tmp_path: Path) -> None:
    import xlsxwriter.worksheet

    from recall_cli.output.xlsx import sheet_rows, write_xlsx
    from recall_cli.tasks.tables import Table

    assert sheet_rows() == 1_048_576 == xlsxwriter.worksheet.Worksheet().xls_rowmax
    table = Table("Affected", ("customer_id", "units"), [[f"C{i}", i] for i in range(25)])
    data, notes = write_xlsx([table], per_sheet=10)
    path = tmp_path / "split.xlsx"
    path.write_bytes(data)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Affected", "Affected (2)", "Affected (3)"]
    ids = [r[0] for ws in wb for r in ws.iter_rows(min_row=2, values_only=True)]
    assert ids == [f"C{i}" for i in range(25)]
    assert notes == ["Affected: 25 rows do not fit one sheet (10 rows each): written to 3 "
                     "sheets, Affected, Affected (2), Affected (3)"]  # fmt: skip


# --- options: one meaning, refused where they do not apply -------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["affected", "--format", "json", "--excel"], "--excel is a CSV option"),
    (["affected", "--format", "csv", "--delimiter", ";"], "--delimiter is ambiguous"),
    (["export", "email", "--all"], "--all does not apply to export email"),
    (["export", "email", "--with-patients", "--ship-from", "X"],
     "--ship-from, --with-patients do not apply"),
    (["export", "fda-806", "--domestic", "Narnia"], "unknown country 'Narnia'"),
    (["summary", "--column", "lot=Nope"], "no sheet read has a header called 'Nope'"),
    (["check", ""], "the lot code is empty"),
    (["customer", " "], "the customer query is empty"),
    (["diff", "--before", str(RECALL), "--after", str(RECALL), "--format", "json", "--list",
      "removed"], "--list does not apply to json"),
    (["status", "--responses", str(RECALL), "--list", "unexpected"], "--list applies to csv"),
    (["affected", "-o", "x.pdf"], "cannot tell the format from the suffix .pdf"),
])  # fmt: skip
def test_options_that_do_not_apply_are_refused(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    scope = [] if args[0] == "diff" else ["--recall", str(RECALL)]
    result = invoke(runner, *args, *scope)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_output_delimiter_and_tsv(runner: CliRunner, tmp_path: Path) -> None:
    semi = invoke(runner, "affected", "--recall", RECALL, "--format", "csv", "--excel",
                  "--output-delimiter", ";")  # fmt: skip
    assert semi.stdout.startswith("\ufeffcustomer_id;name;")
    out = tmp_path / "a.tsv"
    assert invoke(runner, "affected", "--recall", RECALL, "-o", out).exit_code == 0
    assert out.read_text().startswith("customer_id\tname\t")


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_anywhere(runner: CliRunner, where: str) -> None:
    flags = ["-q", "--no-color", "--debug"]
    args = ["summary", "--recall", str(RECALL), "--format", "json"]
    result = invoke(runner, *(flags + args if where == "before" else args + flags))
    assert result.exit_code == 0 and result.stderr == ""


def test_empty_no_color_keeps_colour_and_a_value_turns_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from recall_cli.output import terminal

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("NO_COLOR", "")
    assert not terminal.make_console(stderr=False).no_color
    monkeypatch.setenv("NO_COLOR", "1")
    assert terminal.make_console(stderr=False).no_color


def test_a_date_error_from_recall_toml_names_the_file(runner: CliRunner, tmp_path: Path) -> None:
    toml = tmp_path / "recall.toml"
    toml.write_text('lots = ["B1"]\nfrom = "2011-02-01"\nto = "2011-01-01"\n')
    data = write_csv(tmp_path / "d.csv", [["Lot", "Ship date", "Customer ID"]])
    result = invoke(runner, "summary", data, "--recall", toml)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {toml}: from = 2011-02-01 is after to = 2011-01-01 "
                             "(swap the dates)\n")  # fmt: skip
    flagged = invoke(runner, "summary", data, "--recall", toml, "--to", "2011-01-15")
    assert "from = 2011-02-01 is after --to 2011-01-15" in flagged.stderr


def test_plurals_say_one_row(runner: CliRunner, tmp_path: Path) -> None:
    from recall_cli.words import plural

    assert [plural(n, "row") for n in (0, 1, 2, 1000)] == ["0 rows", "1 row", "2 rows",
                                                           "1,000 rows"]  # fmt: skip
    assert plural(1, "entry") == "1 entry" and plural(3, "entry") == "3 entries"
    assert plural(2, "cached file") == "2 cached files"
    data = write_csv(tmp_path / "d.csv", [["Customer ID", "Lot", "Ship date"],
                                          ["C1", "L1", "2011-01-02"]])  # fmt: skip
    result = invoke(runner, "affected", data, "--lot", "L1", "-o", tmp_path / "a.csv",
                    "--audit-log", tmp_path / "a.jsonl")  # fmt: skip
    assert f"wrote 1 row to {tmp_path / 'a.csv'}" in result.stderr


def test_the_noun_alone_agrees_with_its_count() -> None:
    from recall_cli.output.lines import _count
    from recall_cli.words import noun

    assert [noun(n, "row") for n in (0, 1, 2)] == ["rows", "row", "rows"]
    assert noun(1, "entry") == "entry" and noun(2, "entry") == "entries"
    assert noun(2, "cached file") == "cached files" and noun(2, "this") == "these"
    assert noun(2, "box", "crates") == "crates" and noun(1, "box", "crates") == "box"
    # An unknown count (no quantity column) takes the plural.
    assert noun(None, "unit") == "units" and noun(None, "shipment entry") == "shipment entries"
    assert _count(None, "unit") == "unknown units" and _count(1, "unit") == "1 unit"
    assert _count(2_000, "entry") == "2,000 entries"


def test_a_warning_for_several_sheets_is_said_once() -> None:
    from recall_cli.query.tally import said_once

    lines = said_once([("a.xlsx / Jan", ["16 lots are digits only", "skipped, empty"]),
                       ("a.xlsx / Feb", ["5 lots are digits only"]),
                       ("b.csv", ["3 lots are digits only", "skipped, empty"])])  # fmt: skip
    assert lines == [
        "3 sheets (a.xlsx / Jan 16, a.xlsx / Feb 5, b.csv 3): 24 lots are digits only",
        "2 sheets (a.xlsx / Jan, b.csv): skipped, empty",
    ]


def test_help_ends_with_examples_and_groups_commands(runner: CliRunner) -> None:
    from recall_cli.cli import cli
    from recall_cli.cli.app import SECTIONS

    top = invoke(runner, "--help").stdout
    for title, _ in SECTIONS:
        assert f"{title}:" in top
    placed = [n for _, names in SECTIONS for n in names]
    assert sorted(placed) == sorted(cli.commands)
    for name, command in cli.commands.items():
        for sub in [[]] + [[s] for s in getattr(command, "commands", {})]:
            text = invoke(runner, name, *sub, "--help").stdout
            tail = text[text.rindex("Examples:") :]
            assert tail.count("recall ") >= 2, (name, sub)


@pytest.mark.skipif(not POSIX, reason="symlinks")
def test_an_unusable_audit_log_refuses_before_any_file_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    # A list of patients must never sit on disk without its audit line.
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    log = tmp_path / "audit.jsonl"
    log.symlink_to(victim)
    out = tmp_path / "affected.csv"
    result = invoke(runner, "affected", "--recall", RECALL, "-o", out, "--audit-log", log)
    assert result.exit_code == 1
    assert "audit log is a symbolic link" in result.stderr
    assert sorted(tmp_path.iterdir()) == sorted([victim, log])  # no output, no temp file
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
def test_an_input_edited_after_it_was_read_refuses_the_export(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cached: bool
) -> None:
    # The audit line hashes the inputs when the file is written: that is the hash of
    # the rows exported only if the file did not change since it was read.
    from recall_cli.output import writers

    data = tmp_path / "late.csv"
    shutil.copy(SAMPLE / "us_returns_and_late.csv", data)
    args = ["affected", data, "--lot", "B201575", "--audit-log", tmp_path / "audit.jsonl"]
    env = {"RECALL_CACHE_DIR": str(tmp_path / "cache")}
    if cached:
        assert invoke(runner, *args, "-o", tmp_path / "warm.csv", env=env).exit_code == 0
    csv_writer = writers.WRITERS["csv"]

    def edit_then_write(result: Any, options: Any) -> Any:
        with data.open("a", encoding="utf-8") as fh:
            fh.write("\n")  # a site re-saving the export meanwhile
        return csv_writer(result, options)

    monkeypatch.setitem(writers.WRITERS, "csv", edit_then_write)
    out = tmp_path / "affected.csv"
    result = invoke(runner, *args, "-o", out, env=env)
    assert result.exit_code == 1, result.stderr
    assert f"{data}: changed after it was read" in result.stderr
    assert not out.exists()
