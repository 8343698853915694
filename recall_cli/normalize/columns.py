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


# Headers that French, German, Spanish and Italian exports write (SAP in each language,
# Sage, Odoo, Dynamics 365 Business Central / NAV, and the sites' own templates), and
# SAP/Odoo/Business Central English. Listed by language so each can be checked against
# its source; docs/columns.md is generated from the merged table.
_EUROPEAN: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "lot": (
            "lot",
            "n de lot",
            "numero de lot",
            "lot serie",
            "numero de lot serie",
            "lot numero de serie",
            "n serie lot",
            "charge",
        ),
        "ship_date": (
            "date livree",
            "date de sortie",
            "date sortie marchandises",
            "date de sortie marchandises",
            "date sm reelle",
            "date effective",
            "date du bl",
            "date de l expedition",
            "date expedition reelle",
        ),
        "customer_id": (
            "n client donneur d ordre",
            "donneur d ordre",
            "code tiers",
            "n compte tiers",
            "compte tiers",
            "tiers",
            "n tiers",
            "client donneur d ordre",
            "code du client",
        ),
        "name": (
            "intitule",
            "intitule client",
            "nom donneur d ordre",
            "nom destinataire",
            "partenaire",
            "receptionnaire",
            "nom du destinataire",
            "societe",
        ),
        "email": ("e mail", "adresse electronique"),
        "phone": ("tel", "telephone portable", "tel portable", "n tel"),
        "address": ("rue 1", "adresse 1 destinataire", "adresse destinataire", "adresse livraison"),
        "address2": ("rue 2",),
        "postal_code": ("code postal destinataire", "cp destinataire"),
        "city": ("ville destinataire", "ville de livraison"),
        "country": ("pays destinataire", "code pays destinataire"),
        "product": (
            "reference article",
            "ref article",
            "n article",
            "code article",
            "designation article",
        ),
        "quantity": ("quantite livree", "qte livree", "quantite faite", "fait", "qte"),
        "order_id": (
            "n de commande",
            "no de commande",
            "n commande client",
            "commande client",
            "document d origine",
            "n piece",
            "numero de piece",
            "n document",
            "n de bl",
            "n bon de livraison",
            "livraison",
            "document de vente",
        ),
        "prescriber": ("medecin prescripteur", "prescripteur", "nom du prescripteur"),
    },
    "de": {
        "lot": (
            "charge",
            "chargennummer",
            "charge nr",
            "chargen nr",
            "chargennr",
            "los",
            "losnummer",
            "los nr",
            "los seriennummer",
            "chargen seriennummer",
        ),
        "ship_date": (
            "versanddatum",
            "versandt am",
            "warenausgangsdatum",
            "wa datum",
            "ist warenausgangsdatum",
            "datum warenausgang",
            "lieferscheindatum",
            "effektives datum",
            "ausgeliefert am",
        ),
        "customer_id": (
            "kundennummer",
            "kunden nr",
            "kundennr",
            "kunde nr",
            "kd nr",
            "kdnr",
            "debitor",
            "debitorennummer",
            "debitor nr",
            "auftraggeber",
            "warenempfanger",
            "verk an deb nr",
            "kundenkonto",
            "patientennummer",
        ),
        "name": (
            "name 1",
            "name1",
            "kunde",
            "kundenname",
            "firma",
            "patient",
            "verk an name",
            "lief an name",
            "empfanger",
            "warenempfanger name",
        ),
        "first_name": ("vorname",),
        "last_name": ("nachname", "familienname"),
        "email": ("e mail", "e mail adresse", "email adresse"),
        "phone": ("telefon", "telefonnummer", "tel nr", "mobil", "handy"),
        "address": ("strasse", "strasse und hausnummer", "anschrift", "adresse", "lief an adresse"),
        "address2": ("adresszusatz", "adresse 2"),
        "postal_code": ("plz", "postleitzahl", "lief an plz code", "plz code"),
        "city": ("ort", "stadt", "lief an ort", "wohnort"),
        "region": ("bundesland", "region"),
        "country": ("land", "landerschlussel", "land region", "lief an land region code"),
        "product": (
            "material",
            "materialnummer",
            "materialkurztext",
            "artikel",
            "artikelnummer",
            "artikelnr",
            "artikel nr",
            "produkt",
            "bezeichnung",
            "beschreibung",
        ),
        "quantity": (
            "menge",
            "liefermenge",
            "anzahl",
            "stuck",
            "stk",
            "stuckzahl",
            "erledigt",
            "gelieferte menge",
        ),
        "order_id": (
            "auftrag",
            "auftragsnummer",
            "auftragsnr",
            "auftrags nr",
            "kundenauftrag",
            "verkaufsbeleg",
            "bestellnummer",
            "bestellung",
            "lieferung",
            "lieferschein",
            "lieferscheinnummer",
            "lieferschein nr",
            "herkunftsbeleg",
            "belegnummer",
            "beleg nr",
            "belegnr",
        ),
        "prescriber": ("arzt", "verordnender arzt", "verordner", "behandelnder arzt"),
        "prescriber_id": ("lanr", "arztnummer"),
    },
    "es": {
        "lot": (
            "lote",
            "numero de lote",
            "n lote",
            "n de lote",
            "lote numero de serie",
            "lote de fabricacion",
        ),
        "ship_date": (
            "fecha de envio",
            "fecha envio",
            "fecha de expedicion",
            "fecha expedicion",
            "fecha albaran",
            "fecha del albaran",
            "fecha efectiva",
            "enviado el",
        ),
        "customer_id": (
            "codigo cliente",
            "codigo de cliente",
            "cod cliente",
            "n cliente",
            "numero de cliente",
            "venta a n cliente",
            "id cliente",
            "codigo paciente",
            "n paciente",
        ),
        "name": (
            "cliente",
            "nombre cliente",
            "nombre del cliente",
            "razon social",
            "venta a nombre",
            "envio a nombre",
            "empresa",
            "paciente",
            "destinatario",
        ),
        "last_name": ("apellidos", "apellido"),
        "email": ("correo electronico", "correo", "e mail"),
        "phone": ("telefono", "movil", "telefono movil"),
        "address": ("direccion", "domicilio", "direccion de envio", "calle"),
        "address2": ("direccion 2",),
        "postal_code": ("codigo postal", "cp", "c p", "cod postal"),
        "city": ("ciudad", "poblacion", "localidad", "municipio"),
        "region": ("provincia", "comunidad autonoma"),
        "country": ("pais", "codigo pais"),
        "product": (
            "articulo",
            "producto",
            "descripcion",
            "referencia",
            "n producto",
            "codigo articulo",
        ),
        "quantity": ("cantidad", "cant", "unidades", "cantidad enviada", "hecho"),
        "order_id": (
            "pedido",
            "n pedido",
            "numero de pedido",
            "n de pedido",
            "albaran",
            "n albaran",
            "documento origen",
            "n documento",
            "pedido de venta",
        ),
        "prescriber": ("medico", "medico prescriptor", "prescriptor", "doctor"),
        "prescriber_id": ("n colegiado", "numero de colegiado"),
    },
    "it": {
        "lot": (
            "lotto",
            "numero lotto",
            "n lotto",
            "numero di lotto",
            "lotto matricola",
            "lotto numero di serie",
            "partita",
        ),
        "ship_date": (
            "data spedizione",
            "data di spedizione",
            "data ddt",
            "data documento di trasporto",
            "data effettiva",
            "data evasione",
        ),
        "customer_id": (
            "codice cliente",
            "cod cliente",
            "n cliente",
            "numero cliente",
            "id cliente",
            "codice paziente",
        ),
        "name": (
            "cliente",
            "ragione sociale",
            "nome",
            "nome cliente",
            "denominazione",
            "destinatario",
            "paziente",
        ),
        "last_name": ("cognome",),
        "email": ("posta elettronica", "e mail", "indirizzo email"),
        "phone": ("telefono", "cellulare", "tel"),
        "address": ("indirizzo", "via", "indirizzo di consegna"),
        "postal_code": ("cap", "codice postale", "c a p"),
        "city": ("citta", "comune", "localita"),
        "region": ("provincia", "prov"),
        "country": ("nazione", "paese"),
        "product": ("articolo", "prodotto", "descrizione", "codice articolo"),
        "quantity": ("quantita", "q ta", "qta", "qt", "pezzi", "quantita spedita", "completato"),
        "order_id": (
            "ordine",
            "numero ordine",
            "n ordine",
            "nr ordine",
            "ddt",
            "n ddt",
            "numero ddt",
            "documento di origine",
            "ordine cliente",
        ),
        "prescriber": ("medico", "medico prescrittore", "prescrittore"),
    },
    "en": {  # SAP, Odoo and Business Central in English
        "lot": ("lot serial number", "lot no", "batch no"),
        "ship_date": (
            "actual gi date",
            "goods issue date",
            "gi date",
            "effective date",
            "date done",
            "actual goods movement date",
        ),
        "customer_id": ("sell to customer no", "bill to customer no", "sold to pt", "customer no"),
        "name": ("sell to customer name", "ship to name", "partner", "sold to name", "name 1"),
        "order_id": (
            "source document",
            "customer reference",
            "external document no",
            "document no",
            "sales document",
            "order no",
        ),
        "postal_code": ("ship to post code", "post code"),
        "country": ("ship to country region code", "country region code"),
        "quantity": ("quantity done", "done", "delivery quantity"),
        "product": ("item no",),
    },
}
for _table in _EUROPEAN.values():
    for _canon, _names in _table.items():
        _ALIASES[_canon] = (*_ALIASES[_canon], *_names)


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
    s = s.replace("#", " no ").replace("°", " ").replace("º", " ").replace("ß", "ss").lower()
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return " ".join(s.split())


