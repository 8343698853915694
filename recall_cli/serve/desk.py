"""The support desk behind `recall serve`: the data loaded once, the answers, the freshness.

Nothing here knows HTTP. The answers are the ones `recall check` and `recall customer`
give (tasks.support.answer_check / answer_customer), so the web API writes the same
JSON. What the page adds is routing one typed line to a lot check or a customer
search, the audited reveal, and noticing that a file changed on disk.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recall_cli.errors import ExportError, NotALotError, RecallError
from recall_cli.query import run as api
from recall_cli.query.lookup import Classified
from recall_cli.tasks.audit_log import AuditEntry, append_audit, default_audit_path, sha256_file
from recall_cli.tasks.support import Answered, answer_check, answer_customer, customer_lookup

__all__ = ["Asked", "Desk", "FileState", "Loaded", "StaleReveal"]

# Longer than any lot, barcode or customer query; refused before any work is done.
MAX_QUERY = 500


class StaleReveal(RecallError):
    """The customer asked for is no longer at that place in the answer (data reloaded)."""

    exit_code = 1


@dataclass(frozen=True)
class FileState:
    """A file the answers depend on, as it was when the data was loaded."""

    path: str
    mtime_ns: int | None  # None: missing
    size: int | None

    @classmethod
    def of(cls, path: str | Path) -> FileState:
        try:
            st = os.stat(path)
        except OSError:
            return cls(os.fspath(path), None, None)
        return cls(os.fspath(path), st.st_mtime_ns, st.st_size)

    @property
    def mtime(self) -> str:
        if self.mtime_ns is None:
            return "missing"
        return _shown(dt.datetime.fromtimestamp(self.mtime_ns / 1e9, dt.UTC))


@dataclass(frozen=True)
class Loaded:
    """One load of the data: what every answer until the next reload reads."""

    rows: Classified
    scope: dict[str, Any]
    files: tuple[FileState, ...]  # data files, then the recall or lots file
    buckets: dict[str, int]
    not_read: list[dict[str, str]]
    warnings: list[str]
    loaded_at: str
    # What `recall summary` says of copies (files read once, lines in two files): the
    # page's row line and /api/status say it too.
    files_duplicate: list[dict[str, str]] = field(default_factory=list)
    lines_duplicate: list[dict[str, Any]] = field(default_factory=list)
    # The files as the audit log records them: hashed at the load, so a reveal names
    # the files its answer came from even after they changed on disk.
    audit_inputs: list[dict[str, Any]] = field(default_factory=list, repr=False)


def _hashed(files: list[FileState]) -> list[dict[str, Any]]:
    out = []
    for f in files:
        try:
            digest = sha256_file(f.path)
        except OSError:
            continue
        out.append({"path": os.path.abspath(f.path), "sha256": digest, "size": f.size})
    return out


@dataclass(frozen=True)
class Asked:
    """What one typed line got: a lot verdict, customers, or NOT A LOT / an error."""

    kind: str  # "lot", "customer", "not_a_lot" or "error"
    check: Answered | None = None
    customer: Answered | None = None
    message: str = ""


def _shown(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _now() -> str:
    return _shown(dt.datetime.now(dt.UTC))


class Desk:
    """The loaded data and the answers, safe to call from several threads.

    ``make_request`` is called on every (re)load, so a changed recall.toml is read
    again too; ``watch`` are files besides the data (the recall file) whose change
    the page reports.
    """

    def __init__(
        self,
        make_request: Callable[[], api.Request],
        *,
        watch: tuple[Path, ...] = (),
        agent: str | None = None,
        audit_log: Path | None = None,
    ) -> None:
        self._make_request = make_request
        self._watch = watch
        self.agent = agent
        self.audit_log = audit_log
        self._reload_lock = threading.Lock()
        self._loaded: Loaded | None = None
        self.reloading = False

    # --- loading -------------------------------------------------------------

    @property
    def loaded(self) -> Loaded:
        if self._loaded is None:
            raise RuntimeError("Desk.load() was not called")
        return self._loaded

    def load(self, request: api.Request | None = None) -> Loaded:
        """Load (or reload) the data; the answers switch over only once it is read.

        A failed reload raises its RecallError and leaves the previous data in place.
        """
        with self._reload_lock:
            self.reloading = True
            try:
                request = request or self._make_request()
                # Stat before reading: a change during the load shows as a change.
                before = {os.path.abspath(p): FileState.of(p) for p in self._inputs(request)}
                run = api.run(request)
                data_files = dict.fromkeys(s.file for s in run.shipments.sources)
                files = [before.get(os.path.abspath(f)) or FileState.of(f) for f in data_files]
                files += [FileState.of(p) for p in self._watch]
                self._loaded = Loaded(
                    rows=Classified.from_result(run.result).index(),
                    scope=run.result.scope.to_dict(),
                    files=tuple(files),
                    buckets=run.result.bucket_counts(),
                    not_read=run.files_not_read(),
                    warnings=run.warnings(),
                    loaded_at=_now(),
                    files_duplicate=run.result.tally.files_duplicate(),
                    lines_duplicate=run.result.tally.lines_duplicate(),
                    audit_inputs=_hashed(files),
                )
            finally:
                self.reloading = False
        return self._loaded

    @staticmethod
    def _inputs(request: api.Request) -> list[Path]:
        from recall_cli.read.load import discover

        return list(discover(request.paths, recursive=request.load.recursive))

    def changed(self) -> list[FileState]:
        """Files whose size or mtime differ from the load's (or that are gone)."""
        return [f for f in self.loaded.files if FileState.of(f.path) != f]

    # --- answers ---------------------------------------------------------------

    def check(self, code: str, *, show_rows: bool = False) -> Answered:
        return answer_check(self.loaded.rows, _bounded(code), show_rows=show_rows)

    def customer(self, query: str) -> Answered:
        return answer_customer(self.loaded.rows, _bounded(query))

    def ask(self, text: str, *, show_rows: bool = False) -> Asked:
        """One line typed (or scanned) into the page's single field.

        ``customer QUERY`` always searches customers and ``check CODE`` always checks a
        lot, as in `recall shell`. Otherwise a scan, a recalled lot, a lot in the data
        or a look-alike of a recalled lot gets the lot verdict. Text that is not a lot,
        or a lot-shaped word that is no known lot (a customer id, a name, phone digits,
        a postal code), is searched among the customers; when none matches, the lot
        answer (NOT A LOT, or NOT IN RECALL with its suggestions) is given, so a
        mistyped lot is never silently dropped.
        """
        text = _bounded(text).strip()
        verb, _, rest = text.partition(" ")
        if verb.lower() == "customer" and rest.strip():
            return Asked("customer", customer=self.customer(rest.strip()))
        forced = verb.lower() == "check" and bool(rest.strip())
        try:
            checked = self.check(rest.strip() if forced else text, show_rows=show_rows)
        except NotALotError as exc:
            if forced:
                return Asked("not_a_lot", message=str(exc))
            found = self.customer(text)
            if found.result.data["matches"]:
                return Asked("customer", customer=found)
            return Asked("not_a_lot", customer=found, message=str(exc))
        except RecallError as exc:
            return Asked("error", message=str(exc))
        answer = checked.result.data
        known = checked.result.view["in_data"]["shipments"] or answer["looks_like"]
        if forced or "gs1" in answer or answer["recalled"] or known:
            return Asked("lot", check=checked)
        found = self.customer(text)
        if found.result.data["matches"]:
            return Asked("customer", check=checked, customer=found)
        return Asked("lot", check=checked)

    def record_seen(self, kind: str, customer_ids: Sequence[str], output: str, rows: int) -> None:
        """One audit line for an answer that shows customers (a search, a lot's rows):
        who (the user, the agent), when, which customer ids, the scope and the files'
        hashes; never the query nor what was shown. Written before the answer leaves:
        when it cannot be written (ExportError), the answer is not given."""
        if not customer_ids:
            return  # nobody's data in the answer: nothing to record
        loaded = self.loaded
        entry = AuditEntry(command="serve", kind=kind, scope=loaded.scope,
                           inputs=loaded.audit_inputs, output=output, rows=rows,
                           agent=self.agent, customer_ids=list(customer_ids))  # fmt: skip
        self._append(entry)

    def reveal(self, query: str, index: int, customer_id: str) -> dict[str, str]:
        """The contact details of one customer of a search, after an audit line.

        The audit line (who, when, which customer id, the scope and the files' hashes)
        is written first: when it cannot be written, nothing is shown.
        """
        loaded = self.loaded
        matches = customer_lookup(loaded.rows, _bounded(query), reveal=True)["matches"]
        if not 0 <= index < len(matches) or (matches[index]["customer_id"] or "") != customer_id:
            raise StaleReveal(
                "this customer is no longer in the answer (the data was reloaded)",
                hint="look the customer up again",
            )
        entry = AuditEntry(command="serve", kind="reveal", scope=loaded.scope,
                           inputs=loaded.audit_inputs, output="browser", rows=1,
                           customer_id=customer_id or "(no id)", agent=self.agent)  # fmt: skip
        self._append(entry)
        return dict(matches[index]["contact"])

    def _append(self, entry: AuditEntry) -> None:
        """The audit line, or an ExportError: the page then shows nothing (web._call)."""
        try:
            append_audit(entry, self.audit_log)
        except OSError as exc:  # a folder in its place, a full disk: refused, not a 500
            raise ExportError(
                f"the audit log cannot be written ({exc.strerror or type(exc).__name__}); "
                "nothing was shown",
                file=self.audit_log or default_audit_path(),
                hint="point --audit-log / RECALL_AUDIT_LOG at a regular file of your own",
            ) from None


def _bounded(text: str) -> str:
    if len(text) > MAX_QUERY:
        from recall_cli.errors import UsageError

        raise UsageError(
            f"the text is {len(text):,} characters long; a lot, a barcode or a customer "
            f"query is at most {MAX_QUERY}",
            hint="type or scan one code at a time",
        )
    return text
