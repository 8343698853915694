"""Counted nouns for messages: "1 shipment", "2,345 shipments". No imports, usable anywhere."""

from __future__ import annotations

__all__ = ["noun", "plural", "verb"]

_IRREGULAR = {"entry": "entries", "this": "these"}


def _plural_of(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def noun(count: int | None, singular: str, plural_form: str | None = None) -> str:
    """The noun alone, in agreement with ``count``: ``noun(1, "row")`` is "row",
    ``noun(3, "entry")`` is "entries"; in a phrase the last word is the noun
    (``noun(2, "cached file")`` is "cached files"). An unknown count (None) takes the
    plural, as in "unknown units"."""
    if count == 1:
        return singular
    if plural_form is not None:
        return plural_form
    head, _, last = singular.rpartition(" ")
    return f"{head} {_plural_of(last)}" if head else _plural_of(last)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` with thousands separators and the noun in the right number.

    ``plural(1, "row")`` is "1 row"; ``plural(2, "entry")`` is "2 entries"; in a phrase the
    last word is the noun: ``plural(2, "cached file")`` is "2 cached files".
    """
    return f"{count:,} {noun(count, singular, plural_form)}"


def verb(count: int, singular: str, plural_form: str) -> str:
    """The verb that agrees with ``count``: ``verb(n, "was", "were")``."""
    return singular if count == 1 else plural_form
