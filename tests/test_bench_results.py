"""bench/run.py writes only its own sections of bench/RESULTS.md (on a copy)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, ModuleType, ModuleType]:
    monkeypatch.syspath_prepend(str(BENCH))
    for name in ("run", "csvbench", "results"):
        sys.modules.pop(name, None)
    import csvbench
    import results
    import run

    return run, csvbench, results


def _timings(run: ModuleType, seconds: float) -> list:
    return [run.Timing("fastexcel reads the xlsx into Arrow", 100_000, seconds, 158.0),
            run.Timing("recall summary, cached", 100_000, seconds / 3, 90.0, "fastexcel",
                       0.33, (0.3, 0.4))]  # fmt: skip


def _outside(text: str, name: str, results: ModuleType) -> str:
    """The text with NAME's generated part cut out: what must never change."""
    begin, end = results.begin_marker(name), results.end_marker(name)
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    assert begin in text and end in tail + end
    return head + tail


def test_the_main_table_is_replaced_and_every_other_byte_kept(
    bench: tuple[ModuleType, ModuleType, ModuleType], tmp_path: Path
) -> None:
    run, _, results = bench
    copy = tmp_path / "RESULTS.md"
    shutil.copy(BENCH / "RESULTS.md", copy)
    before = copy.read_bytes().decode("utf-8")
    run.write_results(_timings(run, 1.25), 8.0, copy)
    first = copy.read_bytes().decode("utf-8")
    # The hand-written and the other benches' sections: all there, every byte.
    tail = before[before.index("## Checking a cache entry before use") :]
    for heading in ("## Where the time goes", "## sql", "## serve", "## CSV streaming",
                    "## Duplicates"):  # fmt: skip
        assert heading in tail
    tail = before[before.index("## Checking a cache entry before use") :]
    assert first.endswith(tail)
    assert "| fastexcel reads the xlsx into Arrow | 100,000 | 1.25 |" in first
    assert "| 1,000,000 | 8.31 |" not in first.split("## Checking")[0]  # the old table
    assert first.count("# Benchmark results") == 1
    # A second run changes nothing outside its markers, byte for byte.
    run.write_results(_timings(run, 2.5), 8.0, copy)
    second = copy.read_bytes().decode("utf-8")
    assert _outside(second, run.MAIN_SECTION, results) == _outside(first, run.MAIN_SECTION,
                                                                    results)  # fmt: skip
    assert "| 100,000 | 2.50 |" in second and "| 100,000 | 1.25 |" not in second


def test_the_csv_section_keeps_its_hand_written_notes(
    bench: tuple[ModuleType, ModuleType, ModuleType], tmp_path: Path
) -> None:
    run, csvbench, _ = bench
    copy = tmp_path / "RESULTS.md"
    shutil.copy(BENCH / "RESULTS.md", copy)
    before = copy.read_text(encoding="utf-8")
    text = csvbench.section(_timings(run, 3.0), "1 round.")
    csvbench.write_section(text, copy)
    after = copy.read_text(encoding="utf-8")
    notes = before[before.index("Read with care:") :]
    assert after.endswith(notes)  # the notes under the table and every section after it
    head = before[: before.index("## CSV streaming")]
    assert after.startswith(head)
    assert after.count("## CSV streaming") == 1 and "| 100,000 | 3.00 |" in after
    assert "| 10,000,000 |" not in after.split("Read with care:")[0].split("## CSV streaming")[1]


def test_line_endings_and_text_around_the_markers_are_kept(
    bench: tuple[ModuleType, ModuleType, ModuleType], tmp_path: Path
) -> None:
    _, _, results = bench
    copy = tmp_path / "RESULTS.md"
    name = "bench/run.py"
    original = (f"# Benchmark results\r\n\r\nWritten by hand, before.\r\n"
                f"{results.begin_marker(name)}\r\nold table\r\n{results.end_marker(name)}\r\n"
                "\r\n## mine\r\n\r\n| a | b |\r\n|---|---|\r\n| 1 | 2 |\r\n").encode()  # fmt: skip
    copy.write_bytes(original)
    results.replace_section(copy, name, "new table\n", legacy="# Benchmark results")
    got = copy.read_bytes()
    assert got == original.replace(b"old table\r\n", b"new table\n")
    # No file yet, or one without the section: it is added, nothing else is written.
    fresh = tmp_path / "new.md"
    results.replace_section(fresh, "x", "t")
    assert fresh.read_text() == f"{results.begin_marker('x')}\nt\n{results.end_marker('x')}\n"
    results.replace_section(fresh, "y", "u", legacy="## never there")
    assert fresh.read_text().startswith(f"{results.begin_marker('x')}\nt\n")
    assert fresh.read_text().endswith(f"\n\n{results.begin_marker('y')}\nu\n"
                                      f"{results.end_marker('y')}\n")  # fmt: skip


def test_a_begin_marker_without_its_end_is_refused_and_the_file_kept(
    bench: tuple[ModuleType, ModuleType, ModuleType], tmp_path: Path
) -> None:
    _, _, results = bench
    copy = tmp_path / "RESULTS.md"
    copy.write_text(f"{results.begin_marker('x')}\nold\n## notes by hand\n")
    before = copy.read_bytes()
    with pytest.raises(ValueError, match="no end marker"):
        results.replace_section(copy, "x", "new")
    assert copy.read_bytes() == before
