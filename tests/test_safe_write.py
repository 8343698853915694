from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall_cli.errors import ExportError
from recall_cli.output.safe_write import (
    FORMULA_TRIGGERS,
    atomic_output,
    escape_formula,
    escape_frame,
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


# --- escape_frame -----------------------------------------------------------------


def test_escape_frame_counts_and_does_not_modify_input() -> None:
    df = pd.DataFrame(
        {
            "name": ["=cmd()", "Jane", "@x", None],
            "phone": ["+33 1 23 45 67 89", "+A1", "-40", "\t1"],
            "qty": [1, 2, 3, 4],
            "mixed": ["=1", 5, None, b"=bytes"],
            "numbers_as_object": pd.Series([1, 2, 3, 4], dtype=object),
        }
    )
    df["mixed"] = df["mixed"].astype(object)
    before = df.copy()
    out, changed = escape_frame(df)
    assert changed == 5
    assert out["name"].tolist()[:3] == ["'=cmd()", "Jane", "'@x"]
    assert pd.isna(out["name"].iloc[3])
    assert out["phone"].tolist() == ["+33 1 23 45 67 89", "'+A1", "-40", "'\t1"]
    assert out["qty"].tolist() == [1, 2, 3, 4]
    assert out["mixed"].tolist()[:2] == ["'=1", 5]
    assert out["mixed"].iloc[3] == b"=bytes"
    assert out["numbers_as_object"].tolist() == [1, 2, 3, 4]
    pd.testing.assert_frame_equal(df, before)
    assert out["name"].dtype == df["name"].dtype


@pytest.mark.parametrize("dtype", ["object", "string", "str"])
def test_escape_frame_string_dtypes(dtype: str) -> None:
    df = pd.DataFrame({"a": pd.Series(["=x", "y", "-40", None], dtype=dtype)})
    out, changed = escape_frame(df)
    assert changed == 1
    assert out["a"].iloc[0] == "'=x"
    assert out["a"].dtype == df["a"].dtype


def test_escape_frame_categorical_and_duplicate_columns() -> None:
    cat = pd.Series(["=x", "y", "=x", "'=x"], dtype="category")
    df = pd.DataFrame({"c": cat})
    out, changed = escape_frame(df)
    assert changed == 2
    assert out["c"].astype(object).tolist() == ["'=x", "y", "'=x", "'=x"]

    dup = pd.DataFrame([["=a", "=b"]], columns=["n", "n"])
    out, changed = escape_frame(dup)
    assert changed == 2
    assert out.iloc[0].tolist() == ["'=a", "'=b"]


def test_escape_frame_large_frame_is_fast_enough() -> None:
    n = 100_000
    df = pd.DataFrame({"a": ["Jane Doe"] * (n - 2) + ["=1", "+33 1"], "b": range(n)})
    out, changed = escape_frame(df)
    assert changed == 1
    assert out["a"].iloc[-2] == "'=1"


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
def test_force_replaces_symlink_not_its_target(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(b"keep me")
    link = tmp_path / "out.csv"
    link.symlink_to(elsewhere)
    with pytest.raises(ExportError, match="use --force"), atomic_output(link):
        pass  # pragma: no cover
    with atomic_output(link, force=True) as fh:
        fh.write(b"new")
    assert not link.is_symlink()
    assert link.read_bytes() == b"new"
    assert elsewhere.read_bytes() == b"keep me"


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
