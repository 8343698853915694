"""The reference documents every command with its real --help (cog), and links resolve."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import click

from recall_cli.cli import cli

from .conftest import ROOT


def _names(group: click.Group, prefix: str = "") -> list[str]:
    out = []
    for name, command in group.commands.items():
        out.append(f"{prefix}{name}")
        if isinstance(command, click.Group):
            out.extend(_names(command, f"{prefix}{name} "))
    return out


REFERENCE = ROOT / "docs" / "reference.md"


def test_every_command_is_in_the_reference() -> None:
    reference = REFERENCE.read_text(encoding="utf-8")
    missing = [n for n in _names(cli) if f"$ recall {n} --help" not in reference]
    assert missing == []


def test_reference_help_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", str(REFERENCE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, "docs/reference.md is stale: run `cog -r docs/reference.md`"


_LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def test_relative_links_resolve() -> None:
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target, _anchor in _LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_readme_stays_short() -> None:
    # The README is the front door: what it is, two commands, one example per user,
    # links. The rest lives in docs/.
    assert len((ROOT / "README.md").read_bytes()) <= 12 * 1024


def test_column_names_doc_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", str(ROOT / "docs" / "columns.md")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, "docs/columns.md is stale: run `cog -r docs/columns.md`"


def test_readme_accounting_line_is_what_the_sample_run_prints() -> None:
    # The README quotes the promise line of its own first command: it must be the
    # line that command prints today, not the one it printed some rounds ago.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = [line for line in readme.splitlines() if line.startswith("rows read ")]
    result = subprocess.run(
        [sys.executable, "-m", "recall_cli", "summary", "--recall", "sample_data/recall.toml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    printed = [line for line in result.stderr.splitlines() if line.startswith("rows read ")]
    assert quoted == printed
