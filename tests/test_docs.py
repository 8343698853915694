"""The README documents every command, and its --help text is the real one (cog)."""

from __future__ import annotations

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


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n for n in _names(cli) if f"$ recall {n} --help" not in readme]
    assert missing == []


def test_readme_help_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", str(ROOT / "README.md")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, "README --help is stale: run `cog -r README.md`"


def test_column_names_doc_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", str(ROOT / "docs" / "columns.md")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, "docs/columns.md is stale: run `cog -r docs/columns.md`"
