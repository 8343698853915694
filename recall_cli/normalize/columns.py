"""Canonical columns and the header names (English and French) that map to them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# Canonical shipment columns, in the order exports show them.
LOT = "lot"
SHIP_DATE = "ship_date"
CUSTOMER_ID = "customer_id"

CANONICAL: tuple[str, ...] = (
    "lot",
    "ship_date",
    "customer_id",
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "address2",
    "city",
    "region",
    "postal_code",
    "country",
    "quantity",
    "unit",
    "order_id",
    "product",
    "prescriber",
    "prescriber_id",
    "ship_from",
)

# Columns kept as text whatever the cell type, so codes keep their zeros.
TEXT_CODES = ("lot", "customer_id", "postal_code", "order_id", "prescriber_id", "phone")

_ALIASES: dict[str, tuple[str, ...]] = {
    "lot": (
        "lot",
        "lot no",
        "lot nr",
        "lot nbr",
        "lot num",
        "lot serial",
        "lot no no",
        "lot number",
        "lot code",
        "lot id",
        "lotno",
        "lot numero",
        "lotnumber",
        "batch",
        "batch no",
        "batch nr",
        "batch number",
        "batch code",
        "batch lot",
        "lot batch",
        "n de lot",
        "n lot",
        "no de lot",
        "no lot",
        "num lot",
        "numero de lot",
        "numero lot",
        "code lot",
        "lot de fabrication",
        "numero du lot",
        "n du lot",
        "reference lot",
        "ref lot",
    ),
    "ship_date": (
        "ship date",
        "shipdate",
        "shipped",
        "date shipped",
        "date of shipment",
        "ship dte",
        "shipping date",
        "shipment date",
        "ship dt",
        "shipped date",
        "shipped on",
        "dispatch date",
        "date dispatched",
        "despatch date",
        "date d expedition",
        "date expedition",
        "date de expedition",
        "expedition",
        "expedie le",
        "date de sortie",
        "date d envoi",
        "date envoi",
        "date de l envoi",
        "date expedie",
        "date of dispatch",
        "dispatched",
    ),
    "customer_id": (
        "customer id",
        "customer no",
        "customer nr",
        "customer number",
        "customer code",
        "customer account",
        "cust",
        "cust id",
        "cust no",
        "cust no no",
        "custid",
        "customerid",
        "patient id",
        "patient no",
        "patient number",
        "patient code",
        "patientid",
        "account",
        "account id",
        "account no",
        "account number",
        "acct",
        "acct no",
        "client id",
        "client no",
        "code client",
        "code patient",
        "id client",
        "id patient",
        "n client",
        "no client",
        "numero client",
        "numero de client",
        "n patient",
        "numero patient",
        "numero de patient",
        "ref client",
        "reference client",
        "sold to",
        "sold to party",
        "ship to party",
        "ship to",
        "ship to no",
        "ship to number",
        "ipp",
        "account code",
        "n de client",
        "n du client",
        "numero du client",
        "no de client",
        "n de patient",
        "numero du patient",
    ),
    "name": (
        "name",
        "full name",
        "customer name",
        "patient name",
        "client name",
        "consignee",
        "consignee name",
        "ship to name",
        "contact",
        "contact name",
        "customer",
        "patient",
        "client",
        "nom",
        "nom complet",
        "nom du patient",
        "nom patient",
        "nom du client",
        "nom client",
        "nom et prenom",
        "nom prenom",
        "destinataire",
        "raison sociale",
        "account name",
    ),
    "first_name": ("first name", "firstname", "given name", "forename", "prenom"),
    "last_name": (
        "last name",
        "lastname",
        "surname",
        "family name",
        "nom de famille",
        "patronyme",
    ),
    "email": (
        "email",
        "e mail",
        "mail",
        "email address",
        "e mail address",
        "courriel",
        "adresse email",
        "adresse e mail",
        "adresse mail",
        "adresse courriel",
    ),
    "phone": (
        "phone",
        "phone number",
        "telephone",
        "telephone number",
        "tel",
        "tel no",
        "mobile",
        "mobile phone",
        "cell",
        "contact phone",
        "portable",
        "numero de telephone",
        "n de telephone",
        "n telephone",
    ),
    "address": (
        "address",
        "address 1",
        "address1",
        "address line 1",
        "street",
        "street address",
        "ship to address",
        "shipping address",
        "adresse",
        "adresse 1",
        "adresse1",
        "adresse ligne 1",
        "rue",
        "adresse de livraison",
        "voie",
        "ship to street",
        "street 1",
    ),
    "address2": (
        "address 2",
        "address2",
        "address line 2",
        "adresse 2",
        "adresse2",
        "adresse ligne 2",
        "complement d adresse",
        "complement adresse",
    ),
    "city": ("city", "town", "ship to city", "ville", "commune", "localite"),
    "region": (
        "state",
        "region",
        "province",
        "county",
        "state province",
        "ship to state",
        "departement",
        "etat",
        "ville de livraison",
    ),
    "postal_code": (
        "zip",
        "zip code",
        "zipcode",
        "postcode",
        "post code",
        "postal code",
        "postalcode",
        "ship to zip",
        "code postal",
        "cp",
        "zip postal code",
        "postal zip",
        "postal code zip",
    ),
    "country": (
        "country",
        "country region",
        "ctry",
        "country code",
        "ship to country",
        "pays",
        "code pays",
        "pays de livraison",
    ),
    "quantity": (
        "qty",
        "quantity",
        "units",
        "qty shipped",
        "quantity shipped",
        "units shipped",
        "shipped qty",
        "shipped quantity",
        "quantite",
        "quantite expediee",
        "qte",
        "nombre",
        "nb",
        "nb unites",
        "unites",
        "qte expediee",
        "qte livree",
        "quantite livree",
        "delivered qty",
    ),
    "unit": ("uom", "unit of measure", "unit", "unite de mesure", "unite"),
    "order_id": (
        "order",
        "order id",
        "order no",
        "order nr",
        "order number",
        "sales order",
        "sales order no",
        "so number",
        "so no",
        "delivery",
        "delivery no",
        "delivery number",
        "invoice",
        "invoice no",
        "invoice number",
        "commande",
        "n commande",
        "no commande",
        "numero de commande",
        "numero commande",
        "bon de livraison",
        "n bl",
        "no bl",
        "bl",
    ),
    "product": (
        "product",
        "product name",
        "product description",
        "item",
        "item description",
        "description",
        "sku",
        "material",
        "material description",
        "produit",
        "article",
        "designation",
        "libelle",
        "libelle produit",
    ),
    "prescriber": (
        "prescriber",
        "prescriber name",
        "physician",
        "physician name",
        "prescribing physician",
        "doctor",
        "doctor name",
        "hcp",
        "hcp name",
        "medecin",
        "medecin prescripteur",
        "prescripteur",
        "nom du medecin",
        "nom medecin",
        "medecin traitant",
    ),
    "prescriber_id": (
        "npi",
        "prescriber id",
        "prescriber npi",
        "physician id",
        "physician npi",
        "doctor id",
        "hcp id",
        "rpps",
        "n rpps",
        "numero rpps",
        "id medecin",
        "id prescripteur",
        "adeli",
        "prescriber no",
    ),
    "ship_from": (
        "ship from",
        "ship from location",
        "shipped from",
        "warehouse",
        "plant",
        "site",
        "distribution center",
        "entrepot",
        "depot",
        "site d expedition",
    ),
}


def normalize_header(text: object) -> str:
    """Fold a header cell to the form aliases are written in.

    Case, accents, punctuation and spacing are ignored, so `N° de lot`,
    `Numéro de lot` and `NUMERO  DE LOT` all compare equal.
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    # "Customer #" means "Customer No.", not "Customer" (which is a name).
    s = s.replace("#", " no ").replace("°", " ").replace("º", " ").lower()
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return " ".join(s.split())


