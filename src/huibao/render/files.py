"""The one file writer: readers see the old file or the whole new one, never a part.

Documents, PDFs, the volume and its source record, the run manifest and the promotion
of finished files out of staging all come through here. ``durable=True`` also flushes
the data and the folder entry to disk, so a power cut after the call keeps the new file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write(target: Path, fill: Callable[[Path], object], *, durable: bool = False) -> Path:
    """Let ``fill`` write a temporary file beside ``target``, then move it into place.

    The temporary file (``.<stem>.<random>.tmp``) gets the usual file mode (mkstemp
    makes 0600); a failure removes it and leaves ``target`` as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        fill(tmp)
        os.chmod(tmp, 0o666 & ~umask())
        place(tmp, target, durable=durable)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def place(source: Path, target: Path, *, durable: bool = False) -> Path:
    """Move a finished ``source`` onto ``target`` in one step (same filesystem)."""
    if durable:
        with open(source, "rb+") as fh:
            os.fsync(fh.fileno())
    os.replace(source, target)
    if durable:
        fsync_dir(Path(target).parent)
    return Path(target)


def fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable (a power cut after this keeps them)."""
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals renames
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stale_temporaries(folder: Path, stem: str) -> list[Path]:
    """Temporary files ``write`` left for ``stem`` when its process was killed mid-write."""
    return sorted(folder.glob(f".{stem}.*.tmp"))


def digest(path: Path) -> str:
    """The sha256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
