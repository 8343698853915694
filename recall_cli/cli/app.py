"""The `recall` group: the context every command gets, and the one place where domain
errors become one line on stderr and an exit status (1, or 2 for usage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import click

from recall_cli.errors import RecallError
from recall_cli.read.memory import prefer_system_allocator


@dataclass
class AppContext:
    debug: bool = False
    quiet: bool = False
    no_color: bool = False
    _consoles: dict[bool, Any] = field(default_factory=dict)

    def console(self, *, stderr: bool = False) -> Any:
        if stderr not in self._consoles:
            from recall_cli.output.terminal import make_console

            self._consoles[stderr] = make_console(stderr=stderr, no_color=self.no_color)
        return self._consoles[stderr]

    def out(self, renderable: Any) -> None:
        self.console().print(renderable)

    def info(self, renderable: Any) -> None:
        if not self.quiet:
            self.console(stderr=True).print(renderable)

    def warn(self, message: str) -> None:
        if not self.quiet:
            self.console(stderr=True).print(f"[yellow]warning:[/yellow] {message}", markup=True)


pass_app = click.make_pass_decorator(AppContext, ensure=True)


# --- group ---------------------------------------------------------------------


class RecallGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RecallError as exc:
            app = ctx.find_object(AppContext) or AppContext()
            if app.debug:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            app = ctx.find_object(AppContext) or AppContext()
            if app.debug:
                raise
            # The message of an unexpected error may quote a cell: show its type only.
            click.echo(
                f"Error: internal error ({type(exc).__name__}); run again with --debug "
                "for the traceback and report it",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=RecallGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recall_cli")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, warnings or counts on stderr.")
@click.option("--no-color", is_flag=True, help="No colour (also: NO_COLOR=1).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool, no_color: bool) -> None:
    """Find the customers affected by a product recall in shipment spreadsheets.

    Every row read ends in exactly one bucket: matched, not matched, not data,
    or needs review; the counts are checked to add up.
    """
    ctx.obj = AppContext(debug=debug, quiet=quiet, no_color=no_color)
    prefer_system_allocator()
    from recall_cli.cache import store

    store.set_notifier(ctx.obj.warn)  # the cache says once why it is not used


def main() -> None:  # pragma: no cover - console entry for python -m
    cli(prog_name="recall")
