"""The `recall` command: the only click import. Commands are grouped by job, one
module each, imported when their command runs (app.COMMANDS names them)."""

from recall_cli.cli.app import cli, main

__all__ = ["cli", "main"]
