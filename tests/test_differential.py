"""Differential test: `summary` against a plain pandas computation of the bucket rule.

Random shipments are made in code (seeded), written as an xlsx workbook and as
cp1252 `;` CSV files from French Excel, split across files. Independently of the
tool, pandas applies the rule: a line is affected when its lot is recalled, its
ship date is inside the window (both ends included) and its country is one of
those asked. Units are netted per customer, lot and country and never below 0:
a return larger than what was shipped of its lot inside the scope is not netted
(it goes to review), so its shipments count in full.

The same rows are then given again as a cumulative export (the last CSV repeats
the one before it): with --dedupe-lines the answer must not move.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from .conftest import invoke, write_csv, write_xlsx

RECALLED = ("B201575", "B201578", "F201611")
OTHER = ("B201999", "F200553", "X123456")
START, END = dt.date(2010, 11, 30), dt.date(2011, 1, 4)
COUNTRIES = {"US": ("US", "United States", "USA"), "FR": ("FR", "France"),
             "DE": ("DE", "Germany"), "PR": ("PR", "Puerto Rico"),
             "MQ": ("Martinique", "MQ")}  # fmt: skip
ASKED = ("US", "FR")
# Territories of a country asked: neither in scope nor elsewhere, but a person's call.
TERRITORY_OF_ASKED = ("PR", "MQ")
NAMES = ("Céline Dupré", "José Moore", "Zoë Martin", "Björn Weiß", "Anaïs Noël", "Ann Lee")
HEADER = ["Order", "Lot", "Ship Date", "Customer ID", "Name", "Quantity", "Country"]


def _shipments(seed: int, n: int) -> pd.DataFrame:
    """Random lines: a few customers, recalled and other lots, dates around the window,
    shipments of 10 to 100 units and some returns, some larger than what was shipped."""
    rng = random.Random(seed)
    customers = [f"C{rng.randrange(10_000, 99_999)}" for _ in range(max(3, n // 6))]
    rows = []
    for i in range(n):
        country = rng.choice(tuple(COUNTRIES))
        day = START + dt.timedelta(days=rng.randint(-20, (END - START).days + 20))
        quantity = rng.choice((10, 20, 40, 100)) * (-1 if rng.random() < 0.12 else 1)
        rows.append({
            "order": f"SO-{seed}-{i:05d}",
            "lot": rng.choice(RECALLED + OTHER),
            "day": day,
            "customer": rng.choice(customers),
            "name": rng.choice(NAMES),
            "quantity": quantity,
            "country": country,
            "country_text": rng.choice(COUNTRIES[country]),
        })  # fmt: skip
    return pd.DataFrame(rows)


def oracle(frame: pd.DataFrame) -> dict[str, int]:
    """The rule, written once more in plain pandas."""
    recalled_in_window = (
        frame["lot"].isin(RECALLED) & (frame["day"] >= START) & (frame["day"] <= END)
    )
    inside = frame[recalled_in_window & frame["country"].isin(ASKED)]
    territory = int((recalled_in_window & frame["country"].isin(TERRITORY_OF_ASKED)).sum())
    group = ["customer", "lot", "country"]
    net = inside.groupby(group)["quantity"].transform("sum")
    # An over-large return is not netted: it is left out for a person to check.
    matched = inside[~((net < 0) & (inside["quantity"] < 0))]
    units = matched.groupby(group)["quantity"].sum().clip(lower=0).sum()
    return {
        "customers": int(matched["customer"].nunique()),
        "units": int(units),
        "shipments": len(matched),
        "review": len(inside) - len(matched) + territory,
    }


def _write(frame: pd.DataFrame, folder: Path, parts: list[pd.DataFrame]) -> list[Path]:
    """The first part as a workbook (real dates), the others as cp1252 `;` CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, part in enumerate(parts):
        records = [
            [r.order, r.lot, r.day, r.customer, r.name, r.quantity, r.country_text]
            for r in part.itertuples()
        ]
        if k == 0:
            paths.append(write_xlsx(folder / "part0.xlsx", {"Shipments": [HEADER, *records]}))
        else:
            text = [[*r[:2], r[2].isoformat(), *r[3:]] for r in records]
            paths.append(write_csv(folder / f"part{k}.csv", [HEADER, *text], delimiter=";",
                                   encoding="cp1252"))  # fmt: skip
    return paths


def _summary(runner: CliRunner, paths: list[Path], *extra: str) -> dict[str, Any]:
    scope = ["--lot", ",".join(RECALLED), "--from", START.isoformat(), "--to", END.isoformat()]
    scope += [arg for c in ASKED for arg in ("--country", c)]
    done = invoke(runner, "summary", *paths, *scope, "--format", "json", "--no-cache", *extra)
    assert done.exit_code == 0, done.stderr
    assert "✓ every row accounted for" in done.stderr
    return json.loads(done.stdout)


def _answer(summary: dict[str, Any]) -> dict[str, int]:
    keys = ("customers", "units", "shipments")
    return {**{k: summary[k] for k in keys}, "review": summary["rows"]["needs_review"]}


@pytest.mark.parametrize("seed", range(6))
def test_summary_agrees_with_pandas(runner: CliRunner, tmp_path: Path, seed: int) -> None:
    frame = _shipments(seed, 240)
    cuts = sorted(random.Random(seed).sample(range(1, len(frame)), 2))
    parts = [frame.iloc[: cuts[0]], frame.iloc[cuts[0] : cuts[1]], frame.iloc[cuts[1] :]]
    expected = oracle(frame)
    assert expected["shipments"] > 0  # the data exercise the rule
    summary = _summary(runner, _write(frame, tmp_path / "split", parts))
    assert _answer(summary) == expected
    assert summary["lines_duplicate"] == [] and summary["files_duplicate"] == []
    # Per lot, the same rule on the lot's lines alone.
    for lot in RECALLED:
        mine = oracle(frame[frame["lot"] == lot])
        got = summary["by_lot"][lot]
        assert (got["customers"], got["units"], got["shipments"]) == (
            mine["customers"], mine["units"], mine["shipments"]
        )  # fmt: skip


@pytest.mark.parametrize("seed", range(3))
def test_a_cumulative_export_with_dedupe_lines_agrees_with_pandas(
    runner: CliRunner, tmp_path: Path, seed: int
) -> None:
    frame = _shipments(100 + seed, 180)
    third = len(frame) // 3
    parts = [frame.iloc[:third], frame.iloc[third : 2 * third], frame.iloc[third:]]
    paths = _write(frame, tmp_path / "cumulative", parts)
    summary = _summary(runner, paths, "--dedupe-lines")
    assert _answer(summary) == oracle(frame)
    [copies] = summary["lines_duplicate"]
    assert (copies["file"], copies["same_as"]) == (str(paths[2]), str(paths[1]))
    assert copies["lines"] == third and copies["set_aside"] is True
    assert summary["rows"]["not_data"] == third
