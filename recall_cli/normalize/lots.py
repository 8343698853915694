"""Lot numbers: normalisation, barcode/Digital Link decoding and look-alike suggestions.

Everything here is pure (no I/O, no global state) so it can be applied to
unique values only and cached by callers.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # biip is imported only when a scanned code needs it
    from biip.gs1_element_strings import GS1ElementString, GS1ElementStrings

from recall_cli.errors import NotALotError, RecallError

__all__ = [
    "CONFUSABLE_PAIRS",
    "ScannedCode",
    "fold_confusables",
    "looks_like",
    "normalize_lot",
    "one_edit_away",
    "parse_code",
    "strip_lot_label",
    "suggest_lots",
]

# --------------------------------------------------------------------------- normalisation

# Invisible characters that survive NFKC and come along when a lot is copied
# from a web page, a PDF or Excel (zero-width spaces/joiners, word joiner, BOM, soft hyphen).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_INTEGRAL_FLOAT_TEXT = re.compile(r"\d+\.0+")
_MISSING_TYPE_NAMES = frozenset({"NAType", "NaTType"})


def normalize_id(text: str) -> str:
    """A customer id or postal code as compared: NFKC, single spaces, upper case."""
    s = text if text.isascii() else unicodedata.normalize("NFKC", text)  # ASCII is NFKC
    s = " ".join(s.split()).upper()
    if "." in s and _INTEGRAL_FLOAT_TEXT.fullmatch(s):
        s = s.split(".")[0]
    return s


def normalize_lot(value: object) -> str:
    """The project-wide canonical form of a lot number.

    Unicode NFKC, invisible characters removed, stripped, inner whitespace
    collapsed to one space, upper-cased. An integral float (``12345.0`` or the
    text ``"12345.0"``, what spreadsheets make of numeric lots) becomes
    ``"12345"``. ``None``, NaN, pandas ``NA``/``NaT`` and ``""`` become ``""``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = str(value)
    elif isinstance(value, int):
        return str(value)
    elif isinstance(value, float):  # also numpy.float64
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
        text = repr(value)
    else:
        if type(value).__name__ in _MISSING_TYPE_NAMES:
            return ""
        try:
            if value != value:  # NaN-like (numpy.float32, Decimal("NaN"))
                return ""
        except (TypeError, ValueError):  # pragma: no cover - exotic objects
            pass
        text = str(value)
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = " ".join(text.split()).upper()
    if text.startswith("'"):
        # Excel's "keep as text" apostrophe, and what formula escaping leaves in CSV.
        text = text[1:].lstrip()
    if _INTEGRAL_FLOAT_TEXT.fullmatch(text):
        text = text.partition(".")[0]
    return text


# --------------------------------------------------------------------------- barcodes

Source = Literal["plain", "gs1", "digital-link"]


@dataclass(frozen=True)
class ScannedCode:
    """What a typed or scanned code says about the product."""

    lot: str
    """Normalised lot (GS1 AI 10, or the plain text typed)."""
    gtin: str | None = None
    """GTIN-14 (AI 01, else AI 02), only when its check digit is right."""
    expiry: str | None = None
    """ISO date from AI 17; day ``00`` means the last day of the month."""
    serial: str | None = None
    """AI 21."""
    production: str | None = None
    """ISO date from AI 11."""
    source: Source = "plain"


_GS = "\x1d"
# Renderings of the FNC1 / group separator by scanners, terminals and people
# retyping a scan. Braces, brackets, "^" and "\\" are outside GS1 character
# set 82, so these cannot be part of a real lot; "<GS>"/"<FNC1>" could in
# theory, but only as these exact tokens.
_GS_RENDERINGS = re.compile(
    r"<GS>|\{GS\}|\[GS\]|<FNC1>|\{FNC1\}|\[FNC1\]|\^\]|\u241d|\\x1d|\\u001d",
    re.IGNORECASE,
)
_SYMBOLOGY = re.compile(r"\][A-Za-z][0-9A-Za-z]")
# Weak signal: digits only, or 00/01/02 followed by a full 14/18-digit key.
_FIXED_KEY_START = re.compile(r"(?:0[12]\d{14}|00\d{18})")
_DIGITS_AI_STARTS = ("00", "01", "02", "11", "13", "15", "16", "17")
_NO_LOT_HINT = "type the lot printed on the box"


