"""The fast email check agrees with email-validator, which stays the authority."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from recall_cli.query.result import email_ok


def library(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@pytest.mark.parametrize(
    "value",
    [
        "jane.doe@example.com", "j+tag@mail.example.fr", "a@b.co", "x@localhost",
        "x@host.local", "x@foo.test", "x@sub.invalid", "a..b@example.com", ".a@example.com",
        "a@-x.com", "a@x-.com", "a@x.c", "a@x.123", "é@example.com", "a@exämple.com",
        "a@xn--exmple-cua.com", '"q"@example.com', "a@b", "", "a" * 65 + "@example.com",
        "user@" + "d" * 64 + ".com", "x@example.arpa", "o'brien@example.ie",
    ],
)  # fmt: skip
def test_known_cases_agree(value: str) -> None:
    assert email_ok(value) == library(value)


local = st.text(alphabet="abcXYZ019._+-'", min_size=1, max_size=12)
label = st.text(alphabet="abz09-", min_size=1, max_size=8)


@settings(max_examples=1000, deadline=None)
@given(local, st.lists(label, min_size=1, max_size=3), st.sampled_from(["com", "fr", "test", "c0"]))
def test_generated_addresses_agree(user: str, labels: list[str], tld: str) -> None:
    value = f"{user}@{'.'.join([*labels, tld])}"
    assert email_ok(value) == library(value)


def test_special_use_domains_are_the_librarys() -> None:
    # Spelled out so that plain addresses are checked without importing the library.
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    from recall_cli.query.tally import SPECIAL_USE_DOMAINS

    assert sorted(SPECIAL_USE_DOMAINS) == sorted(SPECIAL_USE_DOMAIN_NAMES)
