"""Row problems that a later stage reads back: the contract between normalize and the
bucket rule. Every other problem text is only shown to people."""

from __future__ import annotations

import datetime as dt
import re

# The spec's rule: in a column that shows both orders, ambiguous rows go to review
# whatever their lot.
AMBIGUOUS_IN_COLUMN = "ship date ambiguous: the column mixes dd/mm and mm/dd"

# A quantity that is not a finite whole count a float holds exactly (`abc`, `inf`,
# `nan`, `1e400`, 2**53 and beyond): a matched row with one goes to review, since
# its units cannot be reported.
UNREADABLE_QUANTITY = "unreadable quantity"
# A real date in a column that shows a locale swap it cannot undo (normalize.dates):
# as AMBIGUOUS_IN_COLUMN, to review whatever the lot.
LOCALE_SWAP = (
    "ship date may have day and month swapped: the column's real dates look like a "
    "CSV opened in the other locale"
)
#: Problems that send a data row to review whatever its lot: its date column cannot be trusted.
UNTRUSTED_DATE_COLUMN = frozenset({AMBIGUOUS_IN_COLUMN, LOCALE_SWAP})
# A quantity the column's decimal mark cannot settle ("1.000": one, or a thousand):
# normalize.quantities writes "quantity '1.000' could be 1,000 or 1.000 (...)", and
# a matched row with one goes to review, as with UNREADABLE_QUANTITY.
UNDECIDED_QUANTITY_START = "quantity '"

# An a/b/yyyy date in a column where nothing decided the order (every value fits both,
# and no header, option or day above 12 says which): English headers or the country
# the rows ship to were taken as the sign (dates.DateOrder.guessed). The note keeps
# the other reading, so the bucket rule can send a recalled row to review where the
# two readings fall on either side of the window. The note follows any other problem
# of the row ("unreadable quantity; ship date order guessed: ..."), so a row keeps
# both; the rule reads quantity problems by how they start.
GUESSED_ORDER = "ship date order guessed"
_OTHER_READING = re.compile(r"read the other way it is (\d{4})-(\d{2})-(\d{2})")


def guessed_order_note(raw: str, read: dt.date, order: str, other: dt.date) -> str:
    return (
        f"{GUESSED_ORDER}: {raw.strip()!r} was read {order} as {read.isoformat()}; "
        f"read the other way it is {other.isoformat()}"
    )


def other_reading(problem: str) -> dt.date | None:
    """The other reading a guessed-order note keeps, if the problem holds one."""
    if GUESSED_ORDER not in problem:
        return None
    m = _OTHER_READING.search(problem)
    return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