def _strong_gs1(text: str) -> bool:
    return text.startswith(("(", "]")) or text[:4].lower() == "http" or _GS in text


def _weak_gs1(text: str) -> bool:
    """Looks like an unbracketed element string; a failed parse falls back to plain."""
    compact = "".join(text.split())
    if len(compact) < 16:
        return False
    if compact.isdigit() and compact.startswith(_DIGITS_AI_STARTS):
        return True
    return _FIXED_KEY_START.match(compact) is not None


def _biip_elements(value: str) -> tuple[GS1ElementStrings, Source] | str:
    """Decode with biip; return the element strings and source, or the error text."""
    # biip raises ParseError for most bad input, but IndexError/ValueError for
    # some truncated ones (a lone "]"): all mean "not readable".
    import biip
    from biip.gs1_messages import GS1Message

    try:
        if value.startswith("("):
            return GS1Message.parse_hri(value).element_strings, "gs1"
        result = biip.parse(value)
    except (biip.BiipException, ValueError, IndexError) as exc:
        return str(exc) or type(exc).__name__
    if result.gs1_message is not None:
        return result.gs1_message.element_strings, "gs1"
    if result.gs1_digital_link_uri is not None:
        return result.gs1_digital_link_uri.element_strings, "digital-link"
    return (
        result.gs1_digital_link_uri_error
        or result.gs1_message_error
        or "not a GS1 element string or Digital Link"
    )


def _candidates(text: str) -> list[str]:
    """The spellings of one scan to try with biip, most faithful first."""
    prefix = ""
    match = _SYMBOLOGY.match(text)
    if match:
        prefix, text = match.group(), text[match.end() :]
    if text[:4].lower() == "http":
        scheme, sep, rest = text.partition("://")
        return [prefix + scheme.lower() + sep + rest]
    if text.startswith("("):
        return [prefix + text]
    text = text.lstrip(_GS + " ")  # a leading FNC1 carries no data
    tries = [prefix + text]
    if any(ch.isspace() for ch in text):
        # A space where the scanner (or a retyping agent) put the group
        # separator; failing that, a space that should not be there at all.
        # GS1 lots (character set 82) never contain spaces.
        tries.append(prefix + re.sub(r"\s+", _GS, text))
        tries.append(prefix + "".join(text.split()))
    return tries


def _keys_valid(elements: GS1ElementStrings) -> bool:
    """biip records, but does not fail on, a wrong GTIN/SSCC check digit."""
    return all(
        (es.gtin if es.ai.ai in ("01", "02") else es.sscc) is not None
        for es in elements
        if es.ai.ai in ("00", "01", "02")
    )


def _iso(element: GS1ElementString | None) -> str | None:
    if element is None:
        return None
    return element.date.isoformat() if element.date is not None else None


# The labels people copy along with a lot, from a box, a letter or an ERP screen:
# "Lot", "LOT:", "Lot No.", "Lot #", "Lot number", "Batch", "Batch no.", "N° de lot",
# "No de lot", "Numéro de lot". Matched on the NFKC, upper-cased text.
_LOT_LABEL = re.compile(
    r"(?:(?:N[°º]|NO\.?|NUM[EÉ]RO|NUM\.)\s*(?:DE\s+|DU\s+)?LOT"
    r"|(?:LOT|BATCH)(?:\s*(?:NO\.?|NUMBER|NUM\.?|N[°º]|#))?)"
)
# A lot is one token: letters and digits, with inner "-", "/" or "." (LOT-2024/03).
_LOT_TOKEN = re.compile(r"[^\W_]+(?:[-/.][^\W_]+)*")
_NOT_A_LOT_HINT = (
    "type the lot as printed on the box, e.g. B201575; labels such as 'Lot:', 'Lot No.', "
    "'N° de lot' or a GS1 '(10)' in front of it are understood"
)


