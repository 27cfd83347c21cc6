"""The one atomic file writer: cache files and every ``-o`` / ``--plot`` output go through it.

A file is written to a temporary file in the target's own directory
(``.<name>.<pid>@<owner>.<random>.tmp``), flushed, fsynced and renamed over the target with
:func:`os.replace`, so a reader sees the old file or the new one, never part of one, and a
failure (an exception, Ctrl-C) leaves an existing file exactly as it was. The new file gets the
mode ``open()`` would give it (0o666 minus the umask), not ``mkstemp``'s 0o600, so a shared cache
or an output file stays readable by others.

**Temporary files of killed writers** (SIGKILL, a power cut) are removed by the next writer of
the same target, before it creates its own: ``<owner>`` is 8 hex digits naming this machine, boot
and pid namespace, so a temporary file with this ``<owner>`` whose ``<pid>`` is no longer running
is removed at once. One that cannot be judged that way (another machine sharing the directory,
a previous boot, a live pid that may be a reused one, or the ``.<name>.<random>.tmp`` of older
awsip versions) is removed once it has not been modified for :data:`STALE_TEMP_AGE` (a day); a
writer still running keeps its file, which it modifies as it writes.

**Sealed files** (:func:`write_sealed`, :func:`read_sealed`) are the derived cache files: the
compact form and the bulk index. Layout::

    magic     8 bytes     what the file is (one value per kind)
    digest    32 bytes    sha256 of everything after it
    length    4 bytes     of the header, little-endian
    header    JSON object (padded with spaces so the payload starts at a multiple of 64):
              ``length`` of the payload plus what the kind records (format, source key, ...)
    payload

A reader checks the size against the header and the digest before it interprets a byte of the
payload; any mismatch is :class:`DamagedFile`. :func:`record_digest` does the same for small JSON
records (``meta.json``): a ``digest`` member over the canonical JSON of the others.

A failure to write (a missing directory, permission denied, a directory in the way, a full
disk) is an :class:`OutputError` naming the path: ``cannot write 'x/y.parquet': No such file or
directory``. :func:`check_writable` finds most of them before any work is done.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import AwsipError, RangesWarning

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
        remove_stale_temps(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}@{_owner()}.",
                                   suffix=".tmp", dir=folder)
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



# --------------------------------------------------------------------------- stale temporaries
#: Seconds after its last modification when a temporary file whose writer cannot be checked
#: (see the module doc) counts as abandoned.
STALE_TEMP_AGE = 24 * 3600.0

#: ``<pid>@<owner>.<random>`` (this version) or ``<random>`` (older versions), between
#: ``.<name>.`` and ``.tmp``; mkstemp's random part has no dots.
_TEMP_TAIL = re.compile(r"(?:(\d{1,10})@([0-9a-f]{8})\.)?[a-z0-9_]{6,}")


@functools.lru_cache(maxsize=1)
def _owner() -> str:
    """8 hex digits naming this machine, boot and pid namespace: where a pid in a temporary
    file's name can be checked with :func:`_alive`."""
    import socket

    parts = [socket.gethostname()]
    for source in ("/proc/sys/kernel/random/boot_id", "/proc/self/ns/pid"):
        try:
            parts.append(os.readlink(source) if source.endswith("/pid")
                         else Path(source).read_text().strip())
        except OSError:
            parts.append("")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists here (True when that cannot be told)."""
    if os.name != "posix" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, under another user
        return True
    return True


def _abandoned(tail: str, mtime: float, now: float) -> bool:
    """Whether the temporary file with this ``tail`` (see :data:`_TEMP_TAIL`) and ``mtime``
    belongs to no running writer (the rule of the module doc)."""
    found = _TEMP_TAIL.fullmatch(tail)
    if found is None:
        return False  # not a name atomic_file makes (another target's, or a user's file)
    pid, owner = found.groups()
    if pid is not None and owner == _owner() and not _alive(int(pid)):
        return True
    return now - mtime > STALE_TEMP_AGE


def remove_stale_temps(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of ``target`` (``.<name>.*.tmp`` next to it) that no running
    writer owns (see the module doc); the paths removed. Best effort: errors are ignored."""
    path = Path(target)
    folder = path.parent if str(path.parent) else Path(".")
    head, removed, now = f".{path.name}.", [], time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        if not (name.startswith(head) and name.endswith(".tmp")):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if _abandoned(name[len(head):-len(".tmp")], entry.stat().st_mtime, now):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


# --------------------------------------------------------------------------- sealed files
class DamagedFile(ValueError):
    """A file awsip wrote is not intact (checksum, size or header); the message says how."""


@dataclass(frozen=True)
class Sealed:
    """A verified sealed file: its header and a read-only view of its payload."""

    header: dict[str, Any]
    payload: memoryview


_MAGIC = 8
_DIGEST = 32
_HEAD = _MAGIC + _DIGEST + 4
#: A sealed file larger than this is refused unread (they are a few MB).
_SEALED_LIMIT = 256 * 1024 * 1024


