"""Row problems that a later stage reads back: the contract between normalize and the
bucket rule. Every other problem text is only shown to people."""

from __future__ import annotations

# The spec's rule: in a column that shows both orders, ambiguous rows go to review
# whatever their lot.
AMBIGUOUS_IN_COLUMN = "ship date ambiguous: the column mixes dd/mm and mm/dd"
