"""The on-disk cache of ip-ranges.json: the current copy per URL, and a history of publications.

Layout of a cache directory (``platformdirs.user_cache_dir("awsip")`` unless overridden)::

    .lock                         inter-process lock, held only by writers
    current/<key>/ip-ranges.json  the last good document fetched from one URL, byte for byte
    current/<key>/meta.json       url, ETag, Last-Modified, checked_at, syncToken, sha256, counts
    current/<key>/failure.json    when and why the last refresh failed (removed on success)
    current/<key>/compact.marshal the validated entries in marshal form (fast warm start)
    current/<key>/compact.index   the bulk lookup index of that copy (awsip.vindex; ~35 MB,
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
import gzip
import hashlib
import json
import marshal
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import FetchError, HistoryError, RangesError
from .ranges import Origin, Ranges, SourceKind, parse_create_date

if TYPE_CHECKING:
    from filelock import BaseFileLock

#: How many publications the history keeps unless told otherwise (``AWSIP_HISTORY``).
DEFAULT_HISTORY = 30
#: Seconds a writer waits for another process's refresh before giving up.
LOCK_TIMEOUT = 120.0

_DEFAULT_KEY = "default"
_COMPACT_TAG = f"awsip-compact-1-py{sys.version_info[0]}.{sys.version_info[1]}"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_umask: int | None = None


def _file_mode() -> int:
    """0o666 minus the process umask: what ``open()`` would have created (mkstemp uses 0o600,
    which would lock other users out of a shared ``AWSIP_CACHE_DIR``)."""
    global _umask
    if _umask is None:
        _umask = os.umask(0o022)
        os.umask(_umask)
    return 0o666 & ~_umask


def atomic_write(path: Path, data: bytes | bytearray) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never part of one."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if os.name == "posix":
            os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat()


def _from_iso(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


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
                _from_iso(d["create_date"]), _from_iso(d["checked_at"]), _from_iso(d["fetched_at"]))
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
        write_compact(self.compact_path, sha256(raw), ranges)
        return ranges

    def store(self, raw: bytes, ranges: Ranges, meta: CacheMeta) -> None:
        """Replace the cached copy (caller holds the lock): JSON, compact form, then meta."""
        atomic_write(self.json_path, raw)
        write_compact(self.compact_path, meta.sha256, ranges)
        self.write_meta(meta)

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
        when = _from_iso(d.get("failed_at")) if isinstance(d, dict) else None
        if when is None or d.get("url") != self.url:
            return None
        return when, str(d.get("failure", ""))

    def clear_failure(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.failure_path.unlink()


def read_compact(path: Path, key: str, origin: Origin) -> Ranges | None:
    """Ranges from a compact file written for ``key``; None when missing, stale or foreign."""
    # ~50,000 acyclic objects are created here: pausing the cyclic GC saves about a third.
    enabled = gc.isenabled()
    gc.disable()
    try:
        data = path.read_bytes()
        tag, stored_key, state = marshal.loads(data)
        if tag != _COMPACT_TAG or stored_key != key:
            return None
        ranges = Ranges.from_compact(state, origin=origin)
    except (OSError, EOFError, ValueError, TypeError, RangesError):
        return None
    finally:
        if enabled:
            gc.enable()
    ranges._cache[STORED_AS] = (path, key)
    return ranges


def write_compact(path: Path, key: str, ranges: Ranges) -> None:
    """Store the compact form of ``ranges`` for ``key``; silently skipped if not writable."""
    with contextlib.suppress(OSError):
        atomic_write(path, marshal.dumps((_COMPACT_TAG, key, ranges.to_compact())))
        ranges._cache[STORED_AS] = (path, key)


#: Key in ``Ranges._cache`` of ``(compact file, key)`` when the Ranges is the content of that
#: cache file: derived data (the bulk index) can then be kept next to it under the same key.
STORED_AS = "stored_as"


# --------------------------------------------------------------------------- history
@dataclass(frozen=True)
class HistoryItem:
    """One publication kept in the cache's history."""

    sync_token: str
    create_date: datetime
    ipv4: int
    ipv6: int
    source: str
    kind: SourceKind
    path: Path
    stored_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sync_token": self.sync_token, "create_date": _iso(self.create_date),
            "ipv4": self.ipv4, "ipv6": self.ipv6, "source": self.source, "kind": self.kind,
            "path": str(self.path), "stored_at": _iso(self.stored_at),
        }


