"""S3 sources that list and read only what a question needs.

AWS delivers flow-log files to S3 under a fixed layout ("Flow log files", Amazon VPC User Guide,
https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html)::

    bucket[/prefix]/AWSLogs/<account>/vpcflowlogs/<region>/<year>/<month>/<day>/[<hour>/]<name>
    bucket[/prefix]/AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/
        aws-region=<region>/year=<year>/month=<month>/day=<day>/[hour=<hour>/]<name>

(the second with "Hive-compatible S3 prefixes", ``<hour>`` with "hourly partitions"; Transit
Gateway flow logs use ``transitgatewayflowlogs``), and names each file
``<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`` (``.parquet``
for Parquet). The folders and the name time are the file's creation time, UTC; the page's
example file named ``..._20180620T1620Z_...`` "includes flow log records for 16:15:01 to
16:20:00" (files are published every 5 minutes with the records of the previous 5 minutes).

A record's ``start`` can be earlier than its file's name time by the aggregation interval (up
to 10 minutes, "Flow log basics") plus the 5-minute file window plus delivery delays, which AWS
calls best effort. So a file named ``T`` is taken to hold records starting in
``[T - LOOKBACK, T + LOOKAHEAD]``: an hour back (four times the documented worst case without
delays) and 15 minutes ahead (in case a name marks the start of its window or clocks differ).
With ``since``/``until`` a folder or file is listed or read only when that span meets the
window; ``accounts``/``regions`` prune the account and region folders and names the same way.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import FlowLogError

#: how much earlier than its file's name time a record may start (see the module doc)
LOOKBACK = timedelta(hours=1)
#: how much later than its file's name time a record may start
LOOKAHEAD = timedelta(minutes=15)
#: a bounded window of at most this many days lists its day folders directly
MAX_DIRECT_DAYS = 400
#: folders above ``AWSLogs/`` walked level by level before listing the rest whole
MAX_ROOT_DEPTH = 3

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
#: ``<account>_<service>_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.<suffixes>``
_NAME = re.compile(rf"(?:^|/)(\d{{12}})_[A-Za-z0-9-]+_({_REGION})_[^_/]+_"
                   rf"(\d{{8}}T\d{{4}}Z)_[^_/]+$")
_ACCOUNT_DIR = re.compile(r"^(aws-account-id=)?(\d{12})$")
_SERVICE_DIR = re.compile(r"^(aws-service=)?[A-Za-z0-9-]+$")
_REGION_DIR = re.compile(rf"^(aws-region=)?({_REGION})$")
_UNIT_DIRS = {"year": re.compile(r"^(year=)?(\d{4})$"), "month": re.compile(r"^(month=)?(\d{2})$"),
              "day": re.compile(r"^(day=)?(\d{2})$"), "hour": re.compile(r"^(hour=)?(\d{2})$")}

ROOT, ACCOUNT, SERVICE, REGION, YEAR, MONTH, DAY, HOUR, BELOW = range(9)
_UNITS = {YEAR: "year", MONTH: "month", DAY: "day", HOUR: "hour"}


@dataclass
class ListingStats:
    """What listing found and left out: ``listings`` (prefixes listed, one LIST each, pages
    not counted), ``listed`` (objects listed), ``skipped_by_time``/``_account``/``_region``
    (objects listed but not read: their name or folders say they cannot hold what was asked),
    ``pruned_prefixes`` (folders never listed for the same reasons) and ``selected`` (objects
    kept to be read)."""

    listings: int = 0
    listed: int = 0
    skipped_by_time: int = 0
    skipped_by_account: int = 0
    skipped_by_region: int = 0
    pruned_prefixes: int = 0
    selected: int = 0
    #: whether a selection (window, accounts, regions) was applied
    selective: bool = False

    def add(self, other: ListingStats) -> None:
        """Add the counts of another listing (``selective`` if either was)."""
        for name in ("listings", "listed", "skipped_by_time", "skipped_by_account",
                     "skipped_by_region", "pruned_prefixes", "selected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.selective = self.selective or other.selective

    @property
    def skipped(self) -> int:
        """Objects listed but not read."""
        return self.skipped_by_time + self.skipped_by_account + self.skipped_by_region

    def describe(self) -> str:
        """One line for people; ``""`` when no selection was applied."""
        if not self.selective:
            return ""
        where = (f"S3: {self.listings:,} prefixes listed, {self.listed:,} objects"
                 if self.listings else f"{self.listed:,} files")
        return (f"{where} listed, {self.skipped_by_time:,} skipped by date, "
                f"{self.skipped_by_account:,} by account, {self.skipped_by_region:,} by region, "
                f"{self.pruned_prefixes:,} folders not listed, {self.selected:,} to read")


@dataclass(frozen=True)
class Selection:
    """What a read needs: records starting in ``[since, until)`` (either may be None), of
    ``accounts`` and ``regions`` (None: any). Decides from delivery paths and names only."""

    since: datetime | None = None
    until: datetime | None = None
    accounts: frozenset[str] | None = None
    regions: frozenset[str] | None = None

    @property
    def active(self) -> bool:
        """Whether anything can be left out."""
        return any(v is not None for v in (self.since, self.until, self.accounts, self.regions))

    def meets(self, lo: datetime, hi: datetime) -> bool:
        """Whether files named with times in ``[lo, hi)`` can hold records of the window."""
        if self.until is not None and lo - LOOKBACK >= self.until:
            return False
        return self.since is None or hi + LOOKAHEAD > self.since

    def name_days(self) -> list[datetime] | None:
        """The UTC days whose folders can hold records of a bounded window, or None when the
        window is open or longer than :data:`MAX_DIRECT_DAYS`."""
        if self.since is None or self.until is None:
            return None
        first = (self.since - LOOKAHEAD).replace(hour=0, minute=0, second=0, microsecond=0)
        last = self.until + LOOKBACK
        count = (last - first).days + 1
        if count > MAX_DIRECT_DAYS:
            return None
        days = [first + timedelta(days=i) for i in range(count)]
        return [d for d in days if self.meets(d, d + timedelta(days=1))]

    def describe(self) -> str:
        """What is asked, for messages: ``from 2026-03-27T00:00Z to 2026-03-28T00:00Z; ...``."""
        asked = []
        if self.since or self.until:
            lo = f"{self.since:%Y-%m-%dT%H:%MZ}" if self.since else "the start"
            hi = f"{self.until:%Y-%m-%dT%H:%MZ}" if self.until else "the end"
            asked.append(f"from {lo} to {hi}")
        if self.accounts is not None:
            asked.append(f"of accounts {', '.join(sorted(self.accounts))}")
        if self.regions is not None:
            asked.append(f"of regions {', '.join(sorted(self.regions))}")
        return "; ".join(asked)

    def verdict(self, key: str) -> str | None:
        """Why the object ``key`` cannot hold what is asked (``"time"``, ``"account"``,
        ``"region"``), from its AWS file name; None to read it (also when the name is not
        AWS's: nothing is known)."""
        m = _NAME.search(key)
        if m is None:
            return None
        if self.accounts is not None and m.group(1) not in self.accounts:
            return "account"
        if self.regions is not None and m.group(2) not in self.regions:
            return "region"
        try:
            when = datetime.strptime(m.group(3), "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
        return None if self.meets(when, when + timedelta(minutes=1)) else "time"


@dataclass(frozen=True)
class _Place:
    """Where a prefix sits in the delivery layout: its ``level`` (``ROOT`` above
    ``AWSLogs/``, ``BELOW`` past the last known folder), whether it is Hive-style, the date
    parts seen, and for ``ROOT`` how many folders deep the walk already is."""

    level: int
    hive: bool = False
    parts: tuple[int, ...] = ()
    depth: int = 0


def _span(parts: tuple[int, ...]) -> tuple[datetime, datetime] | None:
    """The times ``(year, month, day, hour)`` prefixes cover; None when they are no date."""
    y, m, d, h = (*parts, *(1, 1, 0)[len(parts) - 1:])[:4]
    if not (1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1] and 0 <= h <= 23):
        return None
    lo = datetime(y, m, d, h, tzinfo=timezone.utc)
    if len(parts) == 1:
        return lo, datetime(y + 1, 1, 1, tzinfo=timezone.utc)
    if len(parts) == 2:
        return lo, datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=timezone.utc)
    return lo, lo + (timedelta(days=1) if len(parts) == 3 else timedelta(hours=1))


