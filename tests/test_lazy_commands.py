"""A command's module is imported when that command runs: a cached answer pays for its
own imports only (the import floor is most of a cached query's time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    "openpyxl",
    "fastexcel",
    "duckdb",
    "email_validator",
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
