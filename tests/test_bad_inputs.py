"""Issue 5: broken and hostile inputs are refused with one clear line (exit 1)."""

from __future__ import annotations

import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from recall_cli.read import sniff
from tests.conftest import invoke
from tests.test_sniff import _CT, _WB, LAUGHS, make_xlsx, replace_member

PATIENT = "Jane Doe"
HEADER = ["Lot", "Ship Date", "Customer ID", "Name", "Quantity"]
ROWS = [HEADER, ["B201575", "2010-12-01", "C1", PATIENT, 40]]


def _xlsx(tmp: Path, name: str = "ship.xlsx") -> Path:
    return make_xlsx(tmp / name, [list(r) for r in ROWS])


def _missing(tmp: Path) -> Path:
    return tmp / "nope.xlsx"


def _empty_folder(tmp: Path) -> Path:
    (tmp / "exports").mkdir()
    (tmp / "exports" / "notes.pdf").write_bytes(b"%PDF-1.4")
    return tmp / "exports"


def _zero_bytes(tmp: Path) -> Path:
    p = tmp / "zero.xlsx"
    p.write_bytes(b"")
    return p


def _csv_as_xlsx(tmp: Path) -> Path:
    p = tmp / "csv.xlsx"
    p.write_text(f"Lot,Ship Date,Customer ID,Name\nB201575,2010-12-01,C1,{PATIENT}\n")
    return p


def _html_as_xlsx(tmp: Path) -> Path:
    p = tmp / "page.xlsx"
    p.write_text(f"<html><body><table><tr><td>{PATIENT}</td></tr></table></body></html>")
    return p


def _truncated(tmp: Path) -> Path:
    data = _xlsx(tmp, "full.xlsx").read_bytes()
    p = tmp / "cut.xlsx"
    p.write_bytes(data[: len(data) // 2])
    (tmp / "full.xlsx").unlink()
    return p


def _corrupt_member(tmp: Path) -> Path:
    # A complete zip whose sheet part is garbage: the reader's error, reworded.
    src = _xlsx(tmp, "src.xlsx")
    p = replace_member(src, tmp / "garbage.xlsx", "xl/worksheets/sheet1.xml", b"\x00\xff" * 50)
    src.unlink()
    return p


def _encrypted(tmp: Path) -> Path:
    src = _xlsx(tmp, "plain.xlsx")
    p = tmp / "locked.xlsx"
    with open(src, "rb") as fh, open(p, "wb") as out:
        OOXMLFile(fh).encrypt("s3cret", out)
    src.unlink()
    return p


def _zip_bomb(tmp: Path) -> Path:
    p = tmp / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("xl/workbook.xml", _WB)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(f"<!-- {PATIENT} -->".encode())
            zeros = bytes(1024 * 1024)
            for _ in range(300):
                member.write(zeros)
    return p


def _laughs(tmp: Path) -> Path:
    src = _xlsx(tmp, "src.xlsx")
    laughs = LAUGHS + _WB.split("\n", 1)[1].replace('name="S"', 'name="&lol9;"')
    p = replace_member(src, tmp / "laughs.xlsx", "xl/workbook.xml", laughs.encode())
    src.unlink()
    return p


def _xxe(tmp: Path) -> Path:
    src = _xlsx(tmp, "src.xlsx")
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&x;</Types>'
    )
    p = replace_member(src, tmp / "xxe.xlsx", "[Content_Types].xml", xxe.encode())
    src.unlink()
    return p


def _no_header(tmp: Path) -> Path:
    p = tmp / "junk.csv"
    p.write_text(f"hello,world\n{PATIENT},42\n")
    return p


CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing path": (_missing, "no such file or folder"),
    "folder with no supported file": (_empty_folder, "folder holds no"),
    "zero-byte file": (_zero_bytes, "file is empty (0 bytes)"),
    "csv renamed xlsx": (_csv_as_xlsx, "is a text (CSV) file, not an xlsx workbook"),
    "html renamed xlsx": (_html_as_xlsx, "is an HTML page saved with a .xlsx name"),
    "truncated xlsx": (_truncated, "is damaged"),
    "corrupt sheet part": (_corrupt_member, ""),
    "encrypted, no password": (_encrypted, "password-protected"),
    "zip bomb": (_zip_bomb, "zip bomb"),
    "billion laughs": (_laughs, "possible XML bomb"),
    "external entity": (_xxe, "possible XML bomb"),
    "no header anywhere": (_no_header, "no sheet with a recognisable header"),
}