# Names too vague to trust when a sheet also has a specific one
# ("Date" is the ship date only when no column says "Ship Date").
_WEAK_ALIASES: dict[str, str] = {"date": "ship_date", "lot batch no": "lot"}

# Headers only ever seen in French exports; they decide day-first dates
# when a column's values cannot.
_FRENCH_WORDS = frozenset(
    normalize_header(h)
    for h in (
        "N° de lot", "Numéro de lot", "Date d'expédition", "Code client", "Code patient",
        "Courriel", "Ville", "Pays", "Code postal", "Quantité", "Médecin prescripteur", "Nom",
        "Prénom", "Adresse", "Téléphone", "Produit", "N° commande", "Nom du patient",
    )
)  # fmt: skip

ALIASES: dict[str, str] = {}
for _canon, _names in _ALIASES.items():
    for _name in _names:
        ALIASES[normalize_header(_name)] = _canon


def canonical_for(header: object, *, weak: bool = False) -> str | None:
    """The canonical column a header names, or None.

    With `weak`, vague names such as "Date" count too; the header finder uses
    them only for a column no specific header claims.
    """
    # "Ship Date (MM/DD/YYYY)", "Qty [units]": a bracketed note says how, not what.
    text = re.sub(r"[(\[{][^)\]}]*[)\]}]", " ", str(header)) if header is not None else ""
    for key in dict.fromkeys((normalize_header(header), normalize_header(text))):
        if weak and key in _WEAK_ALIASES:
            return _WEAK_ALIASES[key]
        if not key:
            continue
        if key in ALIASES:
            return ALIASES[key]
        # "Lot #", "Lot No." and "Qty units" fold to a known alias plus noise.
        stripped = re.sub(_NOISE, "", key).strip()
        if stripped and stripped != key and stripped in ALIASES:
            canon = ALIASES[stripped]
            # "Client Code", "Consignee ID", "Prescriber No": the number, not the name.
            if re.search(_ID_SUFFIX, key):
                canon = _ID_OF.get(canon, canon)
            return canon
    return None