def write_sealed(path: str | os.PathLike[str], magic: bytes, header: Mapping[str, Any],
                 payload: bytes | bytearray | memoryview) -> None:
    """Write ``payload`` behind ``magic``, a checksum and ``header`` (plus the payload's
    ``length``), atomically; the payload starts at a multiple of 64 bytes (see the module doc).
    """
    if len(magic) != _MAGIC:
        raise ValueError("a sealed file's magic is 8 bytes")
    view = memoryview(payload).cast("B")
    body = json.dumps({**header, "length": view.nbytes}, sort_keys=True,
                      separators=(",", ":")).encode()
    body += b" " * (-(_HEAD + len(body)) % 64)
    lead = len(body).to_bytes(4, "little") + body
    digest = hashlib.sha256(lead)
    digest.update(view)
    with atomic_file(path, mkdir=True) as fh:
        fh.write(magic + digest.digest() + lead)
        fh.write(view)


def read_sealed(path: str | os.PathLike[str], magic: bytes, *,
                legacy: Callable[[bytes], bool] | None = None) -> Sealed | None:
    """The verified content of the sealed file ``path``; None when it is missing or unreadable,
    or an older format (``legacy(first bytes)`` is true): stale, to be rebuilt silently.

    :class:`DamagedFile` when it is anything else that does not verify: not a regular file,
    another magic, a size that differs from its header's, a checksum mismatch.
    """
    data = _read_regular(Path(path))
    if data is None:
        return None
    if data[:_MAGIC] != magic:
        if legacy is not None and legacy(data[:64]):
            return None
        raise DamagedFile("not an awsip file of this kind (its first bytes differ)" if data
                          else "empty")
    if len(data) < _HEAD:
        raise DamagedFile(f"truncated to {len(data)} bytes")
    size = int.from_bytes(data[_HEAD - 4:_HEAD], "little")
    start = _HEAD + size
    header = _json_object(data[_HEAD:start]) if start <= len(data) else None
    length = header.get("length") if header is not None else None
    if start > len(data) or (isinstance(length, int) and start + length != len(data)):
        expected = f"{start + length:,}" if isinstance(length, int) else f"over {start:,}"
        raise DamagedFile(f"{len(data):,} bytes where its header says {expected} (truncated?)")
    if hashlib.sha256(memoryview(data)[_MAGIC + _DIGEST:]).digest() != data[_MAGIC:_HEAD - 4]:
        raise DamagedFile("checksum mismatch")
    if header is None or not isinstance(length, int):
        raise DamagedFile("unreadable header")
    return Sealed(header, memoryview(data)[start:])


def _read_regular(path: Path) -> bytes | None:
    """The bytes of ``path``; None when missing or unreadable; :class:`DamagedFile` when it is
    not a regular file or larger than :data:`_SEALED_LIMIT`. Opened without blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise DamagedFile("not a regular file")
            if info.st_size > _SEALED_LIMIT:
                raise DamagedFile(f"{info.st_size:,} bytes, more than any awsip cache file")
            return fh.read(_SEALED_LIMIT + 1)
        except OSError:
            return None


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def record_digest(record: Mapping[str, Any]) -> str:
    """The sha256 (hex) of ``record`` without its ``digest`` member, as canonical JSON."""
    rest = {k: v for k, v in record.items() if k != "digest"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=True).encode()).hexdigest()


def record_problem(record: Mapping[str, Any], legacy_keys: frozenset[str]) -> str | None:
    """What is wrong with a JSON record sealed by :func:`record_digest`, or None when it
    verifies. A record without ``digest`` passes as an older version's only when all its keys
    are ``legacy_keys`` (a damaged ``digest`` key leaves a key that is not)."""
    digest = record.get("digest")
    if digest is None:
        if set(record) <= legacy_keys:
            return None
        return "no checksum"
    if not isinstance(digest, str) or digest != record_digest(record):
        return "checksum mismatch"
    return None


def read_current(path: str | os.PathLike[str], magic: bytes, *, expect: Mapping[str, Any],
                 action: str, legacy: Callable[[bytes], bool] | None = None) -> Sealed | None:
    """The verified sealed file ``path`` when its header holds every item of ``expect`` (the
    format, version and key it must have been written for); None when it is missing, stale
    (another header, an older format: rebuilt silently) or damaged (with a warning that says
    ``action``, what the caller does instead)."""
    try:
        sealed = read_sealed(path, magic, legacy=legacy)
    except DamagedFile as exc:
        warn_damaged(path, str(exc), action)
        return None
    if sealed is None or any(sealed.header.get(k) != v for k, v in expect.items()):
        return None
    return sealed


def warn_damaged(path: str | os.PathLike[str], reason: str, action: str) -> None:
    """One :class:`~awsip.errors.RangesWarning` that cache file ``path`` is damaged
    (``reason``) and what is done about it (``action``), naming the caller outside awsip."""
    warnings.warn(f"awsip cache file {os.fspath(path)} is damaged ({reason}); {action}",
                  RangesWarning, stacklevel=_outside_awsip())


def _outside_awsip() -> int:
    """The ``stacklevel`` (for the function calling :func:`warnings.warn`) of the first frame
    that is not awsip's own code."""
    level, frame = 1, sys._getframe(1)
    while frame.f_back is not None and _is_awsip(str(frame.f_globals.get("__name__", ""))):
        frame, level = frame.f_back, level + 1
    return level


def _is_awsip(module: str) -> bool:
    return module == "awsip" or module.startswith("awsip.")


__all__ = ["STALE_TEMP_AGE", "DamagedFile", "OutputError", "Sealed", "atomic_file",
           "atomic_write", "check_writable", "file_mode", "gunzip_bounded", "read_current",
           "read_sealed", "record_digest", "record_problem", "remove_stale_temps", "warn_damaged",
           "write_sealed"]
