#!/usr/bin/env python3
"""Build a deterministic, messy recall data set and the truth that goes with it.

Modelled on the January 2011 insulin-pump cartridge recall: six lots (five US,
one French) shipped between 2010-11-30 and 2011-01-04 inclusive.

The script first makes a CLEAN list of shipment records in memory, then renders
them messily into files, and computes the truth (``expected.json``) from the
clean records plus what it knows about how each row was rendered (junk rows,
unreadable dates, lost lots). It never reads its own output back.

Usage::

    python sample_data/generate.py                      # committed sample set
    python sample_data/generate.py --rows 1000000 --out /tmp/bench

Importable: ``generate(out_dir, rows=None, seed=2011) -> dict``.
Only the standard library and xlsxwriter are needed (no recall_cli import).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import xlsxwriter

RECALL_NAME = "Cartridge recall 2011-01"
US_RECALLED = ("B201575", "B201578", "B201583", "B201590", "B201602")
FR_RECALLED = ("F201611",)
RECALLED = US_RECALLED + FR_RECALLED
WINDOW_FROM = date(2010, 11, 30)
WINDOW_TO = date(2011, 1, 4)
# Recalled lots were shipping a little before and after the recall window.
LOT_LIFE_FROM = date(2010, 11, 22)
LOT_LIFE_TO = date(2011, 1, 12)
YEAR_FROM = date(2010, 1, 1)
YEAR_TO = date(2011, 12, 31)
FIXED_TIMESTAMP = datetime(2011, 1, 10, 8, 0, 0)

# Non-recalled lots one character away from a recalled one ("201575" is the
# recalled code with its letter lost, stored as a number in the xlsx).
US_LOOKALIKES = ("B201576", "B201557", "B2O1575", "8201575", "B201590X", "B201608", "201575")
FR_LOOKALIKES = ("F201612", "F2O1611", "F201161")

US_FILES = ("us_shipments_2010.xlsx", "fr_expeditions_2010.csv", "us_returns_and_late.csv")

XLSX_HEADER = (
    "Lot #", "Ship Date", "Customer ID", "Customer Name", "E-mail", "Phone", "Address",
    "City", "State", "ZIP", "Country", "Qty", "Order No.", "Product", "Prescriber", "NPI",
)  # fmt: skip
FR_HEADER = (
    "N° de lot", "Date d'expédition", "Code client", "Nom", "Prénom", "Courriel",
    "Téléphone", "Adresse", "Code postal", "Ville", "Pays", "Quantité", "N° commande",
    "Produit", "Médecin prescripteur", "RPPS",
)  # fmt: skip
RETURNS_HEADER = (
    "Lot Number", "Shipped", "Patient ID", "Patient Name", "First Name", "Last Name",
    "Email", "Phone", "Street", "City", "State", "Postcode", "Country", "Quantity",
    "Order Number", "Product", "Prescriber", "NPI",
)  # fmt: skip
LARGE_HEADER = (
    "Lot", "Ship Date", "Customer ID", "Customer Name", "Email", "Phone", "Address",
    "City", "State", "ZIP", "Country", "Quantity", "Order ID", "Product",
)  # fmt: skip

US_FIRST = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty",
    "Mark", "Sandra", "Steven", "Ashley", "Paul", "Kimberly", "Andrew", "Emily", "Kevin",
    "Donna", "Brian", "Michelle", "George", "Carol", "Zoë", "José", "Renée",
)  # fmt: skip
US_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "O'Brien",
    "Núñez",
)  # fmt: skip
FR_FIRST = (
    "Hélène", "François", "Jérôme", "Gaëlle", "Loïc", "Françoise", "Benoît", "Élodie",
    "Cécile", "Anaïs", "Stéphane", "Maëlle", "Sébastien", "Léa", "Noël", "Agnès", "Thérèse",
    "Marie", "Pierre", "Julien", "Camille", "Nicolas", "Aurélie", "Clément",
)  # fmt: skip
FR_LAST = (
    "Lefèvre", "Garçon", "Lemaître", "Dupré", "Bœuf", "Fernández", "Martin", "Bernard",
    "Durand", "Moreau", "Lefebvre", "Girard", "Rousseau", "Chevalier", "Bérenger",
    "Façonnet", "Mercier", "Brès", "Ménard", "Lacroix",
)  # fmt: skip
US_STREETS = (
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Washington Blvd", "Park Ave",
    "Lake Rd", "Hillside Ct", "Pine St", "Sunset Blvd", "River Rd", "Church St",
)  # fmt: skip
FR_STREETS = (
    "rue de la République", "avenue Jean-Médecin", "boulevard Gambetta", "rue Victor-Hugo",
    "place de l'Église", "chemin des Pêcheurs", "rue du Général-de-Gaulle", "quai Saint-Étienne",
)  # fmt: skip
US_CITIES = (
    ("Boston", "MA", "02134"), ("Hartford", "CT", "06103"), ("Newark", "NJ", "07102"),
    ("Portland", "ME", "04101"), ("Providence", "RI", "02903"), ("Burlington", "VT", "05401"),
    ("Manchester", "NH", "03101"), ("Austin", "TX", "78701"), ("Denver", "CO", "80202"),
    ("Chicago", "IL", "60601"), ("Seattle", "WA", "98101"), ("Miami", "FL", "33101"),
    ("Atlanta", "GA", "30301"), ("Phoenix", "AZ", "85001"), ("Springfield", "MA", "01103"),
    ("New York", "NY", "10001"), ("Minneapolis", "MN", "55401"), ("Columbus", "OH", "43004"),
)  # fmt: skip
FR_CITIES = (
    ("Nice", "06000"), ("Paris", "75011"), ("Lyon", "69003"), ("Marseille", "13001"),
    ("Ajaccio", "20000"), ("Bourg-en-Bresse", "01000"), ("Laon", "02000"),
    ("Toulouse", "31000"), ("Besançon", "25000"), ("Nîmes", "30000"), ("Orléans", "45000"),
)  # fmt: skip
US_PRODUCT = "InsuPump Cartridge 3.15 mL (10-pack)"
FR_PRODUCT = "Cartouche InsuPump 3,15 ml (boîte de 10)"
US_COUNTRY = ("US", "US", "US", "USA", "United States")
FR_COUNTRY = ("France", "France", "FR")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    region: str
    postal_code: str


@dataclass
class Customer:
    customer_id: str
    first: str
    last: str
    email: str
    phone: str
    country: str  # "US" or "FR"
    addresses: list[tuple[date, Address]]  # (valid from, address), ascending
    prescriber: tuple[str, str]

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    def address_on(self, day: date) -> Address:
        current = self.addresses[0][1]
        for since, addr in self.addresses:
            if since <= day:
                current = addr
        return current


@dataclass
class Shipment:
    """One clean shipment line."""

    customer: Customer
    quantity: int
    order_id: str
    product: str
    lot: str
    ship: datetime
    hint: str = ""  # rendering instruction for forced edge cases


@dataclass
class Row:
    """One rendered row below a header. ``record`` is None for junk rows."""

    kind: str  # "data", "blank", "total", "header"
    record: Shipment | None = None
    lot_lost: bool = False  # lot cell rendered blank
    date_lost: bool = False  # date cell rendered blank or unreadable
    cells: list[object] = field(default_factory=list)


def norm_lot(value: object) -> str:
    """The tool's lot normalisation (used only to assert our own renders)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split()).upper()


