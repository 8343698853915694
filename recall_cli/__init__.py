"""recall_cli: find the customers affected by a product recall in messy shipment files.

The library comes first; the `recall` command is a thin shell over it::

    from recall_cli import RecallScope, load_shipments, find_affected, summarize
    shipments = load_shipments(["sample_data/"])
    result = find_affected(shipments, RecallScope.create(["B201575"]))
    summarize(result)["customers"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recall_cli.errors import RecallError
from recall_cli.query.scope import RecallScope
from recall_cli.version import __version__

if TYPE_CHECKING:
    from recall_cli.normalize.sheet import load_shipments
    from recall_cli.query.result import find_affected, summarize


__all__ = [
    "RecallError",
    "RecallScope",
    "__version__",
    "find_affected",
    "load_shipments",
    "summarize",
]

# Imported on first use: `recall check` on cached data never needs pandas.
_LAZY = {
    "load_shipments": "normalize.sheet",
    "find_affected": "query.result",
    "summarize": "query.result",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