def strip_lot_label(text: str) -> str | None:
    """The text after a lot label ("Lot: B201575" -> "B201575"); None without a label.

    A label counts only when something separates it from the lot (a space, ":",
    "#", or the label's own final "." / "#"): "LOT123" stays a lot.
    """
    upper = text.upper()
    match = _LOT_LABEL.match(upper)
    if match is None:
        return None
    rest = text[match.end() :]
    ends_in_mark = not match.group()[-1].isalnum()
    if not rest or not (ends_in_mark or rest[0].isspace() or rest[0] in ":#"):
        return None
    rest = rest.lstrip(" \t:#")
    return rest or None


def _plain(raw: str, known: Callable[[str], bool] | None = None) -> ScannedCode:
    """A typed lot; one that normalises to nothing (a lone Excel apostrophe) is empty too.

    A lot is what the rule of `typed_lot` accepts; anything else is refused
    rather than answered: "B201575 x" is not a lot, and NOT IN RECALL about it
    would be a verdict on text nobody holds on a box.
    """
    lot = normalize_lot(raw)
    if not lot:
        raise RecallError("empty lot or barcode", hint=_NO_LOT_HINT)
    return ScannedCode(lot=typed_lot(raw, lot, known), source="plain")


def typed_lot(raw: str, lot: str, known: Callable[[str], bool] | None = None) -> str:
    """The lot a typed text names, or NotALotError (a UsageError) quoting what was read.

    In order: the text itself when it is a known lot (the recall list or a lot
    in the data: real lots may hold spaces or punctuation) or one lot-shaped
    token; else the text after a lot label, under the same two tests.
    """
    is_known = known or (lambda _lot: False)
    # The token test first: `known` may have to list every lot in the data.
    if _LOT_TOKEN.fullmatch(lot) or is_known(lot):
        return lot
    rest = strip_lot_label(lot)
    if rest is not None:
        labelled = normalize_lot(rest)
        if labelled and (_LOT_TOKEN.fullmatch(labelled) or is_known(labelled)):
            return labelled
    raise NotALotError(
        f"{raw.strip()!r} is not a lot: it holds spaces or punctuation, and no known lot "
        "(recall list or data) is spelled so",
        hint=_NOT_A_LOT_HINT,
    )


