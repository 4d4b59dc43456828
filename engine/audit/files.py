"""Files that hold secrets or personal data (the audit key, the SQLite audit database) are
created readable by their owner only (mode 0600), whatever the umask.

The mode is given to ``os.open`` when the file is created, never set afterwards, so there is no
moment when another user could open it. A whole file is written to a private temporary file in
the same directory and then moved into place, so a reader sees the old or the new content,
never a half-written one — and a file that had a broader mode is tightened by being replaced.

Files that already exist with a broader mode are not changed behind their owner's back (a
deployment may share one with a group on purpose); ``loose_mode`` lets ``audit verify`` and
``audit key list`` warn about them instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

PRIVATE = 0o600
_WRITE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def _private_temporary(path: Path, text: str) -> Path:
    """``text`` in a new 0600 file beside ``path`` (same directory, so it can be renamed)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, _WRITE_NEW, PRIVATE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def replace_private(path: Path, text: str) -> None:
    """Write ``path`` whole with mode 0600 (atomically replacing any previous file)."""
    temporary = _private_temporary(path, text)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def create_private(path: Path, text: str) -> bool:
    """Create ``path`` with ``text`` and mode 0600 unless it exists; False if it did.

    Safe when several processes race to create the same file: it appears complete or not at
    all (a hard link of a finished temporary file), and exactly one of them wins."""
    temporary = _private_temporary(path, text)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: exclusive create, then write
        return _create_directly(path, text)
    finally:
        temporary.unlink(missing_ok=True)
    return True


def _create_directly(path: Path, text: str) -> bool:
    try:
        fd = os.open(path, _WRITE_NEW, PRIVATE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return True


def touch_private(path: Path) -> None:
    """Create an empty 0600 file if there is none (before a library such as SQLite creates it
    with the umask's mode); an existing file is left as it is."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, _WRITE_NEW, PRIVATE))


def loose_mode(path: Path) -> str | None:
    """The mode (like ``0644``) of an existing file that its group or others may access, else
    None (also for a missing file)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return f"{mode:04o}" if mode & 0o077 else None


__all__ = ["PRIVATE", "create_private", "loose_mode", "replace_private", "touch_private"]
