"""A command's module is imported when that command runs: a cached answer pays for its
own imports only (the import floor is most of a cached query's time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
RECALL = ROOT / "sample_data" / "recall.toml"

# Runs the CLI, then prints which modules were imported (the exit status is kept).
MODULES = (
    "import json, sys\nfrom recall_cli.cli import cli\n"
    "try:\n    cli(sys.argv[1:], prog_name='recall')\nfinally:\n"
    "    print(json.dumps(sorted(sys.modules)))"
)

# What a cached `check` must not import: the other commands' modules and what only
# they need.
NOT_FOR_CHECK = [
    "pandas",
    "rich",  # the verdict written to a pipe is plain lines (output.lines)
    "openpyxl",
    "fastexcel",
    "duckdb",
    "email_validator",
    "pyarrow.feather",  # the entry is read with pyarrow.ipc (the import floor)
    "tempfile",  # only a cache write or an output file needs these two
    "secrets",
    "subprocess",  # nothing runs a program (ctypes.util.find_library did)
    "recall_cli.cli.campaign",
    "recall_cli.cli.closing",
    "recall_cli.cli.quality",
    "recall_cli.cli.scope_change",
    "recall_cli.cli.sql",
    "recall_cli.cli.cache_commands",
    "recall_cli.cli.shell",
    "recall_cli.normalize.sheet",
    "recall_cli.query.result",
    "recall_cli.tasks.campaign",
    "recall_cli.tasks.exports",
    "recall_cli.tasks.scope_diff",
    "recall_cli.tasks.scope_audit",
    "recall_cli.tasks.effectiveness",
    "recall_cli.serve",
]


def _modules(args: list[str], env: dict[str, str]) -> tuple[int, set[str]]:
    done = subprocess.run([sys.executable, "-c", MODULES, *args], capture_output=True,
                          text=True, env=env, cwd=ROOT)  # fmt: skip
    return done.returncode, set(json.loads(done.stdout.splitlines()[-1]))


def test_each_command_is_registered_by_the_module_the_group_names() -> None:
    code = (
        "import json\nfrom recall_cli.cli import cli\nfrom recall_cli.cli.app import COMMANDS\n"
        "names = {n: c.callback.__module__ for n, c in cli.commands.items()}\n"
        "print(json.dumps([names, COMMANDS]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)  # fmt: skip
    names, lazy = json.loads(done.stdout)
    assert names == lazy  # every command known to the group, each from its own module


def test_a_cached_check_imports_only_what_its_answer_needs(tmp_path: Path) -> None:
    env = {**os.environ, "RECALL_CACHE_DIR": str(tmp_path), "NO_COLOR": "1"}
    args = ["-q", "check", "B201575", "--recall", str(RECALL)]
    first, _ = _modules(args, env)  # writes the cache
    status, modules = _modules(args, env)
    assert first == status == 0
    assert modules.isdisjoint(NOT_FOR_CHECK), sorted(modules & set(NOT_FOR_CHECK))
    assert "recall_cli.cli.support" in modules


def test_help_loads_every_command_and_an_unknown_one_is_still_suggested() -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    _, modules = _modules(["--help"], env)
    assert {"recall_cli.cli.campaign", "recall_cli.cli.sql"} <= modules
    done = subprocess.run([sys.executable, "-m", "recall_cli", "chek"], capture_output=True,
                          text=True, env=env, cwd=ROOT)  # fmt: skip
    assert done.returncode == 2
    assert "Did you mean one of: 'cache', 'check'?" in done.stderr


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=30), st.sampled_from([None, "bold red", "yellow", "dim"])),
        max_size=6,
    )
)
def test_lines_written_without_rich_are_what_rich_writes(pieces: list) -> None:
    from recall_cli.output.lines import Lines
    from recall_cli.output.terminal import plain_text

    lines = Lines()
    for text, style in pieces:
        lines.append(text, style=style)
    printed = lines.printed()
    assert printed is None or printed == plain_text(lines)
    if all(t.isascii() and t.isprintable() for t, _ in pieces):
        assert printed is not None  # the common case does not need rich


def test_a_check_answer_on_a_pipe_is_what_rich_writes_of_it() -> None:
    from recall_cli.output.lines import check_view, customer_view, plain_view
    from recall_cli.output.terminal import plain_text, render
    from recall_cli.tasks.tables import Document

    scope = {"name": "Cartridge recall", "lots": ["B201575", "B201578"]}
    row = {"file": "a.csv", "sheet": None, "row": 2, "bucket": "matched", "ship_date": None,
           "customer_id": "C1", "quantity": 5}  # fmt: skip
    answer = {"lot": "B201575", "recalled": True, "shipments": 3, "customers": 2, "units": 40,
              "first_shipped": "2010-12-01", "last_shipped": "2010-12-20", "needs_review": 1,
              "gs1": {"gtin": "00312345678906", "expiry": None, "serial": "7"},
              "suggestions": [], "rows": [row]}  # fmt: skip
    in_data = {"shipments": 9, "customers": 4}
    doc = Document("check", answer, (), view={"scope": scope, "in_data": in_data})
    assert plain_view(doc) == plain_text(render(doc))
    assert plain_text(check_view(answer, scope, in_data)) == plain_view(doc)
    tab = {**answer, "lot": "B20\t1575"}  # rich expands a tab: rich writes that one
    assert check_view(tab, scope, in_data).printed() is None
    found = {"query": "nobody", "matches": []}
    assert customer_view(found).printed() == "no customer matches 'nobody'\n\n"