def parse_code(text: str, known: Callable[[str], bool] | None = None) -> ScannedCode:
    """Read a typed lot, a scanned GS1 element string or a GS1 Digital Link URL.

    `known` says whether a normalised lot is a known one (recalled or in the
    data); a typed text that is neither a known lot nor one lot-shaped token
    (after an optional label, see `typed_lot`) raises UsageError (exit 2).
    Raises RecallError for an empty code, an unreadable GS1 code, a GS1 code
    without a lot (AI 10) or with two different lots. Messages quote the code
    and nothing else.
    """
    raw = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).strip()
    raw = _GS_RENDERINGS.sub(_GS, raw)
    if not raw.strip(_GS + " "):
        raise RecallError("empty lot or barcode", hint=_NO_LOT_HINT)

    strong = _strong_gs1(raw)
    if not strong and not _weak_gs1(raw):
        return _plain(raw, known)

    decoded: tuple[GS1ElementStrings, Source] | None = None
    first_error = ""
    for candidate in _candidates(raw):
        outcome = _biip_elements(candidate)
        if not isinstance(outcome, str) and not strong and not _keys_valid(outcome[0]):
            outcome = "GTIN/SSCC check digit does not match"
        if isinstance(outcome, str):
            first_error = first_error or outcome
            continue
        decoded = outcome
        break

    if decoded is None:
        if not strong:
            return _plain(raw, known)
        raise RecallError(
            f"cannot read {text.strip()!r} as a GS1 barcode or Digital Link: {first_error}",
            hint=f"scan again or {_NO_LOT_HINT}",
        )

    elements, source = decoded
    lots = {normalize_lot(es.value) for es in elements if es.ai.ai == "10"}
    if len(lots) > 1:
        # Which box the patient holds cannot be told: the first is not the answer.
        raise RecallError(
            f"barcode {text.strip()!r} holds {len(lots)} different lots (10): "
            + ", ".join(sorted(lots)),
            hint=f"scan the box again or {_NO_LOT_HINT}",
        )
    lot_es = elements.get(ai="10")
    lot = normalize_lot(lot_es.value) if lot_es is not None else ""
    if not lot:
        raise RecallError(
            f"barcode {text.strip()!r} has no lot (10) element; {_NO_LOT_HINT}",
        )
    # A GTIN is reported only when its check digit is right (a mistyped HRI).
    gtin_es = next(
        (es for es in elements if es.ai.ai in ("01", "02") and es.gtin is not None), None
    )
    serial_es = elements.get(ai="21")
    return ScannedCode(
        lot=lot,
        gtin=gtin_es.value if gtin_es is not None else None,
        expiry=_iso(elements.get(ai="17")),
        serial=serial_es.value if serial_es is not None else None,
        production=_iso(elements.get(ai="11")),
        source=source,
    )


# --------------------------------------------------------------------------- look-alikes

CONFUSABLE_PAIRS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair) for pair in ("O0", "I1", "L1", "S5", "B8", "Z2", "G6")
)
_CONFUSION_COST = 0.5
_LEADING_ZERO_COST = 0.5
_MAX_SUGGEST_DISTANCE = 1.5
_MAX_LENGTH_GAP = 2


def _sub_cost(x: str, y: str) -> float:
    if x == y:
        return 0.0
    return _CONFUSION_COST if frozenset((x, y)) in CONFUSABLE_PAIRS else 1.0


def weighted_distance(a: str, b: str, cutoff: float = math.inf) -> float:
    """Damerau–Levenshtein (optimal string alignment) distance for lot slips.

    Confusable characters (O/0, I/1, L/1, S/5, B/8, Z/2, G/6) cost 0.5 to
    substitute; adding or dropping a leading zero costs 0.5; any other
    substitution, insertion, deletion or adjacent transposition costs 1.
    Returns ``math.inf`` as soon as the distance is known to exceed ``cutoff``.
    """
    n, m = len(a), len(b)
    # Leading-zero runs: deleting a[i-1] is cheap while a[:i] is all zeros.
    a_zero = len(a) - len(a.lstrip("0"))
    b_zero = len(b) - len(b.lstrip("0"))

    def del_cost(i: int) -> float:  # delete a[i-1]
        return _LEADING_ZERO_COST if i <= a_zero else 1.0

    def ins_cost(j: int) -> float:  # insert b[j-1]
        return _LEADING_ZERO_COST if j <= b_zero else 1.0

    prev2: list[float] = []
    prev = [0.0] * (m + 1)
    for j in range(1, m + 1):
        prev[j] = prev[j - 1] + ins_cost(j)
    for i in range(1, n + 1):
        cur = [prev[0] + del_cost(i)] + [0.0] * m
        ai = a[i - 1]
        dcost = del_cost(i)
        for j in range(1, m + 1):
            bj = b[j - 1]
            best = prev[j - 1] + _sub_cost(ai, bj)
            if prev[j] + dcost < best:
                best = prev[j] + dcost
            if cur[j - 1] + ins_cost(j) < best:
                best = cur[j - 1] + ins_cost(j)
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == bj and ai != bj:
                best = min(best, prev2[j - 2] + 1.0)
            cur[j] = best
        if min(cur) > cutoff:
            return math.inf
        prev2, prev = prev, cur
    return prev[m]


