"""How the process allocates: Arrow's allocator, and glibc malloc's thresholds."""

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


#: glibc's own default threshold above which malloc maps a block of its own (128 KiB).
MMAP_THRESHOLD = 128 << 10
#: Free memory at the top of the heap kept for reuse rather than handed back at once.
TRIM_THRESHOLD = 64 << 20
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_USER_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


def keep_large_blocks_mapped() -> bool:
    """Fix glibc malloc's thresholds, so freed column buffers go back to the system.

    By default glibc raises its mmap threshold to the size of each large block
    freed (up to 32 MiB), after which blocks of that size come from the heap:
    a read's 16 MB blocks and the normaliser's column buffers then leave holes
    that other allocations pin, and the process keeps hundreds of megabytes it
    has freed (with Arrow on malloc, see `prefer_system_allocator`). Setting the
    thresholds explicitly turns that adjustment off: large blocks are mapped and
    unmapped, small ones reuse the heap. Settings the user made in the
    environment win. Returns whether the settings were applied (glibc only).
    """
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        # The C library is in the process already: its symbols, not a search for its
        # file (ctypes.util.find_library runs ldconfig, and imports subprocess and
        # tempfile, on every start of the tool, a cached answer's included).
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt to speak of)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    return mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