# Names too vague to trust when a sheet also has a specific one
# ("Date" is the ship date only when no column says "Ship Date").
_WEAK_ALIASES: dict[str, str] = {"date": "ship_date", "lot batch no": "lot"}
# A delivery date is often the planned one (SAP's LFDAT): the ship date only when no
# column says shipped or goods issue.
DELIVERY_DATES: tuple[str, ...] = (
    "delivery date", "date de livraison", "date livraison", "lieferdatum",
    "datum der lieferung", "fecha de entrega", "fecha entrega", "data consegna",
    "data di consegna",
)  # fmt: skip

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

_WEAK_ALIASES.update({normalize_header(n): "ship_date" for n in DELIVERY_DATES})

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
        # "Nº pedido", "N. ordine", "Numéro du client": a number of something is its id.
        rest = re.sub(_NUMBER_OF, "", key)
        if rest != key and rest in ALIASES:
            canon = _ID_OF.get(ALIASES[rest], ALIASES[rest])
            if canon in _NUMBERED:
                return canon
    return None


# "N°", "Nº" (which folds to "no"), "Nr.", "Núm.", "Numéro", "Nummer", then "de/du/di/del".
_NUMBER_OF = r"^(n|no|nr|nro|num|numero|nummer)( (de|du|d|di|del|della|des))? "
#: What "number of X" can name: ids and codes, never a name or an address.
_NUMBERED = frozenset({"lot", "order_id", "customer_id", "phone", "prescriber_id"})


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
    """ "fr", "de", "es", "it" or "en" when the header row is clearly in one language
    (more of its headers hold a word of it than of any other), else None.

    Words, not whole headers, vote: "N° lot", "Qté" and "N° client" are French
    even though no alias table lists those exact spellings.
    """
    votes = dict.fromkeys(_LANGUAGE_TOKENS, 0)
    for header in headers:
        key = normalize_header(header)
        words = set(key.split())
        for language, tokens in _LANGUAGE_TOKENS.items():
            votes[language] += bool(words & tokens)
        votes["fr"] += key in _FRENCH_WORDS and not words & _FRENCH_TOKENS
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if ranked[0][1] and ranked[0][1] > ranked[1][1]:
        return ranked[0][0]
    return None


