"""glibc malloc's thresholds, as the entry point sets them (read/memory.py)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="glibc malloc only",
)

# Eight 16 MiB blocks held at once, each followed by a small block from the heap
# that stays; then the large ones are freed. Prints the resident memory they leave.
HOLES = """
import sys
from recall_cli.read.memory import keep_large_blocks_mapped
if sys.argv[1] == "tuned":
    assert keep_large_blocks_mapped()

def resident():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096

warm = b"w" * (17 << 20)
del warm  # glibc now serves blocks of this size from its heap, unless told otherwise
before = resident()
big, small = [], []
for k in range(8):
    big.append(bytes([k]) * (16 << 20))
    small.append(bytes([k]) * 4000)
del big
print((resident() - before) >> 20)
"""


def _left_after_free(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("GLIBC_TUNABLES", None)
    out = subprocess.run(
        [sys.executable, "-c", HOLES, mode], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_freed_large_blocks_go_back_to_the_system() -> None:
    # Without the settings glibc keeps tens of MiB of the 128 MiB freed (holes under
    # the small blocks); with them every large block was mapped, and unmapped when freed.
    assert _left_after_free("default") >= 24
    assert _left_after_free("tuned") < 8


def test_the_users_malloc_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    from recall_cli.read.memory import keep_large_blocks_mapped

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1000000")
    assert keep_large_blocks_mapped() is False
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536")
    assert keep_large_blocks_mapped() is False