class Cache:
    """One cache directory: per-URL current copies, the history and the writers' lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.history_dir = root / "history"
        self.bundled_compact = root / "bundled.marshal"

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

    # ------------------------------------------------------------- history
    def history(self) -> list[HistoryItem]:
        """Publications kept, oldest first (by createDate, then syncToken)."""
        items: list[HistoryItem] = []
        try:
            metas = list(self.history_dir.glob("*.meta.json"))
        except OSError:
            return items
        for meta_path in metas:
            try:
                d = json.loads(meta_path.read_bytes())
                token = str(d["sync_token"])
                data_path = self.history_dir / f"{token}.json.gz"
                created = _from_iso(d["create_date"])
                if created is None or not data_path.exists():
                    continue
                items.append(HistoryItem(token, created, int(d["ipv4"]), int(d["ipv6"]),
                                         str(d.get("source", "")), d.get("kind", "network"),
                                         data_path, _from_iso(d.get("stored_at"))))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        items.sort(key=lambda i: (i.create_date, int(i.sync_token)))
        return items

    def add_history(self, raw: bytes, ranges: Ranges, source: str, kind: SourceKind,
                    keep: int) -> bool:
        """Record a publication (caller holds the lock) and prune to ``keep``; True if new."""
        if keep <= 0:
            return False
        data_path = self.history_dir / f"{ranges.sync_token}.json.gz"
        meta_path = self.history_dir / f"{ranges.sync_token}.meta.json"
        added = False
        if not (data_path.exists() and meta_path.exists()):
            atomic_write(data_path, gzip.compress(raw, compresslevel=6, mtime=0))
            atomic_write(meta_path, json.dumps({
                "sync_token": ranges.sync_token, "create_date": _iso(ranges.create_date),
                "ipv4": len(ranges.ipv4), "ipv6": len(ranges.ipv6), "source": source,
                "kind": kind, "stored_at": _iso(utcnow()),
            }, indent=1).encode())
            added = True
        self.prune_history(keep)
        return added

    def prune_history(self, keep: int) -> list[HistoryItem]:
        """Delete all but the newest ``keep`` publications (caller holds the lock)."""
        items = self.history()
        dropped = items[:-keep] if keep > 0 else items
        for item in dropped:
            for path in (item.path, self.history_dir / f"{item.sync_token}.meta.json"):
                with contextlib.suppress(OSError):
                    path.unlink()
        return dropped

    def load_history(self, item: HistoryItem) -> Ranges:
        """The publication stored for ``item`` (origin ``cache``)."""
        try:
            raw = gzip.decompress(item.path.read_bytes())
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise HistoryError(f"history copy {item.path} cannot be read ({exc}); delete it "
                               "and run `awsip update`") from None
        return Ranges.from_json(raw, origin=Origin("cache", str(item.path), item.stored_at),
                                where=str(item.path))

    def in_force_at(self, when: datetime) -> HistoryItem:
        """The newest kept publication created at or before ``when``."""
        items = self.history()
        if not items:
            raise HistoryError(
                f"the cache {self.root} keeps no publication history yet; run `awsip update` "
                "(each new publication fetched is kept)")
        candidates = [i for i in items if i.create_date <= when]
        if not candidates:
            oldest = items[0]
            raise HistoryError(
                f"the history does not reach back to {when:%Y-%m-%d %H:%M:%S} UTC: the oldest "
                f"kept publication is from {oldest.create_date:%Y-%m-%d %H:%M:%S} UTC "
                f"(syncToken {oldest.sync_token}); {len(items)} kept in {self.history_dir} "
                "(raise AWSIP_HISTORY to keep more)")
        return candidates[-1]


def parse_history_key(key: str) -> tuple[str | None, datetime | None]:
    """Split a user's history key into a syncToken or a moment.

    Digits are a syncToken. ``YYYY-MM-DD`` means the end of that day (UTC), so it names the last
    publication of the day; ``YYYY-MM-DDTHH:MM[:SS]`` (ISO, UTC unless an offset is given) and
    ip-ranges.json's own ``YYYY-MM-DD-hh-mm-ss`` name that moment.
    """
    text = key.strip()
    if text.isdigit():
        return text, None
    if len(text) == 10:
        try:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            pass
        else:
            return None, day.replace(hour=23, minute=59, second=59)
    try:
        return None, parse_create_date(text)
    except RangesError:
        pass
    moment = _from_iso(text.replace("Z", "+00:00"))
    if moment is None:
        raise HistoryError(f"{key!r} is neither a syncToken (digits) nor a date such as "
                           "2026-08-22 or 2026-08-22T15:17")
    return None, moment


__all__ = ["DEFAULT_HISTORY", "Cache", "CacheMeta", "HistoryItem", "Slot", "atomic_write",
           "parse_history_key"]