def child(place: _Place, name: str, sel: Selection) -> _Place | str:
    """The place of folder ``name`` inside ``place``, or why it is not listed (``"time"``,
    ``"account"``, ``"region"``). A name the layout does not expect gives ``BELOW``: listed
    whole, only file names pruning it."""
    if place.level == ROOT:
        if name == "AWSLogs":
            return _Place(ACCOUNT)
        return _Place(ROOT, depth=place.depth + 1) if place.depth < MAX_ROOT_DEPTH \
            else _Place(BELOW)
    if place.level == ACCOUNT:
        m = _ACCOUNT_DIR.match(name)
        if m is None:
            return _Place(BELOW)
        if sel.accounts is not None and m.group(2) not in sel.accounts:
            return "account"
        return _Place(SERVICE, hive=bool(m.group(1)))
    if place.level == SERVICE:
        return _Place(REGION, place.hive) if _SERVICE_DIR.match(name) else _Place(BELOW)
    if place.level == REGION:
        m = _REGION_DIR.match(name)
        if m is None:
            return _Place(BELOW)
        if sel.regions is not None and m.group(2) not in sel.regions:
            return "region"
        return _Place(YEAR, place.hive)
    return _dated(place, name, sel)


def _dated(place: _Place, name: str, sel: Selection) -> _Place | str:
    """A year, month, day or hour folder: pruned when its span cannot meet the window."""
    unit = _UNITS.get(place.level)
    m = _UNIT_DIRS[unit].match(name) if unit else None
    if m is None or bool(m.group(1)) != place.hive:
        return _Place(BELOW)
    parts = (*place.parts, int(m.group(2)))
    span = _span(parts)
    if span is None:
        return _Place(BELOW)
    if not sel.meets(*span):
        return "time"
    return _Place(place.level + 1, place.hive, parts)


