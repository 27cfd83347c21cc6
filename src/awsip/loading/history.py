"""The cache's history: every publication seen, kept under its syncToken (newest N).

Layout (inside the cache directory)::

    history/<syncToken>.json.gz   the document as fetched, gzipped
    history/<syncToken>.meta.json its createDate, counts and where it came from

    history/damaged/              entries found damaged, moved aside (never used again)

Writers hold the cache's lock (:meth:`awsip.loading.cache.Cache.lock`); readers never lock.

**Entries are verified** when listed and when loaded. The meta carries the sha256 of the
``.json.gz`` as stored and a digest of its own fields (:func:`awsip.fileio.record_digest`).
Listing checks the meta (its digest; a JSON object with an ASCII-digit syncToken naming its own
file, a createDate and counts), that the data is a regular file that decompresses completely
(the gzip checksum and length) to something that looks like this very publication; loading
checks the data's sha256 against the meta's before decompressing, then validates the whole
document and that its syncToken and createDate are the entry's. A damaged entry (one changed
bit anywhere, truncated gzip, garbled JSON, a directory in its place, ...) is reported with one
:class:`~awsip.errors.RangesWarning`, moved aside into ``history/damaged/`` and never used; an
entry whose data is simply missing (a concurrent prune) is skipped silently. Entries written by
older versions (no sha256, no digest) get them, once verified the old way, at the next
:meth:`History.add`.

**No answer from a gap.** ``at=`` asks for the publication in force at a moment. When an entry
set aside in ``damaged/`` has a syncToken (the publication time, in Unix seconds) newer than the
answer and not after the moment, it may have been the one in force: that is a
:class:`~awsip.errors.HistoryError` saying so, not the older publication.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import stat
import warnings
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..encoding import iso_utc, parse_iso
from ..errors import HistoryError, RangesError, RangesWarning
from ..fileio import atomic_write, gunzip_bounded, record_digest, record_problem
from ..ranges.model import Origin, Ranges, SourceKind, parse_create_date


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def _now() -> datetime:
    return datetime.now(timezone.utc)


#: A kept document is never larger than this once decompressed (as the loader's limit).
_MAX_BYTES = 64 * 1024 * 1024
#: Entries already verified by this process: path -> (size, mtime_ns) when verified.
_verified: dict[str, tuple[int, int]] = {}
#: The members of a meta written before metas carried ``data_sha256`` and ``digest``.
_LEGACY_META = frozenset({"sync_token", "create_date", "ipv4", "ipv6", "source", "kind",
                          "stored_at"})


class _Damaged(Exception):
    """A history entry is damaged; the message says how."""


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
    #: sha256 of the stored ``.json.gz`` (None for entries of older versions, not yet upgraded)
    data_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sync_token": self.sync_token, "create_date": _iso(self.create_date),
            "ipv4": self.ipv4, "ipv6": self.ipv6, "source": self.source, "kind": self.kind,
            "path": str(self.path), "stored_at": _iso(self.stored_at),
        }


class History:
    """The publications kept in one history directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def items(self) -> list[HistoryItem]:
        """Publications kept, oldest first (by createDate, then syncToken); damaged entries are
        moved aside with a warning (see the module doc)."""
        items: list[HistoryItem] = []
        try:
            metas = list(self.dir.glob("*.meta.json"))
        except OSError:
            return items
        for meta_path in metas:
            try:
                item = self._item(meta_path)
            except _Damaged as exc:
                self._set_aside(meta_path.name[:-len(".meta.json")], str(exc))
                continue
            except OSError:
                continue
            if item is not None:
                items.append(item)
        items.sort(key=lambda i: (i.create_date, int(i.sync_token)))
        return items

    def _item(self, meta_path: Path) -> HistoryItem | None:
        """The entry ``meta_path`` describes, verified; None when its data is missing (pruned
        meanwhile); :class:`_Damaged` when it is not usable."""
        name = meta_path.name[:-len(".meta.json")]
        try:
            d = json.loads(meta_path.read_bytes())
        except ValueError:
            raise _Damaged(f"{meta_path.name} is not valid JSON") from None
        if not isinstance(d, dict):
            raise _Damaged(f"{meta_path.name} is not a JSON object")
        problem = record_problem(d, _LEGACY_META)
        if problem is not None:
            raise _Damaged(f"{meta_path.name}: {problem}")
        try:
            token = d["sync_token"]
            created = parse_iso(d["create_date"])
            ipv4, ipv6 = int(d["ipv4"]), int(d["ipv6"])
            digest = d.get("data_sha256")
        except (KeyError, TypeError, ValueError):
            raise _Damaged(f"{meta_path.name} lacks a field or has a bad one") from None
        if not (isinstance(token, str) and token.isascii() and token.isdigit()
                and len(token) <= 20 and token == name) or created is None:
            raise _Damaged(f"{meta_path.name} names syncToken {str(token)[:30]!r}")
        if not (digest is None or isinstance(digest, str)):
            raise _Damaged(f"{meta_path.name} has a bad data_sha256")
        data_path = self.dir / f"{token}.json.gz"
        try:
            info = data_path.stat()
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(info.st_mode):
            raise _Damaged(f"{data_path.name} is not a regular file")
        _verify_data(data_path, token, info)
        kind = d.get("kind", "network")
        return HistoryItem(token, created, ipv4, ipv6, str(d.get("source", "")),
                           kind if kind in ("network", "file", "cache", "bundled", "memory")
                           else "network", data_path, parse_iso(d.get("stored_at")), digest)

    def _set_aside(self, token: str, reason: str) -> Path:
        """Move a damaged entry's files into ``damaged/`` (best effort) and warn once."""
        aside = self.dir / "damaged"
        for name in (f"{token}.json.gz", f"{token}.meta.json"):
            with contextlib.suppress(OSError):
                aside.mkdir(exist_ok=True)
                target = aside / name
                if target.exists() or target.is_symlink():
                    target = aside / f"{name}.{os.getpid()}-{int(_now().timestamp())}"
                os.replace(self.dir / name, target)
        warnings.warn(f"history entry {token} in {self.dir} is damaged ({reason}); moved aside "
                      f"to {aside} and not used", RangesWarning, stacklevel=4)
        return aside

    def add(self, raw: bytes, ranges: Ranges, source: str, kind: SourceKind,
                    keep: int) -> bool:
        """Record a publication (caller holds the lock) and prune to ``keep``; True if new.
        Entries of older versions kept get their sha256 and digest (:meth:`_upgrade`)."""
        if keep <= 0:
            return False
        data_path = self.dir / f"{ranges.sync_token}.json.gz"
        meta_path = self.dir / f"{ranges.sync_token}.meta.json"
        added = False
        if not (data_path.exists() and meta_path.exists()):
            data = gzip.compress(raw, compresslevel=6, mtime=0)
            atomic_write(data_path, data)
            atomic_write(meta_path, _meta_bytes(HistoryItem(
                ranges.sync_token, ranges.create_date, len(ranges.ipv4), len(ranges.ipv6),
                source, kind, data_path, _now(), _sha256(data))))
            added = True
        self._upgrade(self.prune(keep))
        return added

    def _upgrade(self, kept: list[HistoryItem]) -> None:
        """Give the entries of older versions (verified the old way when listed) the sha256 of
        their data and a digest (caller holds the lock; best effort)."""
        for item in kept:
            if item.data_sha256 is not None:
                continue
            with contextlib.suppress(OSError):
                upgraded = replace(item, data_sha256=_sha256(item.path.read_bytes()))
                atomic_write(self.dir / f"{item.sync_token}.meta.json", _meta_bytes(upgraded))

    def prune(self, keep: int) -> list[HistoryItem]:
        """Delete all but the newest ``keep`` publications (caller holds the lock); the kept."""
        items = self.items()
        dropped = items[:-keep] if keep > 0 else items
        for item in dropped:
            for path in (item.path, self.dir / f"{item.sync_token}.meta.json"):
                with contextlib.suppress(OSError):
                    path.unlink()
        return items[len(dropped):]

    def load(self, item: HistoryItem) -> Ranges:
        """The publication stored for ``item`` (origin ``cache``), verified and validated; a
        damaged entry is moved aside with a warning and is a :class:`HistoryError`."""
        try:
            data = item.path.read_bytes()
            if item.data_sha256 is not None and _sha256(data) != item.data_sha256:
                raise _Damaged("its sha256 is not the one its meta records")
            raw = _inflate(data)
            ranges = Ranges.from_json(raw, origin=Origin("cache", str(item.path),
                                                         item.stored_at), where=str(item.path))
            if ranges.sync_token != item.sync_token:
                raise _Damaged(f"holds syncToken {ranges.sync_token}")
            if ranges.create_date != item.create_date:
                raise _Damaged(f"holds createDate {ranges.create_date:%Y-%m-%d %H:%M:%S}, its "
                               f"meta {item.create_date:%Y-%m-%d %H:%M:%S}")
        except (OSError, _Damaged, RangesError) as exc:
            reason = str(exc) if not isinstance(exc, OSError) else (exc.strerror or str(exc))
            aside = self._set_aside(item.sync_token, reason)
            raise HistoryError(f"history copy {item.path} was damaged and has been moved aside "
                               f"to {aside}; run `awsip update` to fetch the current "
                               "publication") from None
        return ranges

    def in_force_at(self, when: datetime) -> HistoryItem:
        """The newest kept publication created at or before ``when``; a
        :class:`HistoryError` when there is none, or when a damaged entry set aside may have
        been the one (see the module doc)."""
        items = self.items()
        candidates = [i for i in items if i.create_date <= when]
        lost = self._lost(when, candidates[-1] if candidates else None)
        if lost is not None:
            raise HistoryError(
                f"the publication in force at {when:%Y-%m-%d %H:%M:%S} UTC may be syncToken "
                f"{lost}, whose history entry was damaged and moved aside to "
                f"{self.dir / 'damaged'}; the history cannot answer for that moment")
        if not items:
            raise HistoryError(
                f"the cache {self.dir.parent} keeps no publication history yet; run `awsip update` "
                "(each new publication fetched is kept)")
        if not candidates:
            oldest = items[0]
            raise HistoryError(
                f"the history does not reach back to {when:%Y-%m-%d %H:%M:%S} UTC: the oldest "
                f"kept publication is from {oldest.create_date:%Y-%m-%d %H:%M:%S} UTC "
                f"(syncToken {oldest.sync_token}); {len(items)} kept in {self.dir} "
                "(raise AWSIP_HISTORY to keep more)")
        return candidates[-1]

    def _lost(self, when: datetime, found: HistoryItem | None) -> int | None:
        """The newest syncToken set aside in ``damaged/`` that is newer than ``found`` and
        not after ``when`` (syncTokens are publication times in Unix seconds), if any."""
        try:
            names = os.listdir(self.dir / "damaged")
        except OSError:
            return None
        floor = int(found.sync_token) if found is not None else -1
        limit = when.timestamp()
        tokens = [int(head) for head in (n.split(".", 1)[0] for n in names)
                  if head.isascii() and head.isdigit() and len(head) <= 20]
        lost = [t for t in tokens if floor < t <= limit]
        return max(lost) if lost else None



