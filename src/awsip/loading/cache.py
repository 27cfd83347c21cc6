"""The on-disk cache of ip-ranges.json: the current copy per URL, and a history of publications.

Layout of a cache directory (``platformdirs.user_cache_dir("awsip")`` unless overridden)::

    .lock                         inter-process lock, held only by writers
    current/<key>/ip-ranges.json  the last good document fetched from one URL, byte for byte
    current/<key>/meta.json       url, ETag, Last-Modified, checked_at, syncToken, sha256 of the
                                  document, counts, and a digest of all that
    current/<key>/failure.json    when and why the last refresh failed (removed on success)
    current/<key>/compact.marshal the validated entries in marshal form (fast warm start)
    current/<key>/compact.index   the bulk lookup index of that copy (awsip.index.bulk; ~1.2 MB,
                                  read by classify/report, written on first use)
    current/<key>/damaged/        a meta.json or ip-ranges.json found damaged, moved aside
    bundled.marshal               the same compact form of the snapshot shipped in the package
    bundled.index                 and its bulk lookup index
    history/<syncToken>.json.gz   every publication seen, newest N kept (``AWSIP_HISTORY``)
    history/<syncToken>.meta.json its createDate, counts, the sha256 of the .json.gz, a digest

``<key>`` is ``default`` for AWS's own URL and ``url-<sha256 of the URL, 16 hex digits>`` for a
mirror, so a mirror never overwrites the official copy.

Concurrency: every file is written to a temporary file in the same directory and moved into place
with :func:`os.replace`, so a reader sees the old file or the new one, never half of one. Writers
(refresh, history) take ``.lock`` (a :mod:`filelock` lock); readers never lock, except to look
again when what they read does not match. ``meta.json`` is written last: it names the sha256 of
the document, and the compact form is used only when its key is that sha256, so a reader that
races a writer falls back to the JSON, and if that does not match the meta either, it takes the
lock (waiting for the writer to finish) and reads again before it calls anything damaged.

**Everything is verified before use.** The compact files (and the index files) are sealed
(:func:`awsip.fileio.write_sealed`): a header naming the format, the interpreter, the key of the
publication they came from (the document's sha256; the packaged file's for ``bundled.marshal``)
and a sha256 of the whole file, checked before ``marshal.loads`` sees a byte. ``meta.json``
carries a digest of its own fields. The cached JSON is parsed only when its sha256 is the one
``meta.json`` records (without a usable meta, only when the compact form's key vouches for it,
or else as a plain validated file). What does not verify is one
:class:`~awsip.errors.RangesWarning` naming the file: a derived file is rebuilt from verified
data, a ``meta.json`` or JSON is moved aside to ``damaged/`` and the answer comes from the next
verified source (a download, else the bundled snapshot). Files of an older format, another
interpreter or another publication are stale, not damaged: rebuilt without a word. The compact
files are ``marshal`` data produced by this package for this interpreter version: derived,
disposable and rebuilt whenever they do not match.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import marshal
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..encoding import iso_utc, parse_iso
from ..errors import FetchError, RangesError
from ..fileio import (
    DamagedFile,
    atomic_write,
    gunzip_bounded,
    read_current,
    record_digest,
    record_problem,
    warn_damaged,
    write_sealed,
)
from ..ranges.model import Origin, Ranges
from .history import History
from .settings import MAX_DOCUMENT_BYTES

if TYPE_CHECKING:
    from filelock import BaseFileLock

#: Seconds a writer waits for another process's refresh before giving up.
LOCK_TIMEOUT = 120.0

_DEFAULT_KEY = "default"
#: The sealed compact file: its magic, format (2: sealed; 1 was bare marshal) and interpreter.
_COMPACT_MAGIC = b"AWSIPCMP"
_COMPACT_FORMAT = 2
_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
#: Roots whose writers' lock this thread holds (:meth:`Cache.lock`), so a recheck never waits
#: for itself.
_held = threading.local()


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


# --------------------------------------------------------------------------- current copy
@dataclass(frozen=True)
class CacheMeta:
    """What the cache knows about its copy of one URL's document."""

    url: str
    sync_token: str
    create_date: datetime
    checked_at: datetime
    fetched_at: datetime
    sha256: str
    size: int
    ipv4: int
    ipv6: int
    etag: str | None = None
    last_modified: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "url": self.url, "sync_token": self.sync_token,
            "create_date": _iso(self.create_date), "checked_at": _iso(self.checked_at),
            "fetched_at": _iso(self.fetched_at), "sha256": self.sha256, "size": self.size,
            "ipv4": self.ipv4, "ipv6": self.ipv6, "etag": self.etag,
            "last_modified": self.last_modified,
        }
        d["digest"] = record_digest(d)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CacheMeta | None:
        """Parse ``meta.json``; None when it is not one this version wrote or does not verify
        (its ``digest``; one without, from an older version, is taken as it is)."""
        if record_problem(d, _META_FIELDS) is not None:
            return None
        try:
            create_date, checked_at, fetched_at = (
                parse_iso(d["create_date"]), parse_iso(d["checked_at"]), parse_iso(d["fetched_at"]))
            if create_date is None or checked_at is None or fetched_at is None:
                return None
            return cls(str(d["url"]), str(d["sync_token"]), create_date, checked_at, fetched_at,
                       str(d["sha256"]), int(d["size"]), int(d["ipv4"]), int(d["ipv6"]),
                       d.get("etag") or None, d.get("last_modified") or None)
        except (KeyError, TypeError, ValueError):
            return None

    @classmethod
    def parse(cls, raw: bytes) -> CacheMeta:
        """``meta.json``'s bytes as :class:`CacheMeta`; :class:`DamagedFile` saying what is
        wrong when they are not a meta this or an older version wrote."""
        try:
            d = json.loads(raw)
        except ValueError:
            raise DamagedFile("not valid JSON") from None
        if not isinstance(d, dict):
            raise DamagedFile("not a JSON object")
        problem = record_problem(d, _META_FIELDS)
        if problem is not None:
            raise DamagedFile(problem)
        meta = cls.from_dict(d)
        if meta is None:
            raise DamagedFile("a field is missing or has a bad value")
        return meta