def locate(key: str, sel: Selection) -> _Place | str:
    """The place of the prefix ``key`` (``bucket/folders``) given as a source: its folders are
    read as a walk from the bucket would read them."""
    place = _Place(ROOT)
    for name in [p for p in key.split("/") if p][1:]:
        if place.level == BELOW:
            break
        step = child(place, name, sel)
        if isinstance(step, str):
            return step
        place = step
    return place


def _dated_prefix(day: datetime, hive: bool) -> str:
    if hive:
        return f"year={day:%Y}/month={day:%m}/day={day:%d}"
    return f"{day:%Y}/{day:%m}/{day:%d}"


class S3Walk:
    """One listing of an ``s3://`` prefix through a pyarrow ``S3FileSystem``: folders of the
    delivery layout listed one level at a time (with ``/`` as delimiter) and left out when
    they cannot hold what ``sel`` asks; anything else listed whole. Objects whose AWS file name
    says they cannot hold it are counted and not kept."""

    def __init__(self, fs: Any, sel: Selection, stats: ListingStats) -> None:
        self.fs = fs
        self.sel = sel
        self.stats = stats
        self.kept: list[Any] = []  # pyarrow FileInfo

    def run(self, base: str) -> None:
        """Walk below ``base`` (``bucket/prefix``, no trailing slash)."""
        place = locate(base, self.sel) if self.sel.active else _Place(BELOW)
        if isinstance(place, str):
            self._prune(place)
            return
        self._visit(base, place)

    def _prune(self, reason: str) -> None:
        del reason  # folders are counted together: their objects are never seen
        self.stats.pruned_prefixes += 1

    def _visit(self, prefix: str, place: _Place) -> None:
        if place.level == BELOW:
            self._files(self._list(prefix, recursive=True))
            return
        days = self.sel.name_days() if place.level == YEAR else None
        if days is not None:
            for day in days:
                parts = (day.year, day.month, day.day)
                self._visit(f"{prefix}/{_dated_prefix(day, place.hive)}",
                            _Place(HOUR, place.hive, parts))
            return
        infos = self._list(prefix, recursive=False)
        self._files(infos)
        for info in infos:
            if not _is_dir(info) or _hidden(info.base_name):
                continue
            step = child(place, info.base_name, self.sel)
            if isinstance(step, str):
                self._prune(step)
            else:
                self._visit(info.path, step)

    def _list(self, prefix: str, *, recursive: bool) -> list[Any]:
        from pyarrow import fs as pafs

        self.stats.listings += 1
        sel = pafs.FileSelector(prefix, recursive=recursive, allow_not_found=True)
        return list(self.fs.get_file_info(sel))

    def _files(self, infos: Iterable[Any]) -> None:
        for info in infos:
            if _is_dir(info):
                continue
            self.stats.listed += 1
            reason = self.sel.verdict(info.path) if self.sel.active else None
            if reason is None:
                self.kept.append(info)
            else:
                setattr(self.stats, f"skipped_by_{reason}",
                        getattr(self.stats, f"skipped_by_{reason}") + 1)


