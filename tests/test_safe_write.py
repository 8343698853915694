from __future__ import annotations

import dis
import inspect
import io
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall_cli.errors import ExportError
from recall_cli.output.safe_write import (
    FORMULA_TRIGGERS,
    atomic_output,
    escape_formula,
    sha256_file,
)

POSIX = os.name == "posix"


# --- escape_formula ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://x","y")',
        "@SUM(1)",
        "@",
        "+A1",
        "-2+3+cmd|' /C calc'!A0",
        "=1+1",
        "\tsomething",
        "\rsomething",
        "\nsomething",
        "-",
        "+",
        "+1e5",
        "-1,5",
        "+33 1 23 45 67 89 ext. A1",
    ],
)
def test_dangerous_values_are_prefixed(value: str) -> None:
    assert escape_formula(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    [
        "+33 1 23 45 67 89",
        "+1 (555) 010-1018",
        "-40",
        "-12.5",
        "+44 20/7946 0958",
        "Jane Doe",
        "jane@example.com",
        "'=already quoted",
        " =leading space",
        "",
        "LOT-42",
        "2024-05-01",
    ],
)
def test_harmless_values_are_unchanged(value: str) -> None:
    assert escape_formula(value) == value


def test_plain_number_must_be_the_whole_cell() -> None:
    # A trailing newline must not let a payload ride on a phone number.
    assert escape_formula("+33 1\n=cmd()") == "'+33 1\n=cmd()"
    assert escape_formula("-40\n") == "'-40\n"
    # Non-ASCII digits are not plain numbers.
    assert escape_formula("-٤٠") == "'-٤٠"


@given(st.text())
def test_escaped_never_starts_with_a_live_trigger(value: str) -> None:
    out = escape_formula(value)
    assert out in (value, "'" + value)
    if out == value and value and value[0] in FORMULA_TRIGGERS:
        assert value[0] in "+-"
        assert not any(c.isalpha() for c in value)
        assert set(value) <= set("+-0123456789 ()./")


# --- hidden and fullwidth triggers (issue 16, item 19) ------------------------------


@pytest.mark.parametrize(
    "value",
    ["\uff1dcmd()", "\uff0bA1", "\uff0d2+3", "\uff20SUM(1)", "\u200b=1+1", "\ufeff=1+1",
     "\u200d\u2060@x", "\u200c+A1"],
)  # fmt: skip
def test_fullwidth_and_hidden_triggers_are_escaped(value: str) -> None:
    assert escape_formula(value) == "'" + value


@pytest.mark.parametrize("value", ["\u200bJane", "\ufeff", "\u200b", "＝"[:0] + "Ｊane"])
def test_invisible_characters_alone_change_nothing(value: str) -> None:
    assert escape_formula(value) == value


# --- atomic_output ----------------------------------------------------------------