def _inflate(data: bytes) -> bytes:
    """The whole gzip member (checksum and length verified), at most :data:`_MAX_BYTES`."""
    try:
        return gunzip_bounded(data, _MAX_BYTES)
    except ValueError as exc:
        raise _Damaged(str(exc)) from None


def _verify_data(path: Path, token: str, info: os.stat_result) -> None:
    """Check (once per process per file version) that ``path`` decompresses completely to what
    looks like the publication ``token``; :class:`_Damaged` otherwise. (Its sha256 is checked
    by :meth:`History.load`, before anything is answered from it.)"""
    key = str(path)
    stamp = (info.st_size, info.st_mtime_ns)
    if _verified.get(key) == stamp:
        return
    with path.open("rb") as f:
        data = f.read(_MAX_BYTES + 1)
    text = _inflate(data).strip()
    if not (text.startswith(b"{") and text.endswith(b"}")):
        raise _Damaged("the document is not a JSON object")
    if b'"syncToken"' not in text or token.encode() not in text:
        raise _Damaged(f"the document does not carry syncToken {token}")
    _verified[key] = stamp


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _meta_bytes(item: HistoryItem) -> bytes:
    """The ``<syncToken>.meta.json`` of ``item``, with its digest."""
    d: dict[str, Any] = {
        "sync_token": item.sync_token, "create_date": _iso(item.create_date),
        "ipv4": item.ipv4, "ipv6": item.ipv6, "source": item.source, "kind": item.kind,
        "stored_at": _iso(item.stored_at), "data_sha256": item.data_sha256,
    }
    d["digest"] = record_digest(d)
    return json.dumps(d, indent=1).encode()


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
    moment = parse_iso(text.replace("Z", "+00:00"))
    if moment is None:
        raise HistoryError(f"{key!r} is neither a syncToken (digits) nor a date such as "
                           "2026-08-22 or 2026-08-22T15:17")
    return None, moment



__all__ = ["History", "HistoryItem", "parse_history_key"]
