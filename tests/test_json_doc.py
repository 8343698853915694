"""docs/json.md lists every key of summary, check and customer JSON, and nothing else.

The doc's tables are parsed (see its "How to read the tables") and compared with the
JSON the commands write on the sample data and on runs where each optional key is
present and each list is filled, so a key added to the output or the doc alone fails.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from .conftest import SAMPLE, invoke, write_csv

DOC = Path(__file__).resolve().parent.parent / "docs" / "json.md"
RECALL = SAMPLE / "recall.toml"
SCOPE = ("--lot", "B201575", "--from", "2010-11-30", "--to", "2011-01-04")
HEADER = ["Order", "Lot", "Customer ID", "Ship Date", "Qty", "Country"]
JAN = [
    ["O1", "B201575", "C1", "2010-12-01", 40, "US"],
    ["O2", "B201575", "C2", "2010-12-02", 20, "US"],
]
SCAN = "(01)00312345678906(17)120630(10)B201575"


@dataclass
class Obj:
    """`{a, b: {...}}`: fixed keys (a value None: no shape given), or `{LOT: {...}}`."""

    fields: dict[str, Any] = field(default_factory=dict)
    keyed_by: str = ""  # the placeholder of an object keyed by values (LOT, FIELD...)


@dataclass
class Lst:
    item: Any


def parse_shape(text: str) -> Obj | Lst:
    tokens = re.findall(r"[{}\[\],:]|[A-Za-z_][A-Za-z0-9_]*", text)
    assert "".join(tokens) == re.sub(r"\s+", "", text), f"unreadable shape {text!r}"
    pos = 0

    def value() -> Obj | Lst:
        nonlocal pos
        if tokens[pos] == "[":
            pos += 1
            item = value()
            assert tokens[pos] == "]", text
            pos += 1
            return Lst(item)
        assert tokens[pos] == "{", text
        pos += 1
        obj = Obj()
        while tokens[pos] != "}":
            name = tokens[pos]
            pos += 1
            sub = None
            if tokens[pos] == ":":
                pos += 1
                sub = value() if tokens[pos] in "{[" else _placeholder(tokens, pos)
                if sub is None:
                    pos += 1
            if name.isupper():
                obj.keyed_by, obj.fields = name, {"*": sub}
            else:
                obj.fields[name] = sub
            if tokens[pos] == ",":
                pos += 1
        pos += 1
        return obj

    shape = value()
    assert pos == len(tokens), text
    return shape


def _placeholder(tokens: list[str], pos: int) -> None:
    assert tokens[pos].isupper(), f"a value is an object, a list or a PLACEHOLDER: {tokens}"
    return None


@dataclass
class Key:
    optional: bool
    shape: Obj | Lst | None


def doc_keys(command: str) -> dict[str, Key]:
    """The keys docs/json.md lists under `recall COMMAND ... --format json`."""
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)
    (section,) = [s for s in sections if s.startswith(f"`recall {command} ")]
    keys: dict[str, Key] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first, meaning = line.split("|")[1:3]
        shape = re.match(r"\s*`([\[{][^`]*)`", meaning)
        for name in re.findall(r"`([^`]+)`", first):
            assert name not in keys, f"{name} listed twice"
            keys[name] = Key("*(optional)*" in first, parse_shape(shape[1]) if shape else None)
    return keys


def compare(shape: Obj | Lst | None, value: Any, path: str, seen: set[str]) -> None:
    """`value` has exactly the keys `shape` lists, all the way down; `seen` collects
    the paths where an object or list element was really compared."""
    if shape is None or value is None:
        return
    if isinstance(shape, Lst):
        assert isinstance(value, list), f"{path}: a list in the doc, {type(value).__name__} here"
        for item in value:
            seen.add(path + "[]")
            compare(shape.item, item, path + "[]", seen)
        return
    assert isinstance(value, dict), f"{path}: an object in the doc, {type(value).__name__} here"
    seen.add(path)
    if shape.keyed_by:
        for item in value.values():
            compare(shape.fields["*"], item, f"{path}.{shape.keyed_by}", seen)
        return
    assert set(value) == set(shape.fields), (
        f"{path}: in the JSON, not the doc: {sorted(set(value) - set(shape.fields))}; "
        f"in the doc, not the JSON: {sorted(set(shape.fields) - set(value))}"
    )
    for key, sub in shape.fields.items():
        compare(sub, value[key], f"{path}.{key}", seen)


def expected_paths(shape: Obj | Lst | None, path: str) -> set[str]:
    if shape is None:
        return set()
    if isinstance(shape, Lst):
        return {path + "[]"} | expected_paths(shape.item, path + "[]")
    if shape.keyed_by:
        return {path} | expected_paths(shape.fields["*"], f"{path}.{shape.keyed_by}")
    out = {path}
    for key, sub in shape.fields.items():
        out |= expected_paths(sub, f"{path}.{key}")
    return out


def check_against_doc(command: str, answers: list[dict[str, Any]]) -> None:
    keys = doc_keys(command)
    required = {k for k, v in keys.items() if not v.optional}
    seen: set[str] = set()
    present: set[str] = set()
    for answer in answers:
        assert set(answer) - set(keys) == set(), f"{command}: keys the doc does not list"
        assert required - set(answer) == set(), f"{command}: documented keys missing"
        present |= set(answer)
        top = Obj({k: v.shape for k, v in keys.items() if k in answer})
        compare(top, answer, command, seen)
    # Each optional key was present once, and each object the doc describes was compared.
    assert present == set(keys), f"{command}: never seen: {sorted(set(keys) - present)}"
    wanted = expected_paths(Obj({k: v.shape for k, v in keys.items()}), command)
    assert wanted - seen == set(), f"{command}: never filled in these runs: {wanted - seen}"


def _json(runner: CliRunner, *args: Any) -> Any:
    done = invoke(runner, "-q", *args, "--format", "json")
    assert done.exit_code in (0, 3, 5), done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def messy(tmp_path: Path) -> list[Path]:
    """Files that fill every list of summary: a cumulative export (lines in two files),
    a byte-for-byte copy, a file without quantities, and one with no shipment table."""
    jan = write_csv(tmp_path / "jan.csv", [HEADER, *JAN])
    feb = ["O4", "B201575", "C4", "2010-12-20", 10, "US"]
    both = write_csv(tmp_path / "jan_feb.csv", [HEADER, *JAN, feb])
    again = tmp_path / "copy_of_jan.csv"
    shutil.copy(jan, again)
    no_qty = write_csv(tmp_path / "no_qty.csv", [["Lot", "Customer ID", "Ship Date"],
                                                 ["B201575", "C9", "2010-12-03"]])  # fmt: skip
    notes = write_csv(tmp_path / "notes.csv", [["Remarks", "Who"], ["call back", "Dana"]])
    return [jan, both, again, no_qty, notes]


def test_summary_json_has_the_keys_the_doc_lists(runner: CliRunner, messy: list[Path]) -> None:
    check_against_doc("summary", [
        _json(runner, "summary", "--recall", RECALL),
        _json(runner, "summary", *messy, *SCOPE, "--skip-unreadable", "--no-cache"),
    ])  # fmt: skip


def test_check_json_has_the_keys_the_doc_lists(runner: CliRunner, messy: list[Path]) -> None:
    copies = messy[:2]
    check_against_doc("check", [
        _json(runner, "check", "B201575", "--recall", RECALL),
        _json(runner, "check", "B201575", "--recall", RECALL, "--show-rows"),
        _json(runner, "check", SCAN, "--recall", RECALL),
        _json(runner, "check", "ZZ99999", "--recall", RECALL),
        _json(runner, "check", "B2O1575", "--recall", RECALL),
        _json(runner, "check", "B201575", *copies, *SCOPE, "--no-cache"),
    ])  # fmt: skip


def test_customer_json_has_the_keys_the_doc_lists(runner: CliRunner, messy: list[Path]) -> None:
    check_against_doc("customer", [
        _json(runner, "customer", "martin", "--recall", RECALL),
        _json(runner, "customer", "C1", *messy[:2], *SCOPE, "--no-cache"),
    ])  # fmt: skip


def test_the_comparison_fails_on_a_key_the_doc_does_not_list() -> None:
    """The check itself can fail: an extra, a missing and a nested key are caught."""
    keys = doc_keys("customer")
    answer = {"query": "x", "matches": [{"customer_id": "C1", "name": "", "affected": True,
              "verdict": "affected", "lots": [], "units": 1, "shipments": 1, "review": [],
              "note": ""}],
              "double_counting": None}  # fmt: skip
    check_against_doc("customer", [answer, {**answer, "double_counting": {
        "lines": 1, "units": 1, "warning": ""}}])  # fmt: skip
    with pytest.raises(AssertionError, match="keys the doc does not list"):
        check_against_doc("customer", [{**answer, "email": "j@x"}])
    with pytest.raises(AssertionError, match="documented keys missing"):
        check_against_doc("customer", [{"query": "x", "matches": []}])
    nested = {**answer, "matches": [{**answer["matches"][0], "phone": "555"}]}
    with pytest.raises(AssertionError, match=r"in the JSON, not the doc: \['phone'\]"):
        check_against_doc("customer", [nested])
    assert set(keys) == {"query", "matches", "double_counting"}
    shape = parse_shape("[{file, first: {sheet, row}, by: {LOT: {units}}, cols: {F: H}}]")
    assert expected_paths(shape, "x") == {"x[]", "x[].first", "x[].by", "x[].by.LOT",
                                          "x[].cols"}  # fmt: skip
