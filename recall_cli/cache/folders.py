"""Private folders for what the tool keeps (the cache, the audit log), and whether to trust one.

Both hold patient data or say who exported it, so they are created 0700 whatever
the umask, and a folder or file that another user owns, or that others may write
to, is not used: another account could plant rows there.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and each missing parent, every one of them 0700 whatever the umask.

    Path.mkdir(parents=True) gives the parents the umask's mode (0777 under umask 000).
    Folders that already exist are left as they are: they may not be ours.
    """
    missing: list[Path] = []
    p = folder
    while not os.path.lexists(p):
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for q in reversed(missing):
        try:
            os.mkdir(q, 0o700)
        except FileExistsError:
            continue  # another process made it meanwhile: it is theirs to set
        os.chmod(q, 0o700)  # mkdir's mode is masked by the umask


def distrust(st: os.stat_result) -> str | None:
    """Why a folder or file with this stat must not be trusted, or None."""
    uid = getattr(os, "geteuid", lambda: st.st_uid)()
    if st.st_uid != uid:
        return "is owned by another user"
    if stat.S_IMODE(st.st_mode) & 0o022:
        return "is writable by other users"
    return None