#: Languages whose dates are written day first: headers in them decide an all-ambiguous
#: date column (a German, Spanish or Italian export is no more mm/dd than a French one).
DAY_FIRST_LANGUAGES: dict[str, str] = {"fr": "French", "de": "German", "es": "Spanish",
                                       "it": "Italian"}  # fmt: skip

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
_GERMAN_TOKENS = frozenset(
    {
        "lieferdatum", "versanddatum", "warenausgangsdatum", "datum", "charge",
        "chargennummer", "kunde", "kundennummer", "kundennr", "debitor", "menge", "anzahl",
        "auftrag", "auftragsnummer", "lieferung", "lieferschein", "strasse", "plz", "ort",
        "land", "telefon", "artikel", "artikelnummer", "material", "bezeichnung", "vorname",
        "nachname", "arzt", "stuck",
    }
)  # fmt: skip
_SPANISH_TOKENS = frozenset(
    {
        "fecha", "envio", "entrega", "albaran", "lote", "cantidad", "pedido", "direccion",
        "ciudad", "poblacion", "localidad", "pais", "apellidos", "apellido", "codigo", "cod",
        "correo", "producto", "articulo", "descripcion", "razon", "unidades", "cant",
    }
)  # fmt: skip
_ITALIAN_TOKENS = frozenset(
    {
        "data", "spedizione", "consegna", "lotto", "quantita", "qta", "ordine", "indirizzo",
        "citta", "cap", "nazione", "cognome", "nome", "codice", "prodotto", "descrizione",
        "ragione", "comune", "ddt", "pezzi",
    }
)  # fmt: skip
_LANGUAGE_TOKENS: dict[str, frozenset[str]] = {
    "fr": _FRENCH_TOKENS, "en": _ENGLISH_TOKENS, "de": _GERMAN_TOKENS,
    "es": _SPANISH_TOKENS, "it": _ITALIAN_TOKENS,
}  # fmt: skip

#: Headers that mean different columns in different languages: resolved by the
#: language of the header row, and left unmapped when it is not clear.
AMBIGUOUS: dict[str, dict[str, str]] = {
    "nombre": {"fr": "quantity", "es": "name"},  # French "count", Spanish "name"
}


def ambiguous_header(header: object, headers: Iterable[object]) -> str | None:
    """The canonical column of an AMBIGUOUS header, given the row it stands in."""
    meanings = AMBIGUOUS.get(normalize_header(header))
    if not meanings:
        return None
    language = header_language(headers)
    return meanings.get(language) if language else None


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
