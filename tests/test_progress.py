"""The load progress bar: on a terminal only, never with --quiet or off a TTY."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from recall_cli.cache import store as cache
from recall_cli.cli import cli
from recall_cli.output.terminal import load_progress

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "recall.toml"
SPINNER_CHARS = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏━"


@pytest.mark.parametrize("extra", [[], ["--quiet"]], ids=["plain", "quiet"])
def test_no_progress_when_stderr_is_not_a_tty(
    extra: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, [*extra, "summary", "--recall", str(SAMPLE), "--no-cache"])
    assert result.exit_code == 0, result.stderr
    assert "reading " not in result.stderr
    assert "\x1b[" not in result.stderr
    assert not any(ch in result.stderr for ch in SPINNER_CHARS)


def test_progress_shows_files_and_rows_on_a_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100, color_system=None)
    progress = load_progress(console, delay=0)
    progress._timer.join()  # the bar starts once the delay has passed
    progress("shipments.xlsx / Shipments", 1_234_567)
    progress._progress.refresh()
    progress.close()
    shown = buf.getvalue()
    assert "shipments.xlsx / Shipments" in shown
    assert "1,234,567 rows read" in shown


def test_quick_loads_show_nothing() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100, color_system=None)
    progress = load_progress(console, delay=60)
    progress("a.csv", 10)
    progress.close()
    assert buf.getvalue() == ""