def bucket(row: Row) -> str:
    if row.kind != "data":
        return "not_data"
    rec = row.record
    assert rec is not None
    if row.lot_lost:
        return "needs_review"
    recalled = rec.lot in RECALLED
    if recalled and row.date_lost:
        return "needs_review"
    if recalled and WINDOW_FROM <= rec.ship.date() <= WINDOW_TO:
        return "matched"
    return "not_matched"


class Truth:
    def __init__(self) -> None:
        self.rows = dict.fromkeys(("read", "matched", "not_matched", "not_data", "needs_review"), 0)
        self.all_customers: set[str] = set()
        self.lines: list[tuple[str, str, int]] = []  # matched: (customer id, lot, quantity)

    def add(self, kind: str, customer_id: str = "", lot: str = "", qty: int = 0) -> None:
        self.rows["read"] += 1
        self.rows[kind] += 1
        if kind == "not_data":
            return
        cid = customer_id.strip().upper()
        if cid:
            self.all_customers.add(cid)
        if kind == "matched":
            self.lines.append((cid, lot, qty))

    def add_row(self, row: Row) -> None:
        rec = row.record
        if rec is None:
            self.add("not_data")
        else:
            self.add(bucket(row), rec.customer.customer_id, rec.lot, rec.quantity)

    def as_dict(self) -> dict:
        by_lot = {lot: {"customers": set(), "units": 0, "shipments": 0} for lot in RECALLED}
        for cid, lot, qty in self.lines:
            entry = by_lot[lot]
            entry["customers"].add(cid)  # type: ignore[union-attr]
            entry["units"] += qty  # type: ignore[operator]
            entry["shipments"] += 1  # type: ignore[operator]
        return {
            "recall": RECALL_NAME,
            "lots": list(RECALLED),
            "from": WINDOW_FROM.isoformat(),
            "to": WINDOW_TO.isoformat(),
            "rows": dict(self.rows),
            "customers": sorted({cid for cid, _, _ in self.lines}),
            "units": sum(qty for _, _, qty in self.lines),
            "shipments": self.rows["matched"],
            "by_lot": {
                lot: {
                    "customers": len(v["customers"]),  # type: ignore[arg-type]
                    "units": v["units"],
                    "shipments": v["shipments"],
                }
                for lot, v in by_lot.items()
            },
            "customers_total": len(self.all_customers),
        }


