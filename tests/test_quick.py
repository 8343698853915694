"""The cached support path (quick.py): same answers as a full run, without pandas."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from recall_cli.cache import store as cache
from recall_cli.normalize.sheet import load_shipments
from recall_cli.query import run as api
from recall_cli.query.lookup import Classified, find_customers

from .conftest import invoke, write_csv

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("quick")
    for p in (ROOT / "sample_data").iterdir():
        if p.is_file() and p.suffix in (".xlsx", ".csv", ".toml"):
            shutil.copy(p, out / p.name)
    return out


def _people(sample: Path) -> dict[str, str]:
    """Real values from the sample to search by: an id, an email, phone digits, a name."""
    rows = load_shipments(sorted(sample.glob("*.[cx]*"))).rows
    rows = rows[(rows["kind"] == "data") & (rows["email"] != "") & (rows["phone"] != "")]
    first = rows.iloc[0]
    digits = "".join(ch for ch in first["phone"] if ch.isdigit())
    return {
        "id": first["customer_id"],
        "email": first["email"].upper(),  # matched ignoring case
        "phone": digits[-7:],
        "name": first["name"].split()[-1].lower(),
    }


def _answers(runner: CliRunner, sample: Path, commands: list[list[str]], *extra: str) -> list:
    out = []
    for args in commands:
        result = invoke(runner, *args, "--recall", sample / "recall.toml", *extra)
        out.append((args, result.exit_code, result.stdout, result.stderr))
    return out


def test_cached_answers_equal_a_full_run(
    sample: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    who = _people(sample)
    lots = ("B201575", "F201611", " b201590 ", "B201576", "ZZZ")
    views = ([], ["--format", "json"], ["--reveal"])
    commands = [
        *(["check", lot, *fmt] for lot in lots for fmt in views[:2]),
        ["check", "(01)00312345678906(17)120101(10)B201578", "--format", "json"],
        ["check", "B201575", "--show-rows", "--format", "json"],
        ["check", "F201611", "--country", "FR", "--from", "2010-12-15", "--format", "json"],
        ["check", "B201583", "--country", "US", "--to", "2010-12-10"],
        *(["customer", who[k], *fmt] for k in ("id", "email", "phone", "name") for fmt in views),
        ["customer", "nobody-by-this-name"],
        *(["summary", *fmt] for fmt in ([], ["--format", "json"])),
        ["summary", "--country", "FR", "--lot", "F201611", "--format", "json"],
        *(["affected", *fmt] for fmt in ([], ["--format", "json"], ["--format", "csv"])),
        ["affected", "--format", "csv", "--excel", "--no-escape-formulas", "--from", "2010-12-20"],
    ]
    full = _answers(runner, sample, commands, "--no-cache")
    invoke(runner, "summary", "--recall", sample / "recall.toml")  # fills the cache
    cache.flush()

    def no_full_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the cached path should not load the files")

    monkeypatch.setattr(api, "run", no_full_run)
    cached = _answers(runner, sample, commands)
    assert cache.last_stats.hits == 3
    for answer, cached_answer in zip(full, cached, strict=True):
        assert cached_answer == answer  # status, stdout and stderr (warnings, counts)
    statuses = {status for _, status, _, _ in full}
    assert statuses == {0, 3, 4, 5}  # affected, not affected, not found, looks like a recalled lot
    assert any("@" in text and "***" not in text for args, _, text, _ in full if "--reveal" in args)
    summary = json.loads(full[-6][2])
    assert (
        summary["rows"] == json.loads((ROOT / "sample_data" / "expected.json").read_text())["rows"]
    )
    assert "every row accounted for" in full[-6][3]


def test_cached_check_does_not_import_pandas(sample: Path, cache_home: Path) -> None:
    env = {**os.environ, cache.CACHE_ENV: str(cache_home), "NO_COLOR": "1"}
    recall = str(sample / "recall.toml")
    subprocess.run([sys.executable, "-m", "recall_cli", "summary", "--recall", recall],
                   env=env, check=True, capture_output=True)  # fmt: skip
    probe = (
        "import sys\n"
        "from recall_cli.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, 'pandas' in sys.modules, file=sys.stderr)\n"
    )
    for args in (["check", "B201575"], ["customer", "C10003", "--format", "json"]):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args, "--recall", recall],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.stderr.split() == ["0", "False"], done.stderr
    # Without the cache the same command loads the files with pandas, and agrees.
    check = [sys.executable, "-m", "recall_cli", "check", "B201575", "--recall", recall,
             "--format", "json"]  # fmt: skip
    cached = subprocess.run(check, env=env, capture_output=True, text=True, check=True)
    fresh = subprocess.run([*check, "--no-cache"], env=env, capture_output=True, text=True,
                           check=True)  # fmt: skip
    assert json.loads(cached.stdout) == json.loads(fresh.stdout)


def test_cached_check_sees_an_edited_file(tmp_path: Path, cache_home: Path) -> None:
    runner = CliRunner()
    path = write_csv(tmp_path / "s.csv", [["Lot", "Ship Date", "Customer ID", "Qty"],
                                          ["L1", "2011-01-02", "X1", "4"]])  # fmt: skip

    def shipments() -> int:
        result = invoke(runner, "check", "L1", path, "--lot", "L1", "--format", "json")
        cache.flush()
        return int(json.loads(result.stdout)["shipments"])

    assert shipments() == 1
    assert shipments() == 1 and cache.last_stats.hits == 1
    with path.open("a", encoding="utf-8") as fh:
        fh.write("L1,2011-01-03,X2,5\n")
    assert shipments() == 2


def test_customer_contact_is_the_one_the_mailing_lists_use(tmp_path: Path) -> None:
    """Each contact block comes from the latest row that has it, as in `affected`."""
    header = ["Lot", "Ship Date", "Customer ID", "Name", "Email", "Phone", "Address", "City",
              "ZIP", "Country", "Qty"]  # fmt: skip
    path = write_csv(tmp_path / "s.csv", [
        header,
        ["L1", "2010-12-01", "C1", "Ann Lee", "ann@example.com", "555 0100", "1 Old Rd",
         "Boston", "02110", "US", "3"],
        ["L1", "2010-12-20", "C1", "Ann Lee", "", "", "2 New St", "Salem", "01970", "US", "2"],
        ["L2", "2010-12-30", "C1", "", "", "555 0199", "", "", "", "FR", "1"],
        ["L2", "", "C1", "Ann Lee-Old", "old@example.com", "", "", "", "", "", "1"],
    ])  # fmt: skip
    run = api.run(api.Request.from_options(paths=[path], lots=["L1"], no_cache=True))
    affected = api.affected_table(run.result).iloc[0]
    found = find_customers(Classified.from_result(run.result), "C1")["matches"]
    assert len(found) == 1
    match = found[0]
    shown = ("email", "phone", "address", "city", "postal_code", "country")
    assert match["contact"] == {k: affected[k] for k in shown}
    assert match["contact"] == {"email": "ann@example.com", "phone": "555 0199",
                                "address": "2 New St", "city": "Salem",
                                "postal_code": "01970", "country": "US"}  # fmt: skip
    assert (match["name"], match["lots"], match["units"], match["shipments"]) == (
        affected["name"], list(affected["lots"]), affected["units"], affected["shipments"],
    )  # fmt: skip


def test_every_affected_customer_looks_the_same_in_both_answers(sample: Path) -> None:
    run = api.run(api.Request.from_options(recall_file=sample / "recall.toml", no_cache=True))
    rows = Classified(Classified.from_result(run.result).table, run.result.scope)  # on demand
    table = api.affected_table(run.result)
    assert len(table) > 100
    for _, customer in table.iterrows():
        found = find_customers(rows, customer["customer_id"])["matches"]
        mine = [m for m in found if m["customer_id"] == customer["customer_id"] and m["affected"]]
        assert len(mine) == 1, customer["customer_id"]
        m = mine[0]
        assert (m["name"], m["lots"], m["units"], m["shipments"]) == (
            customer["name"], list(customer["lots"]), customer["units"], customer["shipments"],
        )  # fmt: skip
        assert m["contact"] == {k: customer[k] for k in m["contact"]}


def test_phone_search_ignores_formatting_on_both_sides(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [
        ["Lot", "Ship Date", "Customer ID", "Name", "Phone", "Qty"],
        ["L1", "2010-12-01", "C1", "Ann", "+33 (0)1 23 45 67 89", "1"],
        ["L1", "2010-12-02", "C2", "Bob", "555-0142", "1"],
        ["L1", "2010-12-03", "C3", "Cid", "٠١٢٣٤٥", "1"],  # Arabic-Indic digits
        ["L1", "2010-12-04", "C4", "Dee", "", "1"],
    ])  # fmt: skip
    rows = Classified.from_result(api.run(api.Request.from_options(
        paths=[path], lots=["L1"], no_cache=True)).result)  # fmt: skip

    def ids(query: str) -> list[str]:
        return [m["customer_id"] for m in find_customers(rows, query)["matches"]]

    assert ids("6789") == ["C1"]
    assert ids("01 23 45 67 89") == ["C1"]
    assert ids("555 0142") == ["C2"]
    assert ids("٢٣٤٥") == ["C3"]
    assert ids("9999") == []


def test_first_query_imports_pandas_beside_the_decode(sample: Path, tmp_path: Path) -> None:
    """Nothing before the workbook decode imports pandas: the warm-up thread does,
    on the other core, while calamine decodes (with and without the cache)."""
    probe = (
        "import sys, threading\n"
        "class Spy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pandas':\n"
        "            print('pandas-by', threading.current_thread().name, file=sys.stderr)\n"
        "sys.meta_path.insert(0, Spy())\n"
        "from recall_cli.cli import main\n"
        "main()\n"
    )
    for extra in (["--no-cache"], []):
        env = {**os.environ, cache.CACHE_ENV: str(tmp_path / "fresh-cache"), "NO_COLOR": "1"}
        done = subprocess.run(
            [sys.executable, "-c", probe, "summary", "--recall", str(sample / "recall.toml"),
             "--format", "json", *extra],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        importers = [ln.split()[1] for ln in done.stderr.splitlines() if ln.startswith("pandas-by")]
        assert importers == ["recall-warm-up"], done.stderr
        expected = json.loads((ROOT / "sample_data" / "expected.json").read_text())
        assert json.loads(done.stdout)["rows"] == expected["rows"]


def test_files_stored_with_codes_and_as_text_answer_together(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A column is stored as codes where that is smaller (a customer's details on
    every shipment), as text where not, with codes as narrow as its values allow:
    across files, the cached answers are still those of a full run."""
    header = ["Lot", "Ship Date", "Customer ID", "Name", "Email", "Phone", "Address", "City",
              "ZIP", "Country", "Qty"]  # fmt: skip

    def city(i: int) -> str:
        # 126 towns in one file and 3 in the other: one byte of codes each, not together.
        return f"Town {i % 126}" if i < 900 else ("Far A", "Far B")[i % 2]

    def row(i: int, lot: str, day: int) -> list[object]:
        name = "Ann " + "".join("ABCDEFGHIJ"[int(d)] for d in str(i))  # a name search has no digits
        return [lot, f"2010-12-{day:02d}", f"C{i}", name, f"ann{i}@example.com",
                f"555 01{i:03d}", f"{i} Old Rd", city(i), "02110", "US", 2]  # fmt: skip

    # 150 customers twice each: more distinct values than one byte of codes holds.
    repeated = write_csv(tmp_path / "a.csv", [
        header, *(row(i, lot, 1 + i % 28) for lot in ("L1", "L2") for i in range(150))
    ])  # fmt: skip
    unique = write_csv(
        tmp_path / "b.csv", [header, *(row(i, "L1", 3) for i in (7, 900, 901, 902, 903))]
    )
    paths = [str(repeated), str(unique)]
    commands = [
        ["check", "L1", "--format", "json"],
        ["check", "L2"],
        ["customer", "C7", "--format", "json"],
        ["customer", "ANN900@example.com", "--reveal"],
        ["customer", "5550 1149"],
        ["customer", "ann bc"],  # Ann BC (12) and Ann BCA..BCE (120-124)
        ["summary", "--format", "json"],
        ["affected", "--format", "csv"],
    ]
    runner = CliRunner()

    def answers(*extra: str) -> list:
        out = []
        for args in commands:
            result = invoke(runner, *args, "--lot", "L1", *paths, *extra)
            out.append((args, result.exit_code, result.stdout, result.stderr))
        return out

    full = answers("--no-cache")
    invoke(runner, "summary", "--lot", "L1", *paths)  # fills the cache
    cache.flush()
    stored = {}
    for meta in cache_home.glob("*.json"):
        got = cache.read_table(cache.Entry(meta.with_suffix(".arrow"), meta))
        assert got is not None
        stored[Path(got[1]["sources"][0]["file"]).name] = got[0].schema
    assert str(stored["a.csv"].field("email").type.index_type) == "int16"
    assert str(stored["b.csv"].field("email").type) == "large_string"
    # The customer keys every count groups by, and the ids: codes too where they repeat.
    for name in ("customer_key", "customer_id"):
        assert str(stored["a.csv"].field(name).type.index_type) == "int16"
        assert str(stored["b.csv"].field(name).type) == "large_string"
    assert str(stored["b.csv"].field("country").type.index_type) == "int8"
    assert {str(stored[f].field("city").type.index_type) for f in stored} == {"int8"}

    def no_full_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the cached path should not load the files")

    monkeypatch.setattr(api, "run", no_full_run)
    cached = answers()
    assert cache.last_stats.hits == 2
    assert cached == full
    assert [status for _, status, _, _ in full] == [0, 3, 0, 0, 0, 0, 0, 0]
    assert json.loads(full[6][2])["customers"] == 154  # C0..C149 and C900..C903


