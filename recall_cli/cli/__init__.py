"""The `recall` command: the only click import. Commands are grouped by job."""

from recall_cli.cli.commands import cli, main

__all__ = ["cli", "main"]
