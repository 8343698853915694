"""`recall shell`: load the data once, then answer lot and customer questions typed
(or piped) one a line.

Lines understood::

    check CODE [--rows]    is this lot (or scanned barcode) recalled? --rows (or
                           --show-rows) adds provenance
    customer QUERY         is this customer affected? (contact masked unless the shell
                           was started with --reveal)
    CODE                   a bare lot or barcode is a `check`
    help | quit | exit

History is kept for the session only (stdlib readline, when it is available): it
is never written to disk, because typed queries are patient names and phone numbers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from recall_cli.errors import RecallError, UsageError
from recall_cli.output.terminal import check_view, customer_view
from recall_cli.query.lookup import Classified
from recall_cli.tasks.support import answer_check, answer_customer

PROMPT = "recall> "
HELP = (
    "check CODE [--rows]   lot, GS1 barcode or Digital Link; --rows (--show-rows) lists\n"
    "                      file/sheet/row\n"
    "customer QUERY        id, email, phone digits or part of a name\n"
    "CODE                  same as check CODE\n"
    "quit                  leave (or Ctrl-D)\n"
)
_QUIT = frozenset({"quit", "exit", "q"})


@dataclass
class Reply:
    """What one line produced: a renderable for stdout, or an error line for stderr."""

    renderable: Any = None
    error: str = ""
    status: int | None = None  # the exit status the one-shot command would give
    notes: tuple[str, ...] = ()  # warnings, as the one-shot command prints them


def answer_line(rows: Classified, line: str, *, reveal: bool = False) -> Reply | None:
    """The reply to one typed line; None for a blank line or a comment."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    verb, _, rest = text.partition(" ")
    verb_l, rest = verb.lower(), rest.strip()
    try:
        if verb_l in ("help", "?"):
            return Reply(renderable=HELP.rstrip("\n"))
        if verb_l == "customer":
            if not rest:
                return Reply(error="customer needs a query: customer C10003")
            found = answer_customer(rows, rest, reveal=reveal)
            return Reply(customer_view(found.result.view["found"]), status=found.status,
                         notes=found.notes)  # fmt: skip
        code, show_rows = _check_args(rest if verb_l == "check" else text)
        if not code:
            return Reply(error="check needs a lot or barcode: check B201575")
        checked = answer_check(rows, code, show_rows=show_rows)
        view = check_view(checked.result.data, rows.scope.to_dict(),
                          checked.result.view["in_data"])  # fmt: skip
        return Reply(view, status=checked.status, notes=checked.notes)
    except RecallError as exc:
        # One bad scan must not end the session; the message carries no patient value.
        return Reply(error=str(exc))


_ROWS_FLAGS = frozenset({"--rows", "--show-rows"})


def _check_args(text: str) -> tuple[str, bool]:
    """The code and whether rows were asked for: flags are words of their own,
    anywhere on the line, never part of the code."""
    words = text.split()
    flags = [w for w in words if w.startswith("--")]
    unknown = [w for w in flags if w not in _ROWS_FLAGS]
    if unknown:
        raise UsageError(f"unknown option {unknown[0]!r}", hint="check CODE [--rows]")
    return " ".join(w for w in words if not w.startswith("--")), bool(flags)


def _enable_history() -> None:
    """Line editing and in-memory history on a terminal; nothing when readline is absent."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return
    readline.set_auto_history(True)


def read_lines(stdin: TextIO, *, interactive: bool) -> Iterator[str]:
    """Lines from a prompt on a terminal, or simply each line of piped input."""
    if not interactive:
        yield from stdin
        return
    _enable_history()
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            print(file=sys.stderr)
            return
        except KeyboardInterrupt:  # Ctrl-C clears the line, as in other shells
            print(file=sys.stderr)


def run_shell(
    rows: Classified,
    lines: Iterable[str],
    out: Callable[[Any], None],
    err: Callable[[str], None],
    *,
    reveal: bool = False,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Answer each line until quit or end of input; returns the number of answers.
    `warn` gets what an answer's command would warn of (lines counted twice)."""
    answered = 0
    for line in lines:
        if line.strip().lower() in _QUIT:
            break
        reply = answer_line(rows, line, reveal=reveal)
        if reply is None:
            continue
        if reply.error:
            err(reply.error)
        else:
            out(reply.renderable)
            if warn is not None:
                for note in reply.notes:
                    warn(note)
            answered += 1
    return answered