def _check_refusal(result, target: Path, expect: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(target) in lines[0]
    assert expect in lines[0]
    assert "Traceback" not in result.stderr
    assert PATIENT not in result.stderr and "Jane" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("command", ["summary", "inspect"])
def test_refused_with_one_line(runner, tmp_path: Path, case: str, command: str) -> None:  # type: ignore[no-untyped-def]
    build, expect = CASES[case]
    target = build(tmp_path)
    scope = ["--lot", "B201575"] if command == "summary" else []
    result = invoke(runner, "--quiet", command, target, *scope, "--no-cache")
    if case == "no header anywhere" and command == "inspect":
        # inspect reports the skip instead of refusing: that is its job.
        assert result.exit_code == 0 and "no recognisable header" in result.stdout
        return
    _check_refusal(result, target, expect)


def test_unreadable_file(runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    target = _xlsx(tmp_path)

    def deny(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    # Tests run as root, which chmod cannot stop: deny the open itself.
    monkeypatch.setattr(sniff, "open", deny, raising=False)
    result = invoke(runner, "--quiet", "summary", target, "--lot", "B201575", "--no-cache")
    _check_refusal(result, target, "permission denied")


def test_wrong_password_and_env_password(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = _encrypted(tmp_path)
    bad = invoke(runner, "--quiet", "summary", target, "--lot", "B201575", "--password", "nope",
                 "--no-cache")  # fmt: skip
    _check_refusal(bad, target, "password did not open it")
    for extra, env in ((["--password", "s3cret"], {}), ([], {"RECALL_PASSWORD": "s3cret"})):
        args = ("summary", target, "--lot", "B201575", "--from", "2010-11-30", "--to",
                "2011-01-04", "--format", "json", "--no-cache", *extra)  # fmt: skip
        ok = invoke(runner, *args, env=env)
        assert ok.exit_code == 0, ok.stderr
        assert '"customers": 1' in ok.stdout


def test_zip_bomb_limit_flag(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Incompressible, so only the total-size limit (not the ratio rule) can refuse it.
    target = replace_member(_xlsx(tmp_path), tmp_path / "big.xlsx", "docProps/thumb.bin", b"")
    with zipfile.ZipFile(target, "a") as zf:
        zf.writestr("xl/media/big.bin", random.Random(1).randbytes(2 * 1024 * 1024))
    ok = invoke(runner, "--quiet", "summary", target, "--lot", "B1", "--no-cache")
    assert ok.exit_code == 0, ok.stderr
    result = invoke(runner, "--quiet", "summary", target, "--lot", "B1", "--max-unzipped-mb", "1",
                    "--no-cache")  # fmt: skip
    _check_refusal(result, target, "more than the 1 MB limit")
    assert "--max-unzipped-mb" in result.stderr


def test_encrypted_decrypted_bytes_get_zip_limits(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Encryption hides the zip from the checks on disk: the limit applies after decrypting.
    src = _xlsx(tmp_path, "plain.xlsx")
    with zipfile.ZipFile(src, "a") as zf:
        zf.writestr("xl/media/big.bin", random.Random(1).randbytes(2 * 1024 * 1024))
    target = tmp_path / "locked.xlsx"
    with open(src, "rb") as fh, open(target, "wb") as out:
        OOXMLFile(fh).encrypt("s3cret", out)
    result = invoke(runner, "--quiet", "summary", target, "--lot", "B201575", "--password",
                    "s3cret", "--max-unzipped-mb", "1", "--no-cache")  # fmt: skip
    _check_refusal(result, target, "limit")