def is_known_header(text: str) -> bool:
    """Whether a header cell names a canonical column; the CSV reader asks it to
    choose between code pages (read.encoding)."""
    return canonical_for(text) is not None


_NOISE = r"\b(no|nr|n|num|number|numero|code|id|units?|ea|pcs)\b$"
_ID_SUFFIX = r"\b(no|nr|n|num|number|numero|code|id)$"
_ID_OF = {"name": "customer_id", "prescriber": "prescriber_id"}


def date_order_hint(header: object) -> str | None:
    """The order a date header spells out: "Date (JJ/MM/AAAA)", "Ship Date MM/DD/YY"."""
    key = normalize_header(header)
    if re.search(r"\b(dd|jj) mm (yy|yyyy|aa|aaaa)\b", key):
        return "day-first"
    if re.search(r"\bmm (dd|jj) (yy|yyyy|aa|aaaa)\b", key):
        return "month-first"
    return None


def header_language(headers: Iterable[object]) -> str | None:
    """ "fr" or "en" when the header row is clearly in one language, else None.

    Words, not whole headers, vote: "N° lot", "Qté" and "N° client" are French
    even though no alias table lists those exact spellings.
    """
    french = english = 0
    for header in headers:
        words = set(normalize_header(header).split())
        french += bool(words & _FRENCH_TOKENS) or normalize_header(header) in _FRENCH_WORDS
        english += bool(words & _ENGLISH_TOKENS)
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return None


# "n" is what "N°" folds to; "no" stays out (English "No." folds to it too).
_FRENCH_TOKENS = frozenset(
    {
        "n", "numero", "qte", "quantite", "expedition", "expedie", "envoi", "livraison",
        "courriel", "ville", "pays", "prenom", "nom", "adresse", "telephone", "commande",
        "produit", "medecin", "prescripteur", "unites", "designation", "libelle", "fabrication",
    }
)  # fmt: skip
_ENGLISH_TOKENS = frozenset(
    {
        "ship", "shipped", "shipping", "shipment", "customer", "qty", "quantity", "units",
        "zip", "state", "email", "phone", "address", "city", "country", "order", "product",
        "prescriber", "physician", "account", "batch", "number", "name", "street",
    }
)  # fmt: skip

REQUIRED_HINT = "required: lot, ship date, and either a customer id or name + postal code"


def missing_required(mapped: set[str]) -> list[str]:
    """The required canonical columns that a header mapping lacks."""
    missing = [c for c in (LOT, SHIP_DATE) if c not in mapped]
    has_name = "name" in mapped or "last_name" in mapped
    if CUSTOMER_ID not in mapped and not (has_name and "postal_code" in mapped):
        missing.append("customer_id (or name + postal_code)")
    return missing


def unused_mappings(
    overrides: Mapping[str, str], found: Iterable[Mapping[str, str]]
) -> list[tuple[str, str]]:
    """The ``--column canonical=header`` mappings that no sheet used (its header was
    nowhere), given each read sheet's canonical -> header mapping. A mapping that is
    silently unused leaves the column to the automatic choice the user wanted to avoid."""
    used = {(canon, normalize_header(header)) for sheet in found for canon, header in sheet.items()}
    return [(c, h) for c, h in overrides.items() if (c, normalize_header(h)) not in used]