def settle_returns(truths: list[Truth]) -> None:
    """A return larger than what its customer got of that lot inside the window is
    not netted: it goes to review (a lot belongs to one country here, so customer
    and lot make the group)."""
    net: dict[tuple[str, str], int] = {}
    for t in truths:
        for cid, lot, qty in t.lines:
            net[(cid, lot)] = net.get((cid, lot), 0) + qty
    for t in truths:
        kept = []
        for cid, lot, qty in t.lines:
            if qty < 0 and net[(cid, lot)] < 0:
                t.rows["matched"] -= 1
                t.rows["needs_review"] += 1
            else:
                kept.append((cid, lot, qty))
        t.lines = kept


# --------------------------------------------------------------------------- helpers


def npi(rng: random.Random) -> str:
    """A 10-digit NPI with a valid Luhn check digit (prefix 80840)."""
    body = "1" + "".join(str(rng.randrange(10)) for _ in range(8))
    digits = [int(c) for c in "80840" + body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def rpps(rng: random.Random) -> str:
    return "10" + "".join(str(rng.randrange(10)) for _ in range(9))


def ascii_fold(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "OE")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum() or c in ".-")


def rand_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def excel_serial(value: datetime) -> float:
    delta = value - datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400


def us_pool_lots() -> dict[tuple[int, int], list[str]]:
    """Three ordinary (non-recalled) lots per month, US and FR."""
    pool: dict[tuple[int, int], list[str]] = {}
    n = 0
    for year in (2010, 2011):
        for month in range(1, 13):
            lots = []
            for k in range(3):
                n += 1
                lots.append(f"B{200100 + n * 37 + k:06d}")
            pool[(year, month)] = lots
    for lots in pool.values():
        for lot in lots:
            assert lot not in RECALLED and lot not in US_LOOKALIKES
    return pool


def fr_pool_lots() -> dict[tuple[int, int], list[str]]:
    pool: dict[tuple[int, int], list[str]] = {}
    n = 0
    for year in (2010, 2011):
        for month in range(1, 13):
            n += 1
            pool[(year, month)] = [f"F{200500 + n * 53:06d}", f"F{200500 + n * 53 + 7:06d}"]
    return pool


# --------------------------------------------------------------------------- clean data


def make_prescribers(rng: random.Random) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    us_names = [f"Dr. {rng.choice(US_FIRST)} {rng.choice(US_LAST)}" for _ in range(36)] + [
        "Dr. Sarah Chen",
        "Dr. Sarah Chen",
        "Dr. John Patel",
        "Dr. John Patel",
    ]
    fr_names = [f"Dr {rng.choice(FR_FIRST)} {rng.choice(FR_LAST)}" for _ in range(8)] + [
        "Dr Marie Lefèvre",
        "Dr Marie Lefèvre",
    ]
    us = [(name, npi(rng)) for name in us_names]
    fr = [(name, rpps(rng)) for name in fr_names]
    return us, fr


