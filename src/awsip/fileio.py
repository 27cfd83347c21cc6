"""The one atomic file writer: cache files and every ``-o`` / ``--plot`` output go through it.

A file is written to a temporary file in the target's own directory (``.<name>.<random>.tmp``),
flushed, fsynced and renamed over the target with :func:`os.replace`, so a reader sees the old
file or the new one, never part of one, and a failure (an exception, Ctrl-C) leaves an existing
file exactly as it was. The new file gets the mode ``open()`` would give it (0o666 minus the
umask), not ``mkstemp``'s 0o600, so a shared cache or an output file stays readable by others.

A failure to write (a missing directory, permission denied, a directory in the way, a full
disk) is an :class:`OutputError` naming the path: ``cannot write 'x/y.parquet': No such file or
directory``. :func:`check_writable` finds most of them before any work is done.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import AwsipError

#: errno values of a write that failed for lack of room: reported as output errors.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC),
                      errno.EROFS, errno.EPIPE, errno.EIO})


class OutputError(AwsipError, OSError):
    """A file could not be written: the message names the path and the reason. Also an
    :class:`OSError` (same ``errno``), so code that tolerates a failed write still does."""

    def __init__(self, path: str | os.PathLike[str], reason: str, code: int | None = None
                 ) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        self.message = f"cannot write {self.path!r}: {reason}"
        super().__init__(code or 0, self.message)

    def __str__(self) -> str:
        return self.message

    @classmethod
    def of(cls, path: str | os.PathLike[str], exc: OSError) -> OutputError:
        """The error for ``exc`` raised while writing ``path``."""
        if isinstance(exc, OutputError):
            return exc
        return cls(path, exc.strerror or str(exc) or type(exc).__name__, exc.errno)


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise :class:`OutputError` when ``path`` certainly cannot be written: its directory is
    missing or not a directory or not writable, or ``path`` is a directory. Called before any
    input is read, so a typo in ``-o`` costs nothing."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise OutputError(path, os.strerror(errno.ENOENT), errno.ENOENT)
    if not folder.is_dir():
        raise OutputError(path, os.strerror(errno.ENOTDIR), errno.ENOTDIR)
    if target.is_dir():
        raise OutputError(path, os.strerror(errno.EISDIR), errno.EISDIR)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(path, os.strerror(errno.EACCES), errno.EACCES)

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
    try:
        if mkdir:
            folder.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError.of(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                yield fh
            except OSError as exc:
                if exc.errno in _NO_ROOM and not exc.filename:  # the write itself failed
                    raise OutputError.of(path, exc) from None
                raise
            _finish(fh, path)
        try:
            if os.name == "posix":
                os.chmod(tmp, file_mode())
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError.of(path, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _finish(fh: IO[bytes], path: str | os.PathLike[str]) -> None:
    """Flush and fsync: a full disk often shows only here."""
    try:
        fh.flush()
        os.fsync(fh.fileno())
    except OSError as exc:
        raise OutputError.of(path, exc) from None


def atomic_write(path: str | os.PathLike[str], data: bytes | bytearray | memoryview, *,
                 mkdir: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path, mkdir=mkdir) as fh:
        fh.write(data)


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """The first gzip member of ``data``, checksum and length verified, at most ``limit``
    bytes; ``ValueError`` saying what is wrong (corrupt, truncated, too large) otherwise."""
    import zlib

    try:
        inflater = zlib.decompressobj(wbits=31)
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"corrupt gzip data ({exc})") from None
    if len(out) > limit:
        raise ValueError(f"decompresses to more than {limit:,} bytes")
    if not inflater.eof:
        raise ValueError("gzip data is truncated")
    return out


__all__ = ["OutputError", "atomic_file", "atomic_write", "check_writable", "file_mode",
           "gunzip_bounded"]
