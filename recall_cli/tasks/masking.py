""" "Minimum necessary" masking of customer contact details for support agents.

An agent needs enough to recognise the customer on the phone ("Jane D.,
j***@example.com, number ending 1018, Lyon 69002"), not enough to contact or
locate them outside the recall process. So:

- name: first given name and the initial of the family name ("Jane D.");
- email: first character of the local part and the full domain;
- phone: the last 4 digits only, and only when the number has at least 7
  digits (on a shorter number, 4 digits are most of it);
- street address: fully masked ("***"); city, region, postal code and country
  are left to the caller to show unmasked.

Empty or blank input gives "". All functions are pure.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MASK", "mask_address", "mask_email", "mask_name", "mask_phone"]

MASK = "***"
_MIN_PHONE_DIGITS = 7
_PHONE_EXTENSION = re.compile(r"(?:\s*(?:ext\.?|extension|x|#)\s*\d{1,6})\s*$", re.IGNORECASE)
_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "m", "mme", "mlle", "sir", "madam"}
)


def _clean(value: str | None) -> str:
    if not value:
        return ""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def mask_email(email: str | None) -> str:
    """``"jane.doe@example.com"`` → ``"j***@example.com"``; no ``@`` → ``"***"``."""
    text = _clean(email).replace(" ", "")
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at or not domain:
        return MASK
    first = local[:1]
    return f"{first}{MASK}@{domain.lower()}"


def mask_phone(phone: str | None) -> str:
    """``"+1 555 010 1018"`` → ``"***-1018"``; too few digits → ``"***"``.

    An extension (``"ext. 22"``, ``"x22"``) is dropped before taking the last digits.
    """
    text = _clean(phone)
    if not text:
        return ""
    text = _PHONE_EXTENSION.sub("", text)
    digits = [ch for ch in text if ch.isdigit()]
    if len(digits) < _MIN_PHONE_DIGITS:
        return MASK
    return f"{MASK}-{''.join(digits[-4:])}"


def mask_address(address: str | None) -> str:
    """Any street address → ``"***"`` (house number and street identify a home)."""
    return MASK if _clean(address) else ""


def _initial(word: str) -> str:
    for ch in word:
        if ch.isalnum():
            return ch.upper() + "."
    return ""


def mask_name(name: str | None) -> str:
    """``"Jane Doe"`` → ``"Jane D."``; ``"Doe, Jane"`` → ``"Jane D."``.

    Keeps the first given name and the initial of the last word of the family
    name; middle names and titles are dropped. A single word is kept as is
    (it is usually a given name, and an agent needs something to greet).
    """
    text = _clean(name)
    if not text:
        return ""
    if "," in text:
        family, _, given = text.partition(",")
        words = given.split() + family.split()
    else:
        words = text.split()
    words = [w for w in words if w.lower().rstrip(".") not in _TITLES] or words
    if len(words) == 1:
        return words[0]
    initial = _initial(words[-1])
    return f"{words[0]} {initial}" if initial else words[0]