def make_customers(rng: random.Random, count: int, fr_share: float = 0.1) -> list[Customer]:
    us_presc, fr_presc = make_prescribers(rng)
    ids = rng.sample(range(10001, 10001 + max(count * 5, 1000)), count)
    customers: list[Customer] = []
    for i, num in enumerate(ids):
        french = rng.random() < fr_share
        if french:
            first, last = rng.choice(FR_FIRST), rng.choice(FR_LAST)
            cid = f"FR-{num}"
        else:
            first, last = rng.choice(US_FIRST), rng.choice(US_LAST)
            cid = f"C{num}"
        if customers and rng.random() < 0.05:  # a different customer with the same name
            twin = rng.choice(customers)
            if (twin.country == "FR") == french:
                first, last = twin.first, twin.last
        domain = "exemple.fr" if french else "example.com"
        email = "" if rng.random() < 0.15 else f"{ascii_fold(first)}.{ascii_fold(last)}@{domain}"
        if french:
            phone = "0" + " ".join(
                [str(rng.randint(1, 6))] + [f"{rng.randrange(100):02d}" for _ in range(4)]
            )
        else:
            phone = f"({rng.randint(201, 989)}) 555-{rng.randrange(10000):04d}"
        addresses = [(YEAR_FROM, new_address(rng, french))]
        if rng.random() < 0.2:  # this customer moves
            addresses.append(
                (rand_day(rng, date(2010, 3, 1), date(2011, 10, 1)), new_address(rng, french))
            )
        prescriber = rng.choice(fr_presc if french else us_presc)
        customers.append(
            Customer(
                cid, first, last, email, phone, "FR" if french else "US", addresses, prescriber
            )
        )
        del i
    return customers


def new_address(rng: random.Random, french: bool) -> Address:
    if french:
        city, postal = rng.choice(FR_CITIES)
        return Address(f"{rng.randint(1, 120)} {rng.choice(FR_STREETS)}", city, "", postal)
    city, state, zipc = rng.choice(US_CITIES)
    return Address(f"{rng.randint(1, 9999)} {rng.choice(US_STREETS)}", city, state, zipc)


class Orders:
    def __init__(self) -> None:
        self.n = {"US": 0, "FR": 0}

    def next(self, country: str, day: date) -> str:
        self.n[country] += 1
        if country == "FR":
            return f"CMD-{day:%y}-{self.n['FR']:05d}"
        return f"SO-{day:%Y}-{self.n['US']:06d}"


def pick_lot(
    rng: random.Random, country: str, day: date, pools: tuple[dict, dict], recalled: bool = True
) -> str:
    us_pool, fr_pool = pools
    french = country == "FR"
    in_life = LOT_LIFE_FROM <= day <= LOT_LIFE_TO
    r = rng.random()
    if in_life and r < 0.6 and recalled:
        return rng.choice(FR_RECALLED if french else US_RECALLED)
    if (in_life and r < 0.72) or r < 0.02:
        return rng.choice(FR_LOOKALIKES if french else US_LOOKALIKES)
    return rng.choice((fr_pool if french else us_pool)[(day.year, day.month)])


def ship_time(rng: random.Random, day: date, country: str) -> datetime:
    if country == "US" and rng.random() < 0.12:
        return datetime.combine(day, time(rng.choice((9, 11, 13, 16)), rng.choice((0, 15, 30, 45))))
    return datetime.combine(day, time())


def make_shipments(rng: random.Random, customers: list[Customer]) -> list[Shipment]:
    pools = (us_pool_lots(), fr_pool_lots())
    orders = Orders()
    out: list[Shipment] = []
    for c in customers:
        days: list[date] = []
        day = YEAR_FROM + timedelta(days=rng.randrange(120))
        while day <= YEAR_TO:
            days.append(day)
            day += timedelta(days=rng.randint(90, 180))
        if rng.random() < 0.35:  # a December order, when the recalled lots shipped
            days.append(rand_day(rng, date(2010, 11, 24), date(2011, 1, 10)))
        for d in sorted(days):
            qty = rng.choices((40, 20, 80, -40), weights=(88, 4, 4, 4))[0]
            product = FR_PRODUCT if c.country == "FR" else US_PRODUCT
            out.append(
                Shipment(
                    c,
                    qty,
                    orders.next(c.country, d),
                    product,
                    pick_lot(rng, c.country, d, pools),
                    ship_time(rng, d, c.country),
                )
            )
    return out


