"""The `recall` command: the only click import. Commands are grouped by job, one
module each; importing them registers them on the group."""

from recall_cli.cli import (  # noqa: F401  (registers the commands)
    cache_commands,
    campaign,
    closing,
    quality,
    scope_change,
    sql,
    support,
)
from recall_cli.cli.app import cli, main

__all__ = ["cli", "main"]
