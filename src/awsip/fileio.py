"""The one atomic file writer: cache files and every ``-o`` / ``--plot`` output go through it.

A file is written to a temporary file in the target's own directory (``.<name>.<random>.tmp``),
flushed, fsynced and renamed over the target with :func:`os.replace`, so a reader sees the old
file or the new one, never part of one, and a failure (an exception, Ctrl-C) leaves an existing
file exactly as it was. The new file gets the mode ``open()`` would give it (0o666 minus the
umask), not ``mkstemp``'s 0o600, so a shared cache or an output file stays readable by others.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

_umask: int | None = None


def file_mode() -> int:
    """0o666 minus the process umask: what ``open()`` would create (read once per process)."""
    global _umask
    if _umask is None:
        _umask = os.umask(0o022)
        os.umask(_umask)
    return 0o666 & ~_umask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, mkdir: bool = False) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` only when the block completes without error.

    ``mkdir`` creates missing parent directories (cache files); outputs named by a user do
    not, so a typo in a directory name is an error rather than a new directory.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if mkdir:
        folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if os.name == "posix":
            os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | os.PathLike[str], data: bytes | bytearray | memoryview, *,
                 mkdir: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path, mkdir=mkdir) as fh:
        fh.write(data)


__all__ = ["atomic_file", "atomic_write", "file_mode"]
