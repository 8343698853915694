from __future__ import annotations

import csv
import importlib.util
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLE / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["sample_generate"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator() -> Any:
    return _load_generator()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, **kwargs: Any) -> Any:
    from recall_cli.cli import cli

    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def as_json(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(autouse=True, scope="session")
def _private_recall_cache(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Keep the suite's cached rows out of the user's real cache folder (cache.py)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECALL_CACHE_DIR", str(tmp_path_factory.mktemp("recall_cache")))
        yield


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own (cache.py reads RECALL_CACHE_DIR)."""
    home = tmp_path / "cache"
    monkeypatch.setenv("RECALL_CACHE_DIR", str(home))
    return home


@pytest.fixture
def umask() -> Iterator[None]:
    """Restores the process umask after a test that changes it."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)