def test_each_cached_answer_reads_only_the_columns_it_needs(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every column read from an entry is checksummed, validated and mapped in: `check`
    reads the bucket rule's columns (and, with --show-rows, where each row is), `summary`
    never where each row is; `customer` reads the contact details it searches."""
    header = ["Lot", "Ship Date", "Customer ID", "Name", "Email", "Phone", "Qty", "Order"]
    path = write_csv(tmp_path / "s.csv", [
        header,
        ["L1", "2010-12-01", "C1", "Ann Lee", "ann@example.com", "555 0100", "3", "O1"],
        ["L2", "2010-12-02", "C2", "Bob Ray", "bob@example.com", "555 0101", "1", "O2"],
    ])  # fmt: skip
    runner = CliRunner()
    invoke(runner, "summary", "--lot", "L1", path)  # fills the cache
    cache.flush()
    read: list[set[str]] = []
    real = cache.read_table

    def spy(entry: cache.Entry, columns: Any = None) -> Any:
        read.append(set(columns))
        return real(entry, columns)

    monkeypatch.setattr(cache, "read_table", spy)
    rule = {"source", "kind", "lot", "ship_date", "country", "customer_key", "problem", "quantity"}
    where = {"file", "sheet", "row"}

    def columns(*args: str) -> set[str]:
        read.clear()
        result = invoke(runner, *args, "--lot", "L1", path)
        assert result.exit_code in (0, 3), result.stderr
        assert cache.last_stats.hits == 1
        return read[0]

    assert columns("check", "L1") == rule
    assert columns("check", "L1", "--show-rows") == rule | where | {"customer_id"}
    summary = columns("summary")
    assert not summary & where and rule | {"customer_id", "email"} <= summary
    assert {"email", "phone", "name"} <= columns("customer", "C1")


def test_where_gives_a_new_mask_each_time_it_is_asked() -> None:
    """The last mask is kept for the next question on the same lot, never shared:
    a customer search widens the mask it is given in place."""
    import pyarrow as pa

    from recall_cli.query.scope import RecallScope

    coded = pa.array(["A", "B", "A"], pa.large_string()).dictionary_encode()
    rows = Classified(pa.table({"lot": coded}), RecallScope.create(["A"]))
    first = rows.where("lot", "A")
    first |= True
    assert rows.where("lot", "A").tolist() == [True, False, True]
    assert rows.where("lot", "B").tolist() == [False, True, False]
    assert rows.where("lot", "A").tolist() == [True, False, True]