def test_writes_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with atomic_output(target) as fh:
        fh.write(b"a,b\n")
    assert target.read_bytes() == b"a,b\n"
    assert list(tmp_path.iterdir()) == [target]


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    with pytest.raises(ExportError) as info, atomic_output(target) as fh:
        fh.write(b"new")  # pragma: no cover - never reached
    message = str(info.value)
    assert str(target) in message
    assert "use --force to overwrite" in message
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_refuses_when_file_appears_during_write(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(ExportError, match="use --force"), atomic_output(target) as fh:
        fh.write(b"new")
        target.write_bytes(b"someone else")
    assert target.read_bytes() == b"someone else"
    assert list(tmp_path.iterdir()) == [target]


def test_force_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    with atomic_output(target, force=True) as fh:
        fh.write(b"new")
    assert target.read_bytes() == b"new"
    assert list(tmp_path.iterdir()) == [target]


def test_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "out.csv"
    with pytest.raises(ExportError, match="does not exist") as info, atomic_output(target):
        pass  # pragma: no cover
    assert str(target) in str(info.value)
    assert not (tmp_path / "nope").exists()


def test_target_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="folder"), atomic_output(tmp_path, force=True):
        pass  # pragma: no cover


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
@pytest.mark.parametrize("mask", [0o022, 0o000, 0o077, 0o277])
@pytest.mark.usefixtures("umask")
def test_mode_is_exact_whatever_the_umask(tmp_path: Path, mask: int) -> None:
    os.umask(mask)
    target = tmp_path / "out.csv"
    with atomic_output(target) as fh:
        fh.write(b"x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    other = tmp_path / "other.csv"
    with atomic_output(other, mode=0o640) as fh:
        fh.write(b"x")
    assert stat.S_IMODE(other.stat().st_mode) == 0o640


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_temp_file_is_private_while_writing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with atomic_output(target, mode=0o644) as fh:
        fh.write(b"partial")
        (tmp,) = [p for p in tmp_path.iterdir() if p != target]
        assert tmp.name.startswith(".out.csv.")
        assert stat.S_IMODE(tmp.stat().st_mode) & 0o077 == 0
        assert not target.exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_force_replaces_mode_of_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    target.chmod(0o666)
    with atomic_output(target, force=True) as fh:
        fh.write(b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_failure_mid_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError, match="boom"), atomic_output(target) as fh:
        fh.write(b"half of the rows")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as fh:
        fh.write(b"half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_existing_target(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"previous export")
    with pytest.raises(RuntimeError), atomic_output(target, force=True) as fh:
        fh.write(b"new")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"previous export"
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.skipif(not POSIX, reason="symlinks")
def test_symlink_is_refused_and_force_follows_it(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(b"keep me")
    link = tmp_path / "out.csv"
    link.symlink_to(elsewhere)
    # Issue 16 item 9: a symlink is refused, and --force follows it (the link stays).
    with pytest.raises(ExportError, match=r"symbolic link.*--force"), atomic_output(link):
        pass  # pragma: no cover
    assert elsewhere.read_bytes() == b"keep me"
    with atomic_output(link, force=True) as fh:
        fh.write(b"new")
    assert link.is_symlink()
    assert elsewhere.read_bytes() == b"new"


class _FakeStdout:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()


def test_dash_writes_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeStdout()
    monkeypatch.setattr(sys, "stdout", fake)
    monkeypatch.chdir(tmp_path)
    with atomic_output("-") as fh:
        fh.write(b"a,b\n")
    assert fake.buffer.getvalue() == b"a,b\n"
    assert list(tmp_path.iterdir()) == []


def test_dash_writes_to_real_stdout(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    with atomic_output("-") as fh:
        fh.write(b"x;y\n")
    assert capfdbinary.readouterr().out == b"x;y\n"


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(b"abc" * 1_000_000)  # spans several 1 MiB chunks
    import hashlib

    assert sha256_file(path) == hashlib.sha256(b"abc" * 1_000_000).hexdigest()
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert sha256_file(empty) == hashlib.sha256(b"").hexdigest()


def _lines_of(func: Any) -> list[int]:
    """Lines where a signal handler can run: a line of NOPs only (`try:`) never checks
    for signals, so an exception cannot arrive there."""
    code = inspect.unwrap(func).__code__
    ops: dict[int, set[str]] = {}
    for ins in dis.get_instructions(code):
        if ins.positions is not None and ins.positions.lineno is not None:
            ops.setdefault(ins.positions.lineno, set()).add(ins.opname)
    return sorted(line for line, names in ops.items() if names != {"NOP"})


@pytest.mark.parametrize("line", _lines_of(atomic_output))
def test_a_signal_at_any_line_leaves_no_temporary_file(tmp_path: Path, line: int) -> None:
    # SIGTERM/SIGHUP reach Python as an exception between any two bytecodes: raise one
    # as each line of atomic_output starts, and check nothing half-written is left.
    target = tmp_path / "out.csv"
    code = inspect.unwrap(atomic_output).__code__

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code is code:
            if event == "line" and frame.f_lineno == line:
                sys.settrace(None)
                frame.f_trace = None
                raise KeyboardInterrupt
            return tracer
        return None

    sys.settrace(tracer)
    try:
        with atomic_output(target) as fh:
            fh.write(b"customer_id\nC1\n")
    except KeyboardInterrupt:
        pass
    finally:
        sys.settrace(None)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    if target.exists():
        assert target.read_bytes() == b"customer_id\nC1\n"