# Edge cases that must exist whatever the seed: (country, lot, ship, qty, hint).
FORCED: tuple[tuple[str, str, datetime, int, str], ...] = (
    ("US", "B201575", datetime(2011, 1, 4, 13, 30), 40, "xlsx_datetime"),  # last day, 13:30
    ("US", "B201578", datetime(2010, 11, 30), 40, "xlsx_date"),  # first day
    ("US", "B201583", datetime(2010, 11, 29), 40, "xlsx_date"),  # day before: not matched
    ("US", "B201590", datetime(2011, 1, 5, 8, 15), 40, "xlsx_datetime"),  # day after
    ("US", "B201602", datetime(2010, 12, 17), 40, "xlsx_text"),  # text, day > 12
    ("US", "B201575", datetime(2010, 12, 2), 40, "xlsx_text"),  # text 12/02/2010 = Dec 2
    ("US", "B201590", datetime(2010, 12, 20), 40, "xlsx_serial"),  # serial number
    ("US", "B201602", datetime(2010, 12, 22), 40, "xlsx_nodate"),  # review: blank date
    ("US", "201575", datetime(2010, 12, 14), 40, "xlsx_number_lot"),  # look-alike as number
    ("US", "B201583", datetime(2010, 12, 9), 40, "xlsx_fullwidth"),  # NFKC -> B201583
    ("US", "B2O1575", datetime(2010, 12, 15), 40, "xlsx_date"),  # letter O: not matched
    ("US", "B201578", datetime(2010, 12, 6), 40, "dec_lower"),  # "b201578 " on Dec sheet
    ("US", "B201575", datetime(2010, 12, 10), -40, "returns"),  # negative return, matched
    ("US", "B201578", datetime(2010, 12, 12), 40, "returns_na"),  # review: "n/a"
    ("US", "B201583", datetime(2010, 12, 13), 40, "returns_empty"),  # review: blank
    ("US", "B201590", datetime(2010, 12, 14), 40, "returns_bad"),  # review: 2010-13-45
    ("US", "B201576", datetime(2010, 12, 16), 40, "returns_na"),  # look-alike, bad date
    ("US", "B201583", datetime(2010, 12, 18), 40, "returns_nolot"),  # review: blank lot
    ("FR", "F201611", datetime(2011, 1, 4), 40, "fr"),
    ("FR", "F201611", datetime(2010, 11, 30), 40, "fr"),
    ("FR", "F201611", datetime(2010, 12, 13), 40, "fr"),  # 13/12/2010, day > 12
    ("FR", "F201612", datetime(2010, 12, 15), 40, "fr"),  # look-alike
    ("FR", "F201611", datetime(2010, 12, 20), -40, "fr"),  # negative return, matched
    ("FR", "F201611", datetime(2011, 1, 7), 40, "fr"),  # after the window
)


def add_forced(rng: random.Random, customers: list[Customer], ships: list[Shipment]) -> None:
    us = [c for c in customers if c.country == "US"]
    fr = [c for c in customers if c.country == "FR"]
    orders = Orders()
    orders.n = {"US": 900000, "FR": 90000}
    for country, lot, ship, qty, hint in FORCED:
        c = rng.choice(fr if country == "FR" else us)
        product = FR_PRODUCT if country == "FR" else US_PRODUCT
        ships.append(Shipment(c, qty, orders.next(country, ship.date()), product, lot, ship, hint))


# --------------------------------------------------------------------------- rendering


def render_lot(rng: random.Random, lot: str) -> str:
    r = rng.random()
    if r < 0.03:
        return lot.lower()
    if r < 0.06:
        return lot + " "
    if r < 0.08:
        return "  " + lot
    if r < 0.09:
        return lot + "\u00a0"
    return lot


def render_id(rng: random.Random, cid: str) -> str:
    return cid.lower() + " " if rng.random() < 0.03 else cid


def write_xlsx(path: Path, rng: random.Random, sheets: list[tuple[str, list[Row]]]) -> Truth:
    truth = Truth()
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties(
        {"title": "Shipment report", "author": "ACME Medical ERP", "created": FIXED_TIMESTAMP}
    )
    date_fmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    dt_fmt = wb.add_format({"num_format": "mm/dd/yyyy hh:mm"})
    text_fmt = wb.add_format({"num_format": "@"})
    bold = wb.add_format({"bold": True})
    for name, rows in sheets:
        ws = wb.add_worksheet(name)
        r = 0
        if name == "Shipments":
            ws.write_string(0, 0, "ACME Medical – Shipment report", bold)
            ws.write_string(1, 0, "Generated 2011-01-10")
            r = 3
        ws.write_row(r, 0, XLSX_HEADER, bold)
        r += 1
        qty_sum = 0
        for row in rows:
            truth.add_row(row)
            if row.kind == "header":
                ws.write_row(r, 0, XLSX_HEADER, bold)
            elif row.kind == "total":
                ws.write_string(r, 0, "TOTAL", bold)
                ws.write_number(r, 11, qty_sum, bold)
            elif row.kind == "data":
                rec = row.record
                assert rec is not None
                qty_sum += rec.quantity
                write_xlsx_record(ws, r, rng, row, date_fmt, dt_fmt, text_fmt)
            r += 1  # blank rows are simply skipped
        ws.set_column(0, 0, 11)
        ws.set_column(1, 1, 16)
        ws.set_column(3, 8, 18)
    ws = wb.add_worksheet("Read me")
    for i, line in enumerate(
        (
            "Export from the ACME ERP, shipments module.",
            "Quantities are in cartridges; a line is usually one box of 40.",
            "Returns appear with a negative quantity.",
            "Contact: logistics@example.com",
        )
    ):
        ws.write_string(i, 0, line)
    wb.close()
    return truth


