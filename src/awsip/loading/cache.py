"""The on-disk cache of ip-ranges.json: the current copy per URL, and a history of publications.

Layout of a cache directory (``platformdirs.user_cache_dir("awsip")`` unless overridden)::

    .lock                         inter-process lock, held only by writers
    current/<key>/ip-ranges.json  the last good document fetched from one URL, byte for byte
    current/<key>/meta.json       url, ETag, Last-Modified, checked_at, syncToken, sha256, counts
    current/<key>/failure.json    when and why the last refresh failed (removed on success)
    current/<key>/compact.marshal the validated entries in marshal form (fast warm start)
    current/<key>/compact.index   the bulk lookup index of that copy (awsip.index.bulk; ~35 MB,
                                  mapped read-only by classify/report, written on first use)
    bundled.marshal               the same compact form of the snapshot shipped in the package
    bundled.index                 and its bulk lookup index
    history/<syncToken>.json.gz   every publication seen, newest N kept (``AWSIP_HISTORY``)
    history/<syncToken>.meta.json its createDate, counts and where it came from

``<key>`` is ``default`` for AWS's own URL and ``url-<sha256 of the URL, 16 hex digits>`` for a
mirror, so a mirror never overwrites the official copy.

Concurrency: every file is written to a temporary file in the same directory and moved into place
with :func:`os.replace`, so a reader sees the old file or the new one, never half of one. Writers
(refresh, history) take ``.lock`` (a :mod:`filelock` lock); readers never lock. ``meta.json`` is
written last: it names the sha256 of the document, and the compact form is used only when its own
sha256 matches, so a reader that races a writer falls back to parsing the JSON, never to a mix.

The compact files are ``marshal`` data produced by this package for this interpreter version; they
are derived, disposable and rebuilt whenever they do not match. The same holds for the index
files, which carry the compact form's key and the awsip version.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import marshal
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..encoding import iso_utc, parse_iso
from ..errors import FetchError, RangesError
from ..fileio import atomic_write
from ..ranges.model import Origin, Ranges
from .history import History

if TYPE_CHECKING:
    from filelock import BaseFileLock

#: Seconds a writer waits for another process's refresh before giving up.
LOCK_TIMEOUT = 120.0

_DEFAULT_KEY = "default"
_COMPACT_TAG = f"awsip-compact-1-py{sys.version_info[0]}.{sys.version_info[1]}"


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
        return {
            "url": self.url, "sync_token": self.sync_token,
            "create_date": _iso(self.create_date), "checked_at": _iso(self.checked_at),
            "fetched_at": _iso(self.fetched_at), "sha256": self.sha256, "size": self.size,
            "ipv4": self.ipv4, "ipv6": self.ipv6, "etag": self.etag,
            "last_modified": self.last_modified,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CacheMeta | None:
        """Parse ``meta.json``; None when it is not one this version wrote."""
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


class Slot:
    """The cached copy of one URL's document (``current/<key>/``)."""

    def __init__(self, root: Path, url: str, key: str) -> None:
        self.url = url
        self.dir = root / "current" / key
        self.json_path = self.dir / "ip-ranges.json"
        self.meta_path = self.dir / "meta.json"
        self.compact_path = self.dir / "compact.marshal"
        self.failure_path = self.dir / "failure.json"

    def read_meta(self) -> CacheMeta | None:
        """The slot's metadata, or None when absent, unreadable or for another URL."""
        try:
            d = json.loads(self.meta_path.read_bytes())
        except (OSError, ValueError):
            return None
        meta = CacheMeta.from_dict(d) if isinstance(d, dict) else None
        return meta if meta is not None and meta.url == self.url else None

    def load(self, meta: CacheMeta | None = None) -> Ranges | None:
        """The cached document as :class:`Ranges` (origin ``cache``), or None if there is none.

        Uses the compact form when it matches ``meta``'s sha256; otherwise parses and validates
        the JSON and rebuilds the compact form (best effort). A cached JSON that fails validation
        is treated as absent.
        """
        meta = meta if meta is not None else self.read_meta()
        checked = meta.checked_at if meta else None
        origin = Origin("cache", str(self.json_path), checked)
        if meta is not None:
            ranges = read_compact(self.compact_path, meta.sha256, origin)
            if ranges is not None:
                return ranges
        try:
            raw = self.json_path.read_bytes()
        except OSError:
            return None
        try:
            ranges = Ranges.from_json(raw, origin=origin, where=str(self.json_path))
        except RangesError:
            return None
        return write_compact(self.compact_path, sha256(raw), ranges)

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
    """Ranges from a compact file written for ``key``; None when missing, stale or foreign.

    The result's origin names the file and key (``Origin.derived``), so data derived from it
    (the bulk index) can be kept next to it."""
    # ~50,000 acyclic objects are created here: pausing the cyclic GC saves about a third.
    enabled = gc.isenabled()
    gc.disable()
    try:
        data = path.read_bytes()
        tag, stored_key, state = marshal.loads(data)
        if tag != _COMPACT_TAG or stored_key != key:
            return None
        return Ranges.from_compact(state, origin=replace(origin, derived=(str(path), key)))
    except (OSError, EOFError, ValueError, TypeError, RangesError):
        return None
    finally:
        if enabled:
            gc.enable()


def write_compact(path: Path, key: str, ranges: Ranges) -> Ranges:
    """Store the compact form of ``ranges`` for ``key`` and return ``ranges`` with an origin
    naming the file (see :func:`read_compact`); unchanged when the file cannot be written."""
    try:
        atomic_write(path, marshal.dumps((_COMPACT_TAG, key, ranges.to_compact())))
    except OSError:
        return ranges
    return ranges.with_origin(replace(ranges.origin, derived=(str(path), key)))


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
                yield
        except Timeout:
            raise FetchError(
                f"another awsip process has held the cache lock {self.root / '.lock'} for "
                f"{timeout:.0f} s; retry, or remove the file if no awsip process is running"
            ) from None


__all__ = ["Cache", "CacheMeta", "Slot", "read_compact", "sha256", "utcnow", "write_compact"]
