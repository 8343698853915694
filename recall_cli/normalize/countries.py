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
}  # fmt: skip

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