def write_xlsx_record(ws, r, rng, row: Row, date_fmt, dt_fmt, text_fmt) -> None:  # type: ignore[no-untyped-def]
    rec = row.record
    assert rec is not None
    c = rec.customer
    addr = c.address_on(rec.ship.date())
    hint = rec.hint
    # lot
    if hint == "xlsx_number_lot":
        ws.write_number(r, 0, int(rec.lot))
    elif hint == "xlsx_fullwidth":
        ws.write_string(r, 0, unicodedata.normalize("NFKC", rec.lot).translate(FULLWIDTH))
    elif hint == "dec_lower":
        ws.write_string(r, 0, rec.lot.lower() + " ")
    else:
        ws.write_string(r, 0, render_lot(rng, rec.lot))
    # date
    ship = rec.ship
    if row.date_lost:
        pass
    elif hint == "xlsx_text" or (not hint and ship.time() == time() and rng.random() < 0.10):
        ws.write_string(r, 1, ship.strftime("%m/%d/%Y"))
    elif hint == "xlsx_serial" or (not hint and ship.time() == time() and rng.random() < 0.08):
        ws.write_number(r, 1, int(excel_serial(ship)))
    elif ship.time() != time():
        ws.write_datetime(r, 1, ship, dt_fmt)
    else:
        ws.write_datetime(r, 1, ship, date_fmt)
    ws.write_string(r, 2, render_id(rng, c.customer_id))
    ws.write_string(r, 3, c.name)
    if c.email:
        ws.write_string(r, 4, c.email)
    ws.write_string(r, 5, c.phone)
    ws.write_string(r, 6, addr.street)
    ws.write_string(r, 7, addr.city)
    ws.write_string(r, 8, addr.region)
    ws.write_string(r, 9, addr.postal_code, text_fmt)
    ws.write_string(r, 10, rng.choice(US_COUNTRY))
    ws.write_number(r, 11, rec.quantity)
    ws.write_string(r, 12, rec.order_id)
    ws.write_string(r, 13, rec.product)
    ws.write_string(r, 14, c.prescriber[0])
    ws.write_string(r, 15, c.prescriber[1], text_fmt)


FULLWIDTH = str.maketrans(
    {chr(c): chr(c + 0xFEE0) for c in list(range(0x30, 0x3A)) + list(range(0x41, 0x5B))}
)


def write_text(path: Path, encoding: str, delimiter: str, header: Iterable[str], lines) -> None:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(lines)
    path.write_bytes(buf.getvalue().encode(encoding))


def fr_lines(rng: random.Random, rows: list[Row], truth: Truth) -> list[list[str]]:
    out = []
    for row in rows:
        truth.add_row(row)
        if row.kind == "blank":
            out.append([""] * len(FR_HEADER))
            continue
        rec = row.record
        assert rec is not None
        c = rec.customer
        addr = c.address_on(rec.ship.date())
        lot = rec.lot.lower() if rng.random() < 0.04 else rec.lot
        out.append(
            [
                lot,
                rec.ship.strftime("%d/%m/%Y"),
                c.customer_id,
                c.last,
                c.first,
                c.email,
                c.phone,
                addr.street,
                addr.postal_code,
                addr.city,
                rng.choice(FR_COUNTRY),
                str(rec.quantity),
                rec.order_id,
                rec.product,
                c.prescriber[0],
                c.prescriber[1],
            ]
        )
    return out


BAD_DATES = {"returns_na": "n/a", "returns_empty": "", "returns_bad": "2010-13-45"}


