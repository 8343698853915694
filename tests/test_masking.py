from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall_cli.tasks.masking import MASK, mask_address, mask_email, mask_name, mask_phone


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("  Jane.Doe@Example.COM ", "J***@example.com"),
        ("j@example.com", "j***@example.com"),
        ("@example.com", "***@example.com"),
        ('"odd@local"@example.com', '"***@example.com'),
        ("not-an-email", MASK),
        ("jane@", MASK),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_email(email: str | None, expected: str) -> None:
    assert mask_email(email) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+1 555 010 1018", "***-1018"),
        ("(555) 010-1018", "***-1018"),
        ("+33 6 12 34 56 78", "***-5678"),
        ("+1 555 010 1018 ext. 22", "***-1018"),
        ("+1 555 010 1018 x22", "***-1018"),
        ("+1-555-010-1018 #7", "***-1018"),
        ("５５５０１０１０１８", "***-1018"),  # full-width digits
        ("123", MASK),
        ("1018", MASK),  # four digits would be the whole number
        ("010 1018", "***-1018"),
        ("n/a", MASK),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(phone: str | None, expected: str) -> None:
    assert mask_phone(phone) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("12 Rue de la Paix", MASK),
        ("Apt 4B, 221 Baker Street", MASK),
        ("x", MASK),
        ("  ", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_address(address: str | None, expected: str) -> None:
    assert mask_address(address) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jane Doe", "Jane D."),
        ("  jane   doe ", "jane D."),
        ("Mary Ann Smith", "Mary S."),
        ("Jean-Luc Picard", "Jean-Luc P."),
        ("Marie Van der Berg", "Marie B."),
        ("Doe, Jane", "Jane D."),
        ("Dr. Jane Doe", "Jane D."),
        ("Mme Élodie Ōtsuka", "Élodie Ō."),
        ("Jane O'Neil", "Jane O."),
        ("Jane", "Jane"),
        ("Dr", "Dr"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_name(name: str | None, expected: str) -> None:
    assert mask_name(name) == expected


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_mask_email_never_shows_more_than_one_local_char(local: str, rest: str) -> None:
    local = local.replace("@", "")
    domain = rest.replace("@", "") or "x"
    masked = mask_email(f"{local}@{domain}")
    if "@" in masked:
        shown_local = masked.split("@")[0]
        assert shown_local.endswith(MASK)
        assert len(shown_local) <= len(MASK) + 1


@given(st.from_regex(r"\+?[0-9 ()-]{0,25}", fullmatch=True))
def test_mask_phone_shows_at_most_four_digits(phone: str) -> None:
    masked = mask_phone(phone)
    assert sum(ch.isdigit() for ch in masked) <= 4
    assert masked in ("", MASK) or masked.startswith(MASK + "-")


@given(st.text(max_size=60))
def test_mask_address_reveals_nothing(address: str) -> None:
    assert mask_address(address) in ("", MASK)
