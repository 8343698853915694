"""Which allocator Arrow uses for the cells it decodes and the rows built from them."""

from __future__ import annotations

import os
import sys


def prefer_system_allocator() -> None:
    """Arrow allocates with the C library's malloc, unless ARROW_DEFAULT_MEMORY_POOL is set.

    Reading and normalising is mostly fresh memory, and pyarrow's default
    allocator (mimalloc) was measured slower than malloc at faulting fresh pages
    in (bench/RESULTS.md). Before pyarrow is imported the variable is enough (it
    is read on first use), so this sets it rather than importing pyarrow, which
    would delay the decode. A process entry point calls it; the library never
    changes a caller's allocator on its own.
    """
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    else:
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