def returns_lines(rng: random.Random, rows: list[Row], truth: Truth) -> list[list[str]]:
    out = []
    for row in rows:
        truth.add_row(row)
        rec = row.record
        assert rec is not None
        c = rec.customer
        addr = c.address_on(rec.ship.date())
        shipped = BAD_DATES.get(rec.hint, rec.ship.date().isoformat())
        out.append(
            [
                "" if row.lot_lost else render_lot(rng, rec.lot),
                shipped,
                c.customer_id,
                c.name,
                c.first,
                c.last,
                c.email,
                c.phone,
                addr.street,
                addr.city,
                addr.region,
                addr.postal_code,
                rng.choice(US_COUNTRY),
                str(rec.quantity),
                rec.order_id,
                rec.product,
                c.prescriber[0],
                c.prescriber[1],
            ]
        )
    return out


def sprinkle_junk(rng: random.Random, rows: list[Row], blanks: int, header: bool) -> list[Row]:
    rows = list(rows)
    if header:
        rows.insert(len(rows) // 2, Row("header"))
    for _ in range(blanks):
        rows.insert(rng.randint(1, len(rows) - 1), Row("blank"))
    return rows


def write_toml(out_dir: Path, data: list[str]) -> None:
    lots = ", ".join(f'"{lot}"' for lot in RECALLED)
    files = ", ".join(f'"{d}"' for d in data)
    (out_dir / "recall.toml").write_text(
        f'name = "{RECALL_NAME}"\n'
        f"lots = [{lots}]\n"
        f'from = "{WINDOW_FROM.isoformat()}"\n'
        f'to = "{WINDOW_TO.isoformat()}"\n'
        f"data = [{files}]\n",
        encoding="utf-8",
        newline="\n",
    )


def write_expected(out_dir: Path, expected: dict) -> None:
    (out_dir / "expected.json").write_text(
        json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n"
    )


def merge(truths: list[Truth]) -> Truth:
    total = Truth()
    for t in truths:
        for k, v in t.rows.items():
            total.rows[k] += v
        total.all_customers |= t.all_customers
        total.lines += t.lines
    return total


def generate_sample(out_dir: Path, seed: int) -> dict:
    rng = random.Random(seed)
    customers = make_customers(rng, 420)
    ships = make_shipments(rng, customers)
    add_forced(rng, customers, ships)

    fr_rows: list[Row] = []
    returns_rows: list[Row] = []
    dec_rows: list[Row] = []
    main_rows: list[Row] = []
    for s in ships:
        h = s.hint
        if s.customer.country == "FR":
            fr_rows.append(Row("data", s))
        elif h.startswith("returns"):
            returns_rows.append(
                Row("data", s, lot_lost=h == "returns_nolot", date_lost=h in BAD_DATES)
            )
        elif h == "dec_lower":
            dec_rows.append(Row("data", s))
        elif h.startswith("xlsx"):
            main_rows.append(Row("data", s, date_lost=h == "xlsx_nodate"))
        elif s.quantity < 0 or rng.random() < 0.12:
            returns_rows.append(Row("data", s))
        elif s.ship.year == 2010 and s.ship.month == 12 and rng.random() < 0.5:
            dec_rows.append(Row("data", s))
        else:
            main_rows.append(Row("data", s))

    def key(row: Row) -> tuple:
        assert row.record is not None
        return (row.record.ship, row.record.order_id)

    for rows in (fr_rows, returns_rows, dec_rows, main_rows):
        rows.sort(key=key)

    main_rows = [*sprinkle_junk(rng, main_rows, blanks=2, header=True), Row("total")]
    dec_rows = sprinkle_junk(rng, dec_rows, blanks=1, header=False)
    fr_rows = sprinkle_junk(rng, fr_rows, blanks=1, header=False)

    out_dir.mkdir(parents=True, exist_ok=True)
    t_xlsx = write_xlsx(
        out_dir / US_FILES[0], rng, [("Shipments", main_rows), ("Dec 2010", dec_rows)]
    )
    t_fr = Truth()
    write_text(out_dir / US_FILES[1], "cp1252", ";", FR_HEADER, fr_lines(rng, fr_rows, t_fr))
    t_ret = Truth()
    write_text(
        out_dir / US_FILES[2],
        "utf-8-sig",
        ",",
        RETURNS_HEADER,
        returns_lines(rng, returns_rows, t_ret),
    )
    write_toml(out_dir, list(US_FILES))
    settle_returns([t_xlsx, t_fr, t_ret])
    expected = merge([t_xlsx, t_fr, t_ret]).as_dict()
    expected["files"] = {
        US_FILES[0]: t_xlsx.rows,
        US_FILES[1]: t_fr.rows,
        US_FILES[2]: t_ret.rows,
    }
    write_expected(out_dir, expected)
    return expected


# --------------------------------------------------------------------------- large mode


def generate_large(out_dir: Path, rows: int, seed: int) -> dict:
    """One plain sheet + the same rows as CSV; expected.json describes ONE of them."""
    rng = random.Random(seed)
    customers = make_customers(rng, max(rows // 20, 10))
    december = customers[: max(len(customers) // 8, 1)]
    pools = (us_pool_lots(), fr_pool_lots())
    out_dir.mkdir(parents=True, exist_ok=True)
    xlsx_name, csv_name = f"shipments_{rows}.xlsx", f"shipments_{rows}.csv"
    wb = xlsxwriter.Workbook(str(out_dir / xlsx_name), {"constant_memory": True})
    wb.set_properties({"title": "Shipments", "created": FIXED_TIMESTAMP})
    ws = wb.add_worksheet("Shipments")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, LARGE_HEADER)
    truth = Truth()
    n_days = (YEAR_TO - YEAR_FROM).days + 1
    life_days = (LOT_LIFE_TO - LOT_LIFE_FROM).days + 1
    base_serial = excel_serial(datetime.combine(YEAR_FROM, time()))
    life_serial = excel_serial(datetime.combine(LOT_LIFE_FROM, time()))
    rand = rng.random
    with (out_dir / csv_name).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(LARGE_HEADER)
        for i in range(rows):
            in_recall = rand() < 0.07
            # Recalled lots went to a minority of customers (about 1 in 8).
            group = december if in_recall else customers
            c = group[int(rand() * len(group))]
            french = c.country == "FR"
            if in_recall:
                off = int(rand() * life_days)
                day = LOT_LIFE_FROM + timedelta(days=off)
                serial = life_serial + off
                lot = rng.choice(FR_RECALLED if french else US_RECALLED)
            else:
                off = int(rand() * n_days)
                day = YEAR_FROM + timedelta(days=off)
                serial = base_serial + off
                lot = pick_lot(rng, c.country, day, pools, recalled=False)
            fmt = date_fmt
            iso = day.isoformat()
            if rand() < 0.05:
                serial += 0.5625  # 13:30
                fmt = dt_fmt
                iso += " 13:30:00"
            r = rand()
            shown = lot.lower() if r < 0.005 else (lot + " " if r < 0.01 else lot)
            qty = -40 if rand() < 0.02 else 40
            addr = c.address_on(day)
            order = f"SO-{i + 1:08d}"
            rest = (
                c.customer_id, c.name, c.email, c.phone, addr.street, addr.city,
                addr.region, addr.postal_code, "FR" if french else "US",
            )  # fmt: skip
            product = FR_PRODUCT if french else US_PRODUCT
            ws.write_string(i + 1, 0, shown)
            ws.write_number(i + 1, 1, serial, fmt)
            ws.write_row(i + 1, 2, rest)
            ws.write_number(i + 1, 11, qty)
            ws.write_string(i + 1, 12, order)
            ws.write_string(i + 1, 13, product)
            w.writerow((shown, iso, *rest, qty, order, product))
            recalled = lot in RECALLED
            kind = "matched" if recalled and WINDOW_FROM <= day <= WINDOW_TO else "not_matched"
            truth.add(kind, c.customer_id, lot, qty)
    wb.close()
    write_toml(out_dir, [xlsx_name])
    settle_returns([truth])
    expected = truth.as_dict()
    expected["files"] = {xlsx_name: dict(truth.rows), csv_name: dict(truth.rows)}
    expected["note"] = f"{csv_name} holds the same rows as {xlsx_name}; the truth is for one file."
    write_expected(out_dir, expected)
    return expected


def generate(out_dir: Path, rows: int | None = None, seed: int = 2011) -> dict:
    """Write the data set into out_dir and return the expected truth."""
    out_dir = Path(out_dir)
    if rows is None:
        return generate_sample(out_dir, seed)
    return generate_large(out_dir, rows, seed)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rows", type=int, default=None, help="large single-file benchmark set")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    p.add_argument("--seed", type=int, default=2011)
    args = p.parse_args(argv)
    expected = generate(args.out, args.rows, args.seed)
    summary = {k: expected[k] for k in ("rows", "units", "shipments", "customers_total")}
    summary["affected_customers"] = len(expected["customers"])
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