@functools.lru_cache(maxsize=4096)
def fold_confusables(lot: str) -> str:
    """The lot with each non-ASCII look-alike of an ASCII character replaced by it
    (Cyrillic В201575 -> B201575), from the Unicode confusables data (UTS #39).

    Lots are ASCII (GS1 character set 82), so only non-ASCII characters are
    folded: an ASCII lot is returned as it is without loading the data. O/0 and
    I/1 stay apart here (they are distinct characters of real lots); the
    look-alike distance of `looks_like` weighs them.
    """
    if lot.isascii():
        return lot
    from confusable_homoglyphs import confusables  # slow to import: non-ASCII lots only

    found = confusables.is_confusable(lot, greedy=True, preferred_aliases=["latin", "common"])
    if not found:
        return lot
    swap: dict[str, str] = {}
    for hit in found:
        ascii_glyphs = [h["c"] for h in hit["homoglyphs"] if h["c"].isascii()]
        if ascii_glyphs:
            swap[hit["character"]] = ascii_glyphs[0].upper()
    return "".join(swap.get(ch, ch) for ch in lot)


_LOOKS_LIKE_DISTANCE = 1.0
# Device lots are 6-10 characters; below 5, one edit reaches too many codes to mean a slip.
_LOOKS_LIKE_MIN_LENGTH = 5


def looks_like(lot: str, recalled: Iterable[str]) -> list[str]:
    """Recalled lots this other lot may be a slip of: one edit away (a character
    changed, added, dropped or two swapped), one or two look-alike characters
    (O/0, I/1, B/8...; weighted_distance), a leading zero, or the same once
    Unicode look-alikes are folded (fold_confusables). Closest first. The edit
    tests apply to lots of 5 characters or more."""
    query = normalize_lot(lot)
    folded = fold_confusables(query)
    scored = []
    for r in set(recalled):
        if not r or r == query:
            continue
        if folded == r:
            scored.append((0.0, r))
            continue
        if min(len(query), len(r)) < _LOOKS_LIKE_MIN_LENGTH:
            continue  # one edit from a two-letter code is any other two-letter code
        distance = weighted_distance(folded, r, _LOOKS_LIKE_DISTANCE)
        if distance <= _LOOKS_LIKE_DISTANCE or one_edit_away(query, r):
            scored.append((distance, r))
    return [r for _, r in sorted(scored)]


def suggest_lots(lot: str, known: Iterable[str], limit: int = 5) -> list[str]:
    """Known lots the agent may have meant, closest first (ties alphabetical).

    ``known`` holds normalised lots (from the recall and the data); ``lot`` is
    normalised here. Only lots within a weighted distance of 1.5 are returned
    (see ``weighted_distance``), never ``lot`` itself; an empty list means
    nothing is close.
    """
    typed = normalize_lot(lot)
    query = fold_confusables(typed)  # a Cyrillic В is compared as the B it looks like
    if not query or limit <= 0:
        return []
    size = len(query)
    scored: list[tuple[float, str]] = []
    for candidate in set(known):
        if not candidate or candidate == typed:
            continue
        if abs(len(candidate) - size) > _MAX_LENGTH_GAP:
            continue
        distance = weighted_distance(query, candidate, cutoff=_MAX_SUGGEST_DISTANCE)
        if distance <= _MAX_SUGGEST_DISTANCE:
            scored.append((distance, candidate))
    scored.sort()
    return [candidate for _, candidate in scored[:limit]]


def one_edit_away(a: str, b: str) -> bool:
    """True when plain Damerau distance is exactly 1: one substitution,
    insertion, deletion or swap of two adjacent characters."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    # Skip the common prefix.
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # one substitution
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i:] == b[i + 1 :]  # b has one extra character at i


def lot_digest(lot: str) -> str:
    """A normalised lot as a skipped sheet keeps it: a short digest, not the text (its
    cells may be ids or postcodes)."""
    return hashlib.blake2b(lot.encode(), digest_size=8).hexdigest()
