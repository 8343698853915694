"""The `recall` group: the context every command gets, the options that work anywhere,
the help grouped by job, and the one place where domain errors, closed pipes and
termination signals become one line on stderr and an exit status.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import click

from recall_cli.errors import RecallError, UsageError
from recall_cli.read.memory import keep_large_blocks_mapped, prefer_system_allocator


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


# --- options that work before or after the command --------------------------------

GLOBAL_OPTIONS = (
    (("--debug",), "Show tracebacks."),
    (("-q", "--quiet"), "No progress, warnings or counts on stderr."),
    (("--no-color",), "No colour (also: a non-empty NO_COLOR)."),
)


def _set_flag(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value and param.name:
        setattr(ctx.ensure_object(AppContext), param.name, True)
    return value


def _refuse_delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise UsageError(
            "--delimiter is ambiguous: use --input-delimiter for the CSV files read, "
            "--output-delimiter for the CSV written"
        )


def _add_global_options(command: click.Command) -> None:
    names = {o for p in command.params for o in getattr(p, "opts", ())}
    for decls, help_text in GLOBAL_OPTIONS:
        if not names & set(decls):
            command.params.append(click.Option(decls, is_flag=True, expose_value=False,
                                               callback=_set_flag, help=help_text))  # fmt: skip
    if "--delimiter" not in names:
        # The old spelling meant the input on most commands and the output on `export`:
        # refused everywhere, with the two names that replace it.
        old = click.Option(["--delimiter", "old_delimiter"], hidden=True, expose_value=False,
                           callback=_refuse_delimiter)  # fmt: skip
        command.params.append(old)


# --- help grouped by job ------------------------------------------------------------

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Quality team", ("summary", "review", "inspect", "sql")),
    ("Support desk", ("check", "customer", "shell", "serve")),
    ("Campaign", ("affected", "export")),
    ("Regulator: scope changes and the audit trail", ("audit-scope", "diff", "audit")),
    ("Closing the recall", ("sample", "status")),
    ("Housekeeping", ("cache",)),
)


# The module that defines each command: a command's module, and what it imports, is
# loaded only when that command runs (or when help or completion lists them all), so a
# cached `check` does not pay for `export`'s or `serve`'s imports.
COMMANDS: dict[str, str] = {
    "summary": "recall_cli.cli.quality",
    "review": "recall_cli.cli.quality",
    "inspect": "recall_cli.cli.quality",
    "sql": "recall_cli.cli.sql",
    "check": "recall_cli.cli.support",
    "customer": "recall_cli.cli.support",
    "shell": "recall_cli.cli.support",
    "serve": "recall_cli.cli.support",
    "affected": "recall_cli.cli.campaign",
    "export": "recall_cli.cli.campaign",
    "audit": "recall_cli.cli.campaign",
    "audit-scope": "recall_cli.cli.scope_change",
    "diff": "recall_cli.cli.scope_change",
    "sample": "recall_cli.cli.closing",
    "status": "recall_cli.cli.closing",
    "cache": "recall_cli.cli.cache_commands",
}


# --- termination signals ----------------------------------------------------------------


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so every cleanup runs (a temporary
    output file is removed) as it does for Ctrl-C. Not an Exception: nothing may catch
    it as an error and carry on."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: Any) -> None:
    signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the cleanup short
    raise Terminated(signum)


@contextlib.contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    before = {s: signal.signal(s, _terminate) for s in wanted}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def _quiet_stdout() -> None:
    """After a closed pipe: send what is still buffered to /dev/null, so the interpreter's
    last flush does not print a BrokenPipeError of its own."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


# --- group ---------------------------------------------------------------------


class RecallGroup(click.Group):
    """The group: global options on every command, help grouped by job, errors as one
    line; with ``lazy`` (command name → module), commands loaded when first asked for
    (click's lazy-group pattern: get_command and list_commands)."""

    group_class = type  # `recall cache` is a RecallGroup too: the same options and errors

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        self._loaded: MutableMapping[str, click.Command] = {}
        self.lazy = dict(lazy or {})
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def commands(self) -> MutableMapping[str, click.Command]:
        """Every command, the lazy ones loaded (for code that walks them all: the
        generated reference, the tests, click's did-you-mean)."""
        for name in self.lazy:
            self._load(name)
        return self._loaded

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._loaded = value

    def _load(self, name: str) -> None:
        module = self.lazy.get(name)
        if module is not None and name not in self._loaded:
            importlib.import_module(module)  # its decorators register it (add_command)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _add_global_options(cmd)
        name = name or cmd.name
        if name is None:
            raise TypeError("Command has no name.")
        self._loaded[name] = cmd  # not through `commands`: that would load them all

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load(cmd_name)
        return self._loaded.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._loaded, *self.lazy})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if ctx.parent is not None:
            super().format_commands(ctx, formatter)
            return
        commands = {n: c for n in self.list_commands(ctx)
                    if (c := self.get_command(ctx, n)) is not None and not c.hidden}  # fmt: skip
        if not commands:
            return
        limit = formatter.width - 6 - max(len(n) for n in commands)
        placed: set[str] = set()
        sections = [*SECTIONS, ("Other commands", tuple(commands))]
        for title, names in sections:
            rows = [(n, commands[n].get_short_help_str(limit)) for n in names
                    if n in commands and n not in placed]  # fmt: skip
            placed.update(n for n, _ in rows)
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with _signals_as_exceptions():
            try:
                return super().main(*args, **kwargs)
            except Terminated as stop:
                name = signal.Signals(stop.signum).name
                click.echo(f"Error: stopped by {name}", err=True)
                sys.exit(128 + stop.signum)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RecallError as exc:
            app = ctx.find_object(AppContext) or AppContext()
            if app.debug:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            # The reader went away (`| head -1`): end quietly, with the status a Unix
            # tool killed by SIGPIPE has.
            _quiet_stdout()
            ctx.exit(128 + getattr(signal, "SIGPIPE", 13))
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


CLI_EPILOG = """\b
Examples:
  recall summary --recall recall.toml
  recall affected --recall recall.toml -o letters.csv
  recall check B201575 --recall recall.toml

\b
-q, --no-color and --debug work before or after the command.
Shell completion (bash): eval "$(_RECALL_COMPLETE=bash_source recall)"
"""


@click.group(
    cls=RecallGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=CLI_EPILOG,
)
@click.version_option(package_name="recall_cli")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Find the customers affected by a product recall in shipment spreadsheets.

    Every row read ends in exactly one bucket: matched, not matched, not data,
    or needs review; the counts are checked to add up.
    """
    if ctx.obj is None:
        ctx.obj = AppContext()
    prefer_system_allocator()
    keep_large_blocks_mapped()
    from recall_cli.cache import store

    store.set_notifier(ctx.obj.warn)  # the cache says once why it is not used
    store.warm_also("recall_cli.query.result", "recall_cli.output.terminal")


for _decls, _help in GLOBAL_OPTIONS:
    cli.params.append(click.Option(_decls, is_flag=True, expose_value=False, callback=_set_flag,
                                   help=_help, is_eager=True))  # fmt: skip


def main() -> None:  # pragma: no cover - console entry for python -m
    cli(prog_name="recall")
