"""The cache's history: every publication seen, kept under its syncToken (newest N).

Layout (inside the cache directory)::

    history/<syncToken>.json.gz   the document as fetched, gzipped
    history/<syncToken>.meta.json its createDate, counts and where it came from

Writers hold the cache's lock (:meth:`awsip.loading.cache.Cache.lock`); readers never lock.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..encoding import iso_utc, parse_iso
from ..errors import HistoryError, RangesError
from ..fileio import atomic_write
from ..ranges.model import Origin, Ranges, SourceKind, parse_create_date


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def _now() -> datetime:
    return datetime.now(timezone.utc)


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


class History:
    """The publications kept in one history directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def items(self) -> list[HistoryItem]:
        """Publications kept, oldest first (by createDate, then syncToken)."""
        items: list[HistoryItem] = []
        try:
            metas = list(self.dir.glob("*.meta.json"))
        except OSError:
            return items
        for meta_path in metas:
            try:
                d = json.loads(meta_path.read_bytes())
                token = str(d["sync_token"])
                data_path = self.dir / f"{token}.json.gz"
                created = parse_iso(d["create_date"])
                if created is None or not data_path.exists():
                    continue
                items.append(HistoryItem(token, created, int(d["ipv4"]), int(d["ipv6"]),
                                         str(d.get("source", "")), d.get("kind", "network"),
                                         data_path, parse_iso(d.get("stored_at"))))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        items.sort(key=lambda i: (i.create_date, int(i.sync_token)))
        return items

    def add(self, raw: bytes, ranges: Ranges, source: str, kind: SourceKind,
                    keep: int) -> bool:
        """Record a publication (caller holds the lock) and prune to ``keep``; True if new."""
        if keep <= 0:
            return False
        data_path = self.dir / f"{ranges.sync_token}.json.gz"
        meta_path = self.dir / f"{ranges.sync_token}.meta.json"
        added = False
        if not (data_path.exists() and meta_path.exists()):
            atomic_write(data_path, gzip.compress(raw, compresslevel=6, mtime=0))
            atomic_write(meta_path, json.dumps({
                "sync_token": ranges.sync_token, "create_date": _iso(ranges.create_date),
                "ipv4": len(ranges.ipv4), "ipv6": len(ranges.ipv6), "source": source,
                "kind": kind, "stored_at": _iso(_now()),
            }, indent=1).encode())
            added = True
        self.prune(keep)
        return added

    def prune(self, keep: int) -> list[HistoryItem]:
        """Delete all but the newest ``keep`` publications (caller holds the lock)."""
        items = self.items()
        dropped = items[:-keep] if keep > 0 else items
        for item in dropped:
            for path in (item.path, self.dir / f"{item.sync_token}.meta.json"):
                with contextlib.suppress(OSError):
                    path.unlink()
        return dropped

    def load(self, item: HistoryItem) -> Ranges:
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
        items = self.items()
        if not items:
            raise HistoryError(
                f"the cache {self.dir.parent} keeps no publication history yet; run `awsip update` "
                "(each new publication fetched is kept)")
        candidates = [i for i in items if i.create_date <= when]
        if not candidates:
            oldest = items[0]
            raise HistoryError(
                f"the history does not reach back to {when:%Y-%m-%d %H:%M:%S} UTC: the oldest "
                f"kept publication is from {oldest.create_date:%Y-%m-%d %H:%M:%S} UTC "
                f"(syncToken {oldest.sync_token}); {len(items)} kept in {self.dir} "
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
    moment = parse_iso(text.replace("Z", "+00:00"))
    if moment is None:
        raise HistoryError(f"{key!r} is neither a syncToken (digits) nor a date such as "
                           "2026-08-22 or 2026-08-22T15:17")
    return None, moment



__all__ = ["History", "HistoryItem", "parse_history_key"]