#: The members of ``meta.json`` before it carried a digest (older versions).
_META_FIELDS = frozenset({"url", "sync_token", "create_date", "checked_at", "fetched_at",
                          "sha256", "size", "ipv4", "ipv6", "etag", "last_modified"})

class _Mismatch:
    """What :meth:`Slot._attempt` returns when the JSON does not match meta.json's sha256."""


_MISMATCH = _Mismatch()


class Slot:
    """The cached copy of one URL's document (``current/<key>/``)."""

    def __init__(self, root: Path, url: str, key: str) -> None:
        self.url = url
        self.root = root
        self.dir = root / "current" / key
        self.json_path = self.dir / "ip-ranges.json"
        self.meta_path = self.dir / "meta.json"
        self.compact_path = self.dir / "compact.marshal"
        self.failure_path = self.dir / "failure.json"

    def read_meta(self) -> CacheMeta | None:
        """The slot's metadata, or None when absent, unreadable, damaged (moved aside with a
        warning) or for another URL."""
        meta = self._meta_or_damage()
        if isinstance(meta, DamagedFile):
            with recheck_lock(self.root):  # a writer may be replacing it: look again
                meta = self._meta_or_damage()
                if isinstance(meta, DamagedFile):
                    self._set_aside(self.meta_path, str(meta), "until the next refresh the "
                                    "cached copy is used only if its compact form vouches for "
                                    "it")
                    return None
        return meta if meta is not None and meta.url == self.url else None

    def _meta_or_damage(self) -> CacheMeta | DamagedFile | None:
        try:
            raw = self.meta_path.read_bytes()
        except OSError:
            return None
        try:
            return CacheMeta.parse(raw)
        except DamagedFile as exc:
            return exc

    def load(self, meta: CacheMeta | None = None) -> Ranges | None:
        """The cached document as :class:`Ranges` (origin ``cache``), or None if there is none.

        Uses the compact form when it verifies and matches ``meta``'s sha256; otherwise parses
        and validates the JSON, once its sha256 is ``meta``'s, and rebuilds the compact form
        (best effort). A JSON that does not match is looked at again under the writers' lock
        (a writer may be between the files), then moved aside with a warning: None. A cached
        JSON that fails validation is treated as absent.
        """
        meta = meta if meta is not None else self.read_meta()
        found = self._attempt(meta)
        if not isinstance(found, _Mismatch):
            return found
        with recheck_lock(self.root):
            meta = self.read_meta()
            found = self._attempt(meta)
            if not isinstance(found, _Mismatch):
                return found
            self._set_aside(self.json_path, "its sha256 is not the one meta.json records",
                            "the next verified source answers (a download, else the bundled "
                            "snapshot)")
        return None

    def _attempt(self, meta: CacheMeta | None) -> Ranges | _Mismatch | None:
        """One try of :meth:`load`: Ranges, None (nothing usable) or :data:`_MISMATCH`."""
        origin = Origin("cache", str(self.json_path), meta.checked_at if meta else None)
        if meta is not None:
            ranges = read_compact(self.compact_path, meta.sha256, origin)
            if ranges is not None:
                return ranges
        try:
            raw = self.json_path.read_bytes()
        except OSError:
            return None
        digest = sha256(raw)
        if meta is not None and digest != meta.sha256:
            return _MISMATCH
        if meta is None:  # no record to check the JSON against: the compact form's key may
            ranges = read_compact(self.compact_path, digest, origin)
            if ranges is not None:
                return ranges
        try:
            document = gunzip_bounded(raw, MAX_DOCUMENT_BYTES) if raw[:2] == b"\x1f\x8b" else raw
            ranges = Ranges.from_json(document, origin=origin, where=str(self.json_path))
        except (RangesError, ValueError):
            return None
        return write_compact(self.compact_path, digest, ranges)

    def _set_aside(self, path: Path, reason: str, action: str) -> None:
        """Move a damaged ``path`` into ``damaged/`` (best effort) and warn once."""
        aside = self.dir / "damaged"
        try:
            aside.mkdir(exist_ok=True)
            os.replace(path, aside / path.name)
        except OSError:
            warn_damaged(path, reason, f"it could not be moved aside; {action}")
            return
        warn_damaged(path, reason, f"moved aside to {aside}; {action}")

    def store(self, raw: bytes, ranges: Ranges, meta: CacheMeta) -> Ranges:
        """Replace the cached copy (caller holds the lock): JSON, compact form, then meta;
        ``ranges`` with an origin naming the compact file."""
        atomic_write(self.json_path, raw)
        stored = write_compact(self.compact_path, meta.sha256, ranges)
        self.write_meta(meta)
        return stored

    def write_meta(self, meta: CacheMeta) -> None:
        atomic_write(self.meta_path, json.dumps(meta.to_dict(), indent=1).encode())

    def note_failure(self, message: str) -> None:
        """Remember that a refresh failed just now, and why (best effort)."""
        with contextlib.suppress(OSError):
            atomic_write(self.failure_path, json.dumps(
                {"url": self.url, "failed_at": _iso(utcnow()), "failure": message}).encode())

    def last_failure(self) -> tuple[datetime, str] | None:
        """When and why the last refresh failed, unless one succeeded since."""
        try:
            d = json.loads(self.failure_path.read_bytes())
        except (OSError, ValueError):
            return None
        when = parse_iso(d.get("failed_at")) if isinstance(d, dict) else None
        if when is None or d.get("url") != self.url:
            return None
        return when, str(d.get("failure", ""))

    def clear_failure(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.failure_path.unlink()


def read_compact(path: Path, key: str, origin: Origin) -> Ranges | None:
    """Ranges from a compact file written for ``key``; None when missing, stale (an older
    format, another interpreter, another key) or damaged (with a warning: the caller rebuilds it).

    The whole file is verified (:func:`awsip.fileio.read_sealed`) before ``marshal.loads``:
    marshal trusts its input and may crash or return wrong data on a damaged one. The result's
    origin names the file and key (``Origin.derived``), so data derived from it (the bulk
    index) can be kept next to it."""
    sealed = read_current(path, _COMPACT_MAGIC, legacy=_old_compact,
                          expect={"format": _COMPACT_FORMAT, "python": _PYTHON, "key": key,
                                  "state": Ranges.COMPACT_FORMAT},
                          action="ignored and rebuilt from verified data")
    if sealed is None:
        return None
    # ~50,000 acyclic objects are created here: pausing the cyclic GC saves about a third.
    enabled = gc.isenabled()
    gc.disable()
    try:
        state = marshal.loads(sealed.payload)
        return Ranges.from_compact(state, origin=replace(origin, derived=(str(path), key)))
    except (EOFError, ValueError, TypeError, RangesError):
        return None  # verified, so written by another build: stale
    finally:
        if enabled:
            gc.enable()


def _old_compact(head: bytes) -> bool:
    """Whether ``head`` starts a compact file of format 1 (a bare marshal tuple)."""
    return b"awsip-compact-1-" in head[:32]


def write_compact(path: Path, key: str, ranges: Ranges) -> Ranges:
    """Store the compact form of ``ranges`` for ``key`` and return ``ranges`` with an origin
    naming the file (see :func:`read_compact`); unchanged when the file cannot be written."""
    header = {"format": _COMPACT_FORMAT, "python": _PYTHON, "key": key,
              "state": Ranges.COMPACT_FORMAT, "sync_token": ranges.sync_token}
    try:
        write_sealed(path, _COMPACT_MAGIC, header, marshal.dumps(ranges.to_compact()))
    except OSError:
        return ranges
    return ranges.with_origin(replace(ranges.origin, derived=(str(path), key)))


@contextlib.contextmanager
def recheck_lock(root: Path) -> Iterator[None]:
    """Hold the writers' lock of ``root`` to look again at files that did not match (a
    writer may be between them): waits for a writer to finish. Does nothing when this thread
    holds it already, and goes on without when it cannot be had (a read-only cache, a writer
    stuck for :data:`LOCK_TIMEOUT`)."""
    if root in getattr(_held, "roots", ()):
        yield
        return
    from filelock import FileLock, Timeout

    lock = FileLock(str(root / ".lock"), timeout=LOCK_TIMEOUT)
    try:
        lock.acquire()
    except (OSError, Timeout):
        yield
        return
    try:
        yield
    finally:
        lock.release()


# --------------------------------------------------------------------------- the directory
class Cache:
    """One cache directory: per-URL current copies, the history and the writers' lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bundled_compact = root / "bundled.marshal"
        #: the publications kept (``history/``)
        self.history = History(root / "history")

    def slot(self, url: str, *, default: bool = False) -> Slot:
        """The slot for ``url``; ``default`` marks AWS's own URL (stored as ``default``)."""
        key = _DEFAULT_KEY if default else "url-" + sha256(url.encode())[:16]
        return Slot(self.root, url, key)

    @contextlib.contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the writers' lock; raise :class:`FetchError` if another process keeps it, and
        ``OSError`` if the directory cannot be created or written."""
        from filelock import FileLock, Timeout

        self.root.mkdir(parents=True, exist_ok=True)  # OSError: the caller explains
        lock: BaseFileLock = FileLock(str(self.root / ".lock"), timeout=timeout)
        try:
            with lock:
                roots: set[Path] = getattr(_held, "roots", set())
                _held.roots = roots | {self.root}
                try:
                    yield
                finally:
                    _held.roots = roots
        except Timeout:
            raise FetchError(
                f"another awsip process has held the cache lock {self.root / '.lock'} for "
                f"{timeout:.0f} s; retry, or remove the file if no awsip process is running"
            ) from None


__all__ = ["Cache", "CacheMeta", "Slot", "read_compact", "recheck_lock", "sha256", "utcnow",
           "write_compact"]
