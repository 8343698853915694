from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from pathlib import Path

import platformdirs
import pytest

from recall_cli.output.safe_write import sha256_file
from recall_cli.tasks.audit_log import (
    AUDIT_ENV,
    AuditEntry,
    append_audit,
    default_audit_path,
    make_entry,
    read_audit,
)

POSIX = os.name == "posix"

PATIENT_STRINGS = [
    "Jeanne Martin",
    "Martin",
    "jeanne.martin@example.org",
    "+33 6 12 34 56 78",
    "12 rue des Lilas",
    "Dr Bernard",
]


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "audit" / "sub" / "audit.jsonl"
    monkeypatch.setenv(AUDIT_ENV, str(path))
    return path


@pytest.fixture
def shipments(tmp_path: Path) -> Path:
    path = tmp_path / "shipments.csv"
    rows = [
        "lot,ship_date,name,email,phone,address,prescriber,country",
        f"L123,2024-03-02,{PATIENT_STRINGS[0]},{PATIENT_STRINGS[2]},"
        f"{PATIENT_STRINGS[3]},{PATIENT_STRINGS[4]},{PATIENT_STRINGS[5]},FR",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _entry(inputs: list[Path], output: str | Path = "-", rows: int = 1) -> AuditEntry:
    return make_entry(
        command="recall export",
        kind="mail-merge",
        scope={
            "lots": ["L123", "L124"],
            "from": dt.date(2024, 3, 1),
            "to": "2024-03-31",
            "countries": {"FR", "BE"},
            "recall_name": "Recall 2024-07",
        },
        inputs=inputs,
        output=output,
        rows=rows,
    )


def test_default_path_env(log: Path) -> None:
    assert default_audit_path() == log


def test_default_path_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(AUDIT_ENV, raising=False)
    expected = platformdirs.user_data_path("recall_cli") / "audit.jsonl"
    assert default_audit_path() == expected
    monkeypatch.setenv(AUDIT_ENV, "")
    assert default_audit_path() == expected


def test_round_trip(log: Path, shipments: Path, tmp_path: Path) -> None:
    first = _entry([shipments], output=tmp_path / "out.csv", rows=1)
    second = _entry([shipments], output="-", rows=0)
    assert append_audit(first) == log
    assert append_audit(second) == log
    entries = read_audit()
    assert len(entries) == 2
    one = entries[0]
    assert one["command"] == "recall export"
    assert one["kind"] == "mail-merge"
    assert one["rows"] == 1
    assert one["output"] == str(tmp_path / "out.csv")
    assert entries[1]["output"] == "-"
    assert one["scope"] == {
        "lots": ["L123", "L124"],
        "from": "2024-03-01",
        "to": "2024-03-31",
        "countries": ["BE", "FR"],
        "recall_name": "Recall 2024-07",
    }
    assert one["inputs"] == [
        {
            "path": str(shipments),
            "sha256": sha256_file(shipments),
            "size": shipments.stat().st_size,
        }
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", one["time_utc"])
    assert one["user"]
    assert one["tool_version"]
    assert log.read_text(encoding="utf-8").count("\n") == 2


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
@pytest.mark.parametrize("mask", [0o022, 0o000])
@pytest.mark.usefixtures("umask")
def test_modes(log: Path, shipments: Path, mask: int) -> None:
    os.umask(mask)
    append_audit(_entry([shipments]))
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700


def test_explicit_path(tmp_path: Path, shipments: Path, log: Path) -> None:
    other = tmp_path / "elsewhere.jsonl"
    assert append_audit(_entry([shipments]), other) == other
    assert len(read_audit(other)) == 1
    assert not log.exists()


def test_missing_file_reads_empty(log: Path) -> None:
    assert read_audit() == []


def test_corrupt_lines(log: Path, shipments: Path) -> None:
    append_audit(_entry([shipments]))
    with log.open("ab") as fh:
        fh.write(b"{not json\n\n[1, 2]\n\xff\xfe\n")
    append_audit(_entry([shipments], rows=7))
    with log.open("ab") as fh:
        fh.write(b'{"command": "trunc')  # a crash mid-write
    append_audit(_entry([shipments], rows=9))
    entries = read_audit()
    assert entries[1:4] == [
        {"error": "unreadable line 2"},
        {"error": "unreadable line 4"},
        {"error": "unreadable line 5"},
    ]
    assert entries[4]["rows"] == 7
    assert entries[5] == {"error": "unreadable line 7"}
    assert entries[6]["rows"] == 9  # the truncated line did not swallow the next entry
    assert entries[0]["rows"] == 1


def test_no_patient_values_in_the_log(log: Path, shipments: Path, tmp_path: Path) -> None:
    append_audit(_entry([shipments], output=tmp_path / "out.csv"))
    line = log.read_text(encoding="utf-8")
    for value in PATIENT_STRINGS:
        assert value not in line
        assert json.dumps(value)[1:-1] not in line


def test_scope_rejects_unknown_keys_and_values(shipments: Path) -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        make_entry(
            command="c",
            kind="k",
            scope={"lots": ["L1"], "note": "free text"},
            inputs=[],
            output="-",
            rows=0,
        )
    with pytest.raises(TypeError, match="unsupported"):
        make_entry(
            command="c",
            kind="k",
            scope={"lots": [{"name": "x"}]},
            inputs=[],
            output="-",
            rows=0,
        )
    with pytest.raises(ValueError, match="unknown keys"):
        AuditEntry(
            command="c",
            kind="k",
            scope={},
            inputs=[{"path": "p", "sha256": "0", "size": 1, "patient": "x"}],
            output="-",
            rows=0,
        )
    with pytest.raises(ValueError, match="negative"):
        AuditEntry(command="c", kind="k", scope={}, inputs=[], output="-", rows=-1)


def test_entry_is_frozen() -> None:
    entry = AuditEntry(command="c", kind="k", scope={}, inputs=[], output="-", rows=0)
    with pytest.raises(AttributeError):
        entry.rows = 3  # type: ignore[misc]


def test_user_falls_back_to_uid(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    def boom() -> str:
        raise OSError("no user")

    monkeypatch.setattr(getpass, "getuser", boom)
    entry = AuditEntry(command="c", kind="k", scope={}, inputs=[], output="-", rows=0)
    expected = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    assert entry.user == expected


def test_scope_accepts_recall_scope_to_dict_shape(log: Path) -> None:
    scope = {"name": "R-7", "lots": ["L1"], "from": None, "to": "2024-01-31", "countries": []}
    entry = AuditEntry(command="c", kind="k", scope=scope, inputs=[], output="-", rows=0)
    append_audit(entry)
    assert read_audit()[0]["scope"] == scope


def test_an_entry_names_the_customers_shown_by_id_only() -> None:
    from recall_cli.tasks.audit_log import AuditEntry

    args = {"command": "serve", "kind": "customer", "scope": {"lots": ["B1"]}, "inputs": [],
            "output": "api", "rows": 2}  # fmt: skip
    line = json.loads(AuditEntry(**args, customer_ids=["C1", "C2"]).to_json())
    assert line["customer_ids"] == ["C1", "C2"] and "customer_id" not in line
    assert "customer_ids" not in json.loads(AuditEntry(**args).to_json())
    with pytest.raises(TypeError, match="customer_ids must be a list of text"):
        AuditEntry(**args, customer_ids=[{"name": "Jane Doe"}])  # type: ignore[list-item]
