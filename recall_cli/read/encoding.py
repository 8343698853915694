"""Which encoding a text export is in, decided from its first bytes alone.

Exports are UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode Text"), or
one of the single-byte code pages that Excel and LibreOffice actually write:
cp1252 ("CSV" on Windows), cp850 ("CSV (MS-DOS)"), mac_roman ("CSV (Macintosh)")
and latin-1. Every byte decodes in most of those, so a wrong pick fails
silently: "Date d'expédition" written in cp850 reads as "Date d'exp‚dition" in
cp1252 and "Date d'expÇdition" in mac_roman, and no header is found. The pick is
the code page whose decoding (1) makes the most header cells known column names,
then (2) reads most like Western European text, then (3) comes first in
CODE_PAGES.

This module is pure: bytes in, a codec name out. The caller decodes (and, see
load.decode_start, skips a UTF-8 BOM that precedes text in another code page).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import Final

#: The single-byte code pages tried, in the order a tie is settled.
CODE_PAGES: Final = ("cp1252", "cp850", "mac_roman", "latin-1")
#: Bytes looked at to choose a code page (the whole head is checked for UTF-8).
SAMPLE_BYTES: Final = 256 * 1024
#: Characters whose letters are weighed when the headers do not decide.
PLAUSIBILITY_CHARS: Final = 16 * 1024
#: Lines searched for header cells (the header finder's own reach).
HEADER_LINES: Final = 30

HeaderTest = Callable[[str], bool]

_FIELD_SPLIT: Final = re.compile(r"[,;\t|]")
_NON_ASCII_TOKEN: Final = re.compile(r"\S*[^\x00-\x7f]\S*")
_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")
_LETTER_RUN: Final = re.compile(r"[^\W\d_]+")
_NUMBER_SIGN: Final = re.compile(r"[Nn][°º]|\d°")
# Letters of French, German, Spanish, Italian, Portuguese and Dutch words.
_WESTERN_LETTERS: Final = frozenset("àáâãäçèéêëìíîïñòóôõöùúûüÿßœæÀÁÂÃÄÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜŸŒÆ")
# Rarer Latin letters: fine in a name, no evidence for a code page.
_OTHER_LETTERS: Final = frozenset("øØåÅðÐþÞýÝšŠžŽ")
# Signs that real exports hold ("N°", "€", "²", quotes, dashes): no evidence either way.
_COMMON_SIGNS: Final = frozenset("°º€£§µ²³’‘“”–—«»·×½¼¾©®™•…\u00a0ª¡¿±")


def detect_encoding(head: bytes, known_header: HeaderTest | None = None) -> str:
    """The codec to decode `head` (the file's first bytes, or all of it) with.

    Returns "utf-8-sig", "utf-8", "utf-16" (by BOM), "utf-16-le"/"utf-16-be"
    (no BOM, told by the zero bytes), or one of CODE_PAGES. `known_header`
    says whether a cell text is a known column name; without it the choice
    between code pages rests on how the text reads. A head cut inside a UTF-8
    sequence still counts as UTF-8.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    has_bom = head.startswith(codecs.BOM_UTF8)
    body = head[3:] if has_bom else head
    if _is_utf8(body):
        return "utf-8-sig" if has_bom else "utf-8"
    sample = body[:4096]
    if not has_bom and sample.count(0) * 4 > len(sample):
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        evens = sample[::2].count(0)
        return "utf-16-be" if evens > len(sample) // 4 else "utf-16-le"
    # A UTF-8 BOM before text in another code page: LibreOffice writes that when a
    # UTF-8 file it read as Latin-1 is saved as cp1252. load.decode_start skips it.
    return best_code_page(body[:SAMPLE_BYTES], known_header)


def is_code_page(encoding: str) -> bool:
    """Whether `encoding` is one of the single-byte guesses (which any bytes fit)."""
    name = codecs.lookup(encoding).name
    return any(codecs.lookup(c).name == name for c in CODE_PAGES)


def best_code_page(sample: bytes, known_header: HeaderTest | None = None) -> str:
    """The code page in CODE_PAGES that reads `sample` best (see the module doc)."""
    texts: dict[str, str] = {}
    for name in CODE_PAGES:
        try:
            texts[name] = sample.decode(name)
        except UnicodeDecodeError:  # cp1252 leaves five bytes undefined
            continue
    if not texts:
        return CODE_PAGES[-1]
    headers = {n: _known_cells(t, known_header) if known_header else 0 for n, t in texts.items()}
    top = max(headers.values())
    tied = [n for n in texts if headers[n] == top]  # in CODE_PAGES order
    if len(tied) == 1:
        return tied[0]
    # The letters decide; the first of equals wins (max keeps the first maximum).
    return max(tied, key=lambda n: plausibility(texts[n][:PLAUSIBILITY_CHARS]))


def _is_utf8(data: bytes) -> bool:
    # The first 64 KB first: a failed decode copies its whole input into the error.
    try:
        for part in (data[: 64 * 1024], data):
            codecs.getincrementaldecoder("utf-8")().decode(part, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _known_cells(text: str, known_header: HeaderTest) -> int:
    """Cells of the first lines that are known column names (any delimiter)."""
    count = 0
    for line in text.splitlines()[:HEADER_LINES]:
        if not re.search(r"[^\x00-\x7f]", line):
            continue  # reads the same in every code page
        for cell in _FIELD_SPLIT.split(line):
            cell = cell.strip().strip('"').strip()
            count += bool(cell) and known_header(cell)
    return count


def plausibility(text: str) -> float:
    """How much the non-ASCII characters of `text` look like Western European words.

    A Western letter in a word cased as words are (lower, UPPER or Title) counts
    for; a letter that breaks its word's case ("expÇdition"), a C1 control or a
    box-drawing or other odd sign counts against.
    """
    score = 0.0
    for token in _NON_ASCII_TOKEN.findall(text):
        for ch in _NON_ASCII.findall(token):
            if ch not in _WESTERN_LETTERS and ch not in _OTHER_LETTERS:
                score += 0.0 if ch in _COMMON_SIGNS else -2.0
        score += len(_NUMBER_SIGN.findall(token))  # "N° de lot", "Nº", "4°C"
        for run in _LETTER_RUN.findall(token):
            western = sum(ch in _WESTERN_LETTERS for ch in run)
            if not western:
                continue
            cased = run.islower() or run.isupper() or run.istitle()
            score += western if cased else -western
    return score
