"""recall_cli: find the customers affected by a product recall in messy shipment files.

The library comes first; the `recall` command is a thin shell over it::

    from recall_cli import RecallScope, load_shipments, find_affected, summarize
    shipments = load_shipments(["sample_data/"])
    result = find_affected(shipments, RecallScope.create(["B201575"]))
    summarize(result)["customers"]
"""

from .errors import RecallError
from .normalize import load_shipments
from .query import RecallScope, find_affected, summarize

__all__ = ["RecallError", "RecallScope", "find_affected", "load_shipments", "summarize"]