def _is_dir(info: Any) -> bool:
    from pyarrow import fs as pafs

    return bool(info.type == pafs.FileType.Directory)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def s3_filesystem(region: str | None, endpoint_override: str | None) -> Any:
    """A pyarrow ``S3FileSystem`` for ``region`` and ``endpoint_override`` (``http://host:port``
    picks the scheme; a bare ``host:port`` is https)."""
    from pyarrow import fs as pafs

    kwargs: dict[str, Any] = {}
    if region:
        kwargs["region"] = region
    if endpoint_override:
        m = re.match(r"^(https?)://(.*)$", endpoint_override)
        if m:
            kwargs["scheme"] = m.group(1)
            kwargs["endpoint_override"] = m.group(2).rstrip("/")
        else:
            kwargs["endpoint_override"] = endpoint_override
    return pafs.S3FileSystem(**kwargs)


def list_s3(url: str, fs: Any, sel: Selection, stats: ListingStats) -> Iterator[Any]:
    """The objects under ``url`` to read, sorted by key (pyarrow FileInfos): an object named
    exactly is read as named; a prefix is walked by :class:`S3Walk`, names starting with ``.``
    or ``_`` below it left out. Raises :class:`FlowLogError` when listing fails, or when the
    prefix holds nothing and nothing was asked (with a selection the caller says what was
    asked: :meth:`Selection.describe`)."""
    from pyarrow import fs as pafs

    base = url[len("s3://"):].rstrip("/")
    stats.selective = stats.selective or sel.active
    try:
        if not url.endswith("/") and "/" in base:
            info = fs.get_file_info(base)
            if info.type == pafs.FileType.File:
                stats.listed += 1
                stats.selected += 1
                yield info
                return
        walk = S3Walk(fs, sel, stats)
        walk.run(base)
    except OSError as exc:
        raise FlowLogError(f"cannot list {url}: {exc}") from exc
    kept = sorted((i for i in walk.kept
                   if not any(_hidden(p) for p in i.path[len(base):].split("/"))),
                  key=lambda i: i.path)
    if not kept and not sel.active:
        raise FlowLogError(f"no objects under {url}")
    stats.selected += len(kept)
    yield from kept


__all__ = ["LOOKAHEAD", "LOOKBACK", "ListingStats", "S3Walk", "Selection", "list_s3",
           "s3_filesystem"]
