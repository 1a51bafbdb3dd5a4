"""Files with residents' data are readable by the owner only.

The data directory holds SQLite databases (cases, conversations, the outbox), the
secret key, the Case API token, logs and staged photos; the models directory holds the
model registry and trained models (with the staff's training examples). Every Balie
process sets the umask 077 first, so whatever it (or Rasa, a child of the supervisor)
creates is 0600/0700, and the entry points tighten what an older version left behind.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

UMASK = 0o077


def restrict_umask() -> None:
    """New files of this process and its children: owner only."""
    os.umask(UMASK)


def _tighten(path: Path) -> bool:
    """Take away the group's and others' bits; the owner's stay (0644 -> 0600, 0755 -> 0700)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
        return False  # a link's target, or someone else's file: not ours to change
    mode = stat.S_IMODE(info.st_mode)
    if mode & UMASK == 0:
        return False
    path.chmod(mode & ~UMASK)
    return True


def secure_tree(root: Path) -> int:
    """Nothing under root readable by anyone but the owner; returns how many changed."""
    if not root.is_dir():
        return 0
    changed = 0
    try:
        changed += _tighten(root)
        for top, dirs, files in os.walk(root, followlinks=False):
            for name in [*dirs, *files]:
                changed += _tighten(Path(top, name))
    except OSError as exc:  # a file deleted meanwhile, a read-only mount: carry on
        log.warning("could not restrict permissions under %s: %s", root, exc)
    if changed:
        log.info("restricted permissions of %d paths under %s to the owner", changed, root)
    return changed


def secure_process(*dirs: Path) -> None:
    """An entry point's first step: the umask, then what exists already in dirs."""
    restrict_umask()
    for directory in dirs:
        secure_tree(directory)
