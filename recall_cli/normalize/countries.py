"""Country names and codes (English, French, ISO 2/3) folded to ISO 3166 alpha-2."""

from __future__ import annotations

from recall_cli.normalize.columns import normalize_header

_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("us", "usa", "u s", "u s a", "united states", "united states of america", "america",
           "etats unis", "etats unis d amerique", "eu"),
    "FR": ("fr", "fra", "france", "republique francaise"),
    "CA": ("ca", "can", "canada"),
    "GB": ("gb", "gbr", "uk", "u k", "united kingdom", "great britain", "england", "royaume uni",
           "angleterre"),
    "DE": ("de", "deu", "germany", "allemagne", "deutschland"),
    "ES": ("es", "esp", "spain", "espagne", "espana"),
    "IT": ("it", "ita", "italy", "italie", "italia"),
    "BE": ("be", "bel", "belgium", "belgique", "belgie"),
    "NL": ("nl", "nld", "netherlands", "the netherlands", "holland", "pays bas"),
    "CH": ("ch", "che", "switzerland", "suisse", "schweiz"),
    "LU": ("lu", "lux", "luxembourg"),
    "MC": ("mc", "mco", "monaco"),
    "PT": ("pt", "prt", "portugal"),
    "IE": ("ie", "irl", "ireland", "irlande"),
    "AT": ("at", "aut", "austria", "autriche"),
    "SE": ("se", "swe", "sweden", "suede"),
    "DK": ("dk", "dnk", "denmark", "danemark"),
    "NO": ("no", "nor", "norway", "norvege"),
    "FI": ("fi", "fin", "finland", "finlande"),
    "PL": ("pl", "pol", "poland", "pologne"),
    "MX": ("mx", "mex", "mexico", "mexique"),
    "PR": ("pr", "pri", "puerto rico", "porto rico"),
    "AU": ("au", "aus", "australia", "australie"),
    "JP": ("jp", "jpn", "japan", "japon"),
    "CN": ("cn", "chn", "china", "chine"),
    "IL": ("il", "isr", "israel"),
    "MA": ("ma", "mar", "morocco", "maroc"),
    "DZ": ("dz", "dza", "algeria", "algerie"),
    "TN": ("tn", "tun", "tunisia", "tunisie"),
    "GP": ("gp", "glp", "guadeloupe"),
    "MQ": ("mq", "mtq", "martinique"),
    "RE": ("re", "reu", "reunion", "la reunion"),
    "GF": ("gf", "guf", "guyane", "french guiana"),
    "YT": ("yt", "myt", "mayotte"),
    "PM": ("pm", "spm", "saint pierre et miquelon", "st pierre et miquelon"),
    "BL": ("bl", "blm", "saint barthelemy", "st barthelemy"),
    "MF": ("mf", "maf", "saint martin", "st martin"),
    "NC": ("nc", "ncl", "nouvelle caledonie", "new caledonia"),
    "PF": ("pf", "pyf", "polynesie francaise", "french polynesia"),
    "WF": ("wf", "wlf", "wallis et futuna", "wallis and futuna"),
    "GU": ("gu", "gum", "guam"),
    "VI": ("vi", "vir", "us virgin islands", "u s virgin islands", "virgin islands",
           "iles vierges des etats unis"),
    "AS": ("as", "asm", "american samoa", "samoa americaines"),
    "MP": ("mp", "mnp", "northern mariana islands", "iles mariannes du nord"),
    "AW": ("aw", "abw", "aruba"),
    "CW": ("cw", "cuw", "curacao"),
    "SX": ("sx", "sxm", "sint maarten"),
    "GL": ("gl", "grl", "greenland", "groenland"),
    "FO": ("fo", "fro", "faroe islands", "iles feroe"),
    "JE": ("je", "jey", "jersey"),
    "GG": ("gg", "ggy", "guernsey", "guernesey"),
    "IM": ("im", "imn", "isle of man", "ile de man"),
    "GI": ("gi", "gib", "gibraltar"),
}  # fmt: skip

# Territories that exports list under their own ISO code though a recall or a
# regulator of the parent country may cover them: FDA's jurisdiction includes Puerto
# Rico and the other US territories, and the French overseas departments are France.
# A recall limited to a parent country sends their rows to a person rather than
# calling them "shipped elsewhere".
TERRITORIES: dict[str, tuple[str, ...]] = {
    "US": ("PR", "GU", "VI", "AS", "MP"),
    "FR": ("GP", "MQ", "RE", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF"),
    "NL": ("AW", "CW", "SX"),
    "DK": ("GL", "FO"),
    "GB": ("JE", "GG", "IM", "GI"),
}
PARENT = {code: parent for parent, codes in TERRITORIES.items() for code in codes}

# "EU" is ambiguous in general but in French exports means États-Unis only
# when spelled out; keep the two-letter form out of the table.
_NAMES["US"] = tuple(n for n in _NAMES["US"] if n != "eu")

_LOOKUP = {normalize_header(alias): code for code, aliases in _NAMES.items() for alias in aliases}


def to_iso2(value: object) -> str | None:
    """ISO alpha-2 for a country name or code, or None when unknown."""
    key = normalize_header(value)
    if not key:
        return None
    return _LOOKUP.get(key)
