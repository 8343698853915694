"""`recall cache`: where the cache of normalised rows lives, and clearing it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from recall_cli.cli.app import AppContext, cli, pass_app

if TYPE_CHECKING:
    pass


@cli.group(
    "cache",
    epilog="""\b
Examples:
  recall cache info
  recall cache clear
  RECALL_CACHE_DIR=/secure/cache recall summary --recall recall.toml
""",
)
def cache_group() -> None:
    """The cache of normalised rows that makes repeat questions fast.

    It holds patient data: the folder is 0700 and its files 0600. Set
    RECALL_CACHE_DIR to move it; --no-cache on any command skips it.
    """


@cache_group.command(
    "info", epilog="\b\nExamples:\n  recall cache info\n  RECALL_CACHE_DIR=/tmp/c recall cache info"
)
@pass_app
def cache_info(app: AppContext) -> None:
    """Where the cache lives, how many files it holds and their size."""
    from recall_cli.cache import store as cache

    found = cache.info()
    click.echo(f"path: {found['path']}")
    click.echo(f"entries: {found['entries']}")
    click.echo(f"size: {found['bytes'] / 1e6:,.1f} MB")
    if found["problem"]:
        click.echo(f"not used: the folder {found['problem']}")


@cache_group.command(
    "clear",
    epilog="\b\nExamples:\n  recall cache clear\n  RECALL_CACHE_DIR=/tmp/c recall cache clear",
)
@pass_app
def cache_clear(app: AppContext) -> None:
    """Delete every cached copy of your data."""
    from recall_cli.cache import store as cache

    gone = cache.clear()
    from recall_cli.words import plural

    app.info(f"deleted {plural(gone['entries'], 'cached file')} ({gone['bytes'] / 1e6:,.1f} MB) "
             f"from {gone['path']}")  # fmt: skip
