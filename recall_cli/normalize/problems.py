"""Row problems that a later stage reads back: the contract between normalize and the
bucket rule. Every other problem text is only shown to people."""

from __future__ import annotations

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
