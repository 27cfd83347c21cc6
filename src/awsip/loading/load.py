"""Where ip-ranges.json comes from: the network, the on-disk cache, a file, or the bundled snapshot.

:func:`load_ranges` is the one entry point; the rest of awsip never fetches. The rules:

* **Default source**: ``https://ip-ranges.amazonaws.com/ip-ranges.json`` (or ``AWSIP_URL``), cached
  in :func:`cache_dir`. The cached copy is used as is while it was confirmed current less than
  ``max_age`` ago (default 12 hours, ``AWSIP_MAX_AGE`` seconds). After that one conditional GET
  (``If-None-Match`` / ``If-Modified-Since``) revalidates it; a 304 keeps it and resets its age.
* **Nothing bad replaces good data**: a download that fails, is cut short, is larger than
  :data:`MAX_DOCUMENT_BYTES`, is an HTML page, is not JSON, fails validation or carries an older
  syncToken than the cached copy leaves the cache untouched; a :class:`~awsip.errors.RangesWarning`
  names the problem and the cached copy answers. With no cached copy the bundled snapshot answers
  with a :class:`~awsip.errors.BundledRangesWarning` stating its date and age. A failed refresh
  is not retried for :data:`RETRY_AFTER` (5 minutes, or ``max_age`` if shorter), so a dead
  network costs one timeout rather than one per command.
* **Plausible before adopted** (:mod:`.plausibility`): a download that parses is still
  rejected, with the reason in the warning, when its syncToken is not at most 20 ASCII digits,
  its createDate lies more than a day in the future, it lists a prefix shorter than /8 (IPv4) or
  /10 (IPv6) that the cached copy (else the bundled snapshot) does not have, its IPv4 or IPv6
  prefix count is not within 1/4 .. 4x of that reference's, or its syncToken is older than the
  newest publication the history keeps (also on a cold cache). Malformed JSON, however deeply
  nested, is a :class:`~awsip.errors.RangesError`.
* **Files that are not files**: a path is opened without blocking and checked with ``fstat``
  first: a FIFO, a device (``/dev/zero``) or a directory is a :class:`~awsip.errors.FetchError`,
  a file over :data:`MAX_DOCUMENT_BYTES` a :class:`~awsip.errors.RangesError`, and at most the
  limit plus one byte is read.
* **Messages fit the command**: :func:`load_ranges` may suggest ``--offline``; :func:`update`
  (``awsip update`` has no such option) never does.
* **Offline** (``offline=True`` or ``AWSIP_OFFLINE=1``): the cache only, else the bundled snapshot.
* **Explicit sources**: a path (plain or gzipped; origin ``file``) is read as is, never cached. A
  URL (``http``/``https``, e.g. a mirror) is fetched and cached under its own key, with the same
  freshness and validation rules; if it cannot be obtained and was not cached, that is an error
  (:class:`~awsip.errors.FetchError`), not a silent switch to other data. ``AWSIP_URL`` replaces
  the default URL and, like it, falls back to the bundled snapshot.
* **History**: every new publication fetched is also kept under its syncToken (newest
  ``AWSIP_HISTORY``, default 30); ``load_ranges(at=...)`` and :func:`load_history_entry` read it,
  offline.

HTTP is :mod:`.http` (TLS verified, ``(10, 30)`` second (connect, read) timeouts,
``AWSIP_TIMEOUT``, their sum as the deadline of the whole download, redirects never leaving
https, the environment's proxies and CA bundle, a one-line notice on a terminal while waiting);
settings are :mod:`.settings`; the
cache directory is :mod:`.cache` and its history :mod:`.history`.
"""

from __future__ import annotations

import functools
import json
import os
import stat
import threading
import warnings
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..encoding import parse_time
from ..errors import (
    BundledRangesWarning,
    FetchError,
    HistoryError,
    RangesError,
    RangesWarning,
    UsageError,
)
from ..fileio import gunzip_bounded
from ..ranges.model import Origin, Publication, Ranges
from ..units import duration
from . import plausibility, settings
from .cache import Cache, CacheMeta, Slot, read_compact, sha256, utcnow, write_compact
from .history import HistoryItem, parse_history_key
from .http import download
from .settings import DEFAULT_URL, MAX_DOCUMENT_BYTES, RETRY_AFTER, cache_dir

_BUNDLED = "data/ip-ranges.json.gz"

def _inflate(raw: bytes, where: str) -> bytes:
    """``raw`` itself, or decompressed when gzipped (first member; at most the size limit)."""
    if raw[:2] == b"\x1f\x8b":
        try:
            return gunzip_bounded(raw, MAX_DOCUMENT_BYTES)
        except ValueError as exc:
            raise RangesError(f"{where}: {exc}") from None
    return raw


def _decode(raw: bytes, where: str, *, content_type: str = "",
            origin: Origin | None = None) -> Ranges:
    """Validate a downloaded or read document (plain or gzip) into :class:`Ranges`."""
    raw = _inflate(raw, where)
    head = raw.lstrip()[:200]
    if not head:
        raise RangesError(f"{where}: the document is empty")
    if head.startswith(b"<") or "html" in content_type.lower():
        raise RangesError(
            f"{where}: got an HTML page instead of ip-ranges.json (a captive portal, proxy login "
            f"or error page?); starts with {head[:60].decode('utf-8', 'replace')!r}")
    return Ranges.from_json(raw, origin=origin, where=where)


# --------------------------------------------------------------------------- bundled snapshot
def _bundled_bytes() -> bytes:
    from importlib import resources

    return resources.files("awsip").joinpath(_BUNDLED).read_bytes()


def load_bundled(*, cache_dir: str | os.PathLike[str] | None = None) -> Ranges:
    """The snapshot shipped inside the package (origin ``bundled``), without any warning.

    The validated form is kept in the cache directory (``bundled.marshal``) when it is writable,
    so later starts skip parsing.
    """
    gz = _bundled_bytes()
    origin = Origin("bundled", f"awsip/{_BUNDLED}")
    compact = _cache_root(cache_dir) / "bundled.marshal"
    key = sha256(gz)
    ranges = read_compact(compact, key, origin)
    if ranges is None:
        ranges = write_compact(compact, key, _decode(gz, f"awsip/{_BUNDLED}", origin=origin))
    return ranges


@functools.lru_cache(maxsize=1)
def _bundled_reference() -> Ranges:
    """The bundled snapshot, parsed once per process: the plausibility reference on a cold
    cache (see :mod:`.plausibility`)."""
    return _decode(_bundled_bytes(), f"awsip/{_BUNDLED}", origin=Origin("bundled", _BUNDLED))


def _bundled_fallback(root: Path, reason: str) -> Ranges:
    """The bundled snapshot, with a warning giving ``reason`` (called by load_ranges's steps)."""
    ranges = load_bundled(cache_dir=root)
    warnings.warn(
        f"{reason}; using the bundled snapshot from {ranges.create_date:%Y-%m-%d %H:%M} UTC "
        f"({duration(ranges.age.total_seconds())} old); run `awsip update` when online",
        BundledRangesWarning, stacklevel=4)
    return ranges


def _cache_root(value: str | os.PathLike[str] | None) -> Path:
    return cache_dir(value)


def _as_utc(when: datetime) -> datetime:
    moment = parse_time(when, "at")
    assert moment is not None
    return moment


# --------------------------------------------------------------------------- refresh
@dataclass(frozen=True)
class UpdateResult:
    """What :func:`update` did.

    ``old`` is the cached publication before (None if there was none), ``new`` the one cached
    now. ``changed`` is True when a different publication replaced the cached one;
    ``not_modified`` when the server answered 304 (or sent the same syncToken).
    """

    location: str
    old: Publication | None
    new: Publication
    changed: bool
    not_modified: bool
    ranges: Ranges
    history_added: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "old": self.old.to_dict() if self.old else None,
                "new": self.new.to_dict(), "changed": self.changed,
                "not_modified": self.not_modified, "history_added": self.history_added}


def _fresh(meta: CacheMeta, max_age: timedelta, now: datetime) -> bool:
    age = now - meta.checked_at
    return timedelta(0) <= age < max_age


def _backing_off(failed_at: datetime, meta: CacheMeta | None, max_age: timedelta,
                 now: datetime) -> bool:
    """True while a recent failed refresh should not be retried (see :data:`RETRY_AFTER`)."""
    if meta is not None and failed_at < meta.checked_at:
        return False
    return timedelta(0) <= now - failed_at < min(RETRY_AFTER, max_age)


def _refresh(cache: Cache, slot: Slot, *, force: bool, max_age: timedelta,
             timeout: tuple[float, float], keep: int, offline_hint: bool = True
             ) -> UpdateResult:
    """Revalidate or fetch ``slot.url`` under the lock; raise on any failure, cache untouched
    (except that the failure is noted in ``failure.json``, for :data:`RETRY_AFTER`)."""
    with cache.lock():
        meta = slot.read_meta()
        cached = slot.load(meta)
        if cached is None:
            meta = None
        now = utcnow()
        if not force and meta is not None and cached is not None and _fresh(meta, max_age, now):
            # Another process refreshed while this one waited for the lock.
            summary = cached.publication
            return UpdateResult(slot.url, summary, summary, False, True, cached)
        try:
            return _fetch_into(cache, slot, meta, cached, timeout=timeout, keep=keep,
                               offline_hint=offline_hint)
        except (FetchError, RangesError) as exc:
            slot.note_failure(str(exc))
            raise


def _fetch_into(cache: Cache, slot: Slot, meta: CacheMeta | None, cached: Ranges | None, *,
                timeout: tuple[float, float], keep: int, offline_hint: bool) -> UpdateResult:
    """One conditional GET; store the result if it is acceptable (caller holds the lock)."""
    old = cached.publication if cached else None
    resp = download(slot.url, etag=meta.etag if meta else None,
                    last_modified=meta.last_modified if meta else None,
                    timeout=timeout, max_bytes=MAX_DOCUMENT_BYTES, offline_hint=offline_hint)
    now = utcnow()
    if resp.status == 304:
        if meta is None or cached is None:
            raise FetchError(f"{slot.url}: the server answered 304 Not Modified to an "
                             "unconditional request")
        meta = replace(meta, checked_at=now, etag=resp.etag, last_modified=resp.last_modified)
        slot.write_meta(meta)
        slot.clear_failure()
        ranges = cached.with_origin(replace(cached.origin, checked_at=now))
        return UpdateResult(slot.url, old, ranges.publication, False, True, ranges)
    ranges = _decode(resp.body, slot.url, content_type=resp.content_type,
                     origin=Origin("network", slot.url, now))
    if cached is not None and int(ranges.sync_token) < int(cached.sync_token):
        raise RangesError(
            f"{slot.url}: served syncToken {ranges.sync_token} (created "
            f"{ranges.create_date:%Y-%m-%d %H:%M} UTC), older than the cached "
            f"{cached.sync_token} ({cached.create_date:%Y-%m-%d %H:%M} UTC); a stale mirror "
            "or cache in between? The cached copy is kept")
    _check_plausible(cache, slot.url, ranges, cached, now)
    digest = sha256(resp.body)
    new_meta = CacheMeta(slot.url, ranges.sync_token, ranges.create_date, now, now, digest,
                         len(resp.body), len(ranges.ipv4), len(ranges.ipv6), resp.etag,
                         resp.last_modified)
    if meta is not None and meta.sha256 == digest:
        slot.write_meta(replace(new_meta, fetched_at=meta.fetched_at))
        if cached is not None:
            ranges = ranges.with_origin(replace(ranges.origin, derived=cached.origin.derived))
    else:
        ranges = slot.store(resp.body, ranges, new_meta)
    slot.clear_failure()
    # The history keeps the document itself, even when a mirror served it gzipped.
    added = cache.history.add(_inflate(resp.body, slot.url), ranges, slot.url, "network", keep)
    same = cached is not None and cached.sync_token == ranges.sync_token
    return UpdateResult(slot.url, old, ranges.publication, not same, same,
                        ranges, added)


def _check_plausible(cache: Cache, url: str, ranges: Ranges, cached: Ranges | None,
                     now: datetime) -> None:
    """Raise :class:`RangesError` when ``ranges`` may not replace anything: implausible next to
    the cached copy (else the bundled snapshot), or older than the newest publication kept in
    the history (see :mod:`.plausibility`)."""
    reference = cached if cached is not None else _bundled_reference()
    plausibility.check(ranges, reference, now=now, where=url)
    kept = [i.sync_token for i in cache.history.items()]
    newest = max(kept, key=int) if kept else None
    older = plausibility.older_than(ranges, newest)
    if older is not None:
        raise RangesError(f"{url}: rejected: {older} (in the history); a stale mirror or "
                          "cache in between?")


def _warn_cached(problem: str, cached: Ranges) -> None:
    """Warn that ``cached`` answers because of ``problem`` (called by load_ranges's steps)."""
    checked = cached.origin.checked_at
    when = (f"last confirmed {duration((utcnow() - checked).total_seconds())} ago" if checked
            else "cached")
    warnings.warn(
        f"{problem}; using the cached copy (syncToken {cached.sync_token}, published "
        f"{cached.create_date:%Y-%m-%d %H:%M} UTC, {when})", RangesWarning, stacklevel=4)


# --------------------------------------------------------------------------- public API
def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _as_path(text: str) -> Path | None:
    """A local path for ``text`` (``file://`` accepted), None for http(s); reject other schemes."""
    if _is_url(text):
        return None
    if text.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(text).path))
    if "://" in text:
        raise UsageError(f"{text!r}: only http://, https:// and file:// URLs or paths are "
                         "supported as a ranges source")
    return Path(text).expanduser()


def _read_file(p: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_DOCUMENT_BYTES`.

    Opened without blocking (a FIFO does not hang), then checked with ``fstat`` before reading:
    a FIFO, a device such as /dev/zero or a directory is a :class:`FetchError`, a larger file a
    :class:`RangesError`; at most the limit plus one byte is ever read (a file growing meanwhile).
    """
    hint = "give the path of an ip-ranges.json file (plain or .gz) or a URL"
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise FetchError(f"cannot read {p}: {exc.strerror or exc}; {hint}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise FetchError(f"cannot read {p}: {kind} (a FIFO, device or directory is "
                             f"refused); {hint}")
        if info.st_size > MAX_DOCUMENT_BYTES:
            os.close(fd)
            raise RangesError(f"{p}: {info.st_size:,} bytes, more than the "
                              f"{MAX_DOCUMENT_BYTES:,}-byte limit; is this ip-ranges.json?")
        with os.fdopen(fd, "rb") as f:
            raw = f.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise FetchError(f"cannot read {p}: {exc.strerror or exc}; {hint}") from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise RangesError(f"{p}: more than the {MAX_DOCUMENT_BYTES:,}-byte limit; is this "
                          "ip-ranges.json?")
    return raw


def load_file(path: str | os.PathLike[str]) -> Ranges:
    """Read and validate an ip-ranges.json file, plain or gzipped (origin ``file``); see
    :func:`_read_file` for what is refused before reading."""
    p = Path(path)
    raw = _read_file(p)
    return _decode(raw, str(p), origin=Origin("file", str(p.resolve())))


def load_ranges(
    source: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    max_age: timedelta | float | None = None,
    offline: bool | None = None,
    at: datetime | None = None,
    timeout: float | tuple[float, float] | None = None,
    history: int | None = None,
) -> Ranges:
    """Load AWS's ip-ranges publication; see the module doc for the full rules.

    ``source``: None (AWS's URL or ``AWSIP_URL``), a path (plain or ``.gz``) or an http(s) URL.
    ``max_age`` (timedelta or seconds): how long a cached copy is trusted without asking the
    server; 0 revalidates now. ``offline``: never touch the network (default ``AWSIP_OFFLINE``).
    ``at``: the publication that was in force at that moment, from the cache's history (naive
    datetimes are UTC); raises :class:`~awsip.errors.HistoryError` when the history does not reach
    back that far. ``timeout``: seconds or (connect, read). ``history``: publications to keep.

    Raises :class:`~awsip.errors.FetchError` / :class:`~awsip.errors.RangesError` only when no
    acceptable data can be produced; degraded answers come with a
    :class:`~awsip.errors.RangesWarning`.
    """
    root = _cache_root(cache_dir)
    if at is not None:
        return _in_force_at(root, source, at)
    off = settings.offline(offline)
    explicit = source is not None
    target = _source(source)
    if isinstance(target, Path):
        return load_file(target)
    url = target
    cache = Cache(root)
    slot = cache.slot(url, default=url == DEFAULT_URL)
    meta = slot.read_meta()
    age = settings.max_age(max_age)
    now = utcnow()
    if meta is not None and (off or _fresh(meta, age, now)):
        ranges = slot.load(meta)
        if ranges is not None:
            return ranges
    if off:
        return _offline(root, slot, meta, explicit=explicit)
    held = _while_backing_off(root, slot, meta, explicit=explicit, max_age=age, now=now)
    if held is not None:
        return held
    return _refresh_or_fall_back(root, cache, slot, explicit=explicit, max_age=age,
                                 timeout=timeout, history=history)


# The steps of load_ranges. Their warnings name load_ranges's caller: counted from the function
# calling warnings.warn, that is stacklevel=3 in a step, and 4 in _warn_cached and
# _bundled_fallback (which only the steps call).
def _in_force_at(root: Path, source: str | os.PathLike[str] | None, at: datetime) -> Ranges:
    """``load_ranges(at=...)``: the publication in force then, from the history."""
    if source is not None:
        raise UsageError("give either a source or at=, not both (at= reads the history)")
    cache = Cache(root)
    return cache.history.load(cache.history.in_force_at(_as_utc(at)))


def _source(source: str | os.PathLike[str] | None) -> str | Path:
    """The URL to load (the default, ``AWSIP_URL`` or ``source``), or the local file named."""
    text = os.fspath(source) if source is not None else (os.environ.get("AWSIP_URL") or None)
    if text is None:
        return DEFAULT_URL
    path = _as_path(text)
    return text if path is None else path


def _offline(root: Path, slot: Slot, meta: CacheMeta | None, *, explicit: bool) -> Ranges:
    """Offline: the cached copy, else the bundled snapshot (an error for an explicit URL)."""
    ranges = slot.load(meta)
    if ranges is not None:
        return ranges
    reason = f"offline and no cached copy of {slot.url} in {root}"
    if explicit:
        raise FetchError(f"{reason}; go online, or give a local file instead")
    return _bundled_fallback(root, reason)


def _while_backing_off(root: Path, slot: Slot, meta: CacheMeta | None, *, explicit: bool,
                       max_age: timedelta, now: datetime) -> Ranges | None:
    """While a recent failed refresh is not retried (:data:`RETRY_AFTER`): the cached copy, else
    the bundled snapshot, with a warning saying why. None to try the network: there was no
    recent failure, or an explicitly named URL with no cached copy (the user may have fixed it).
    """
    failed = slot.last_failure()
    if failed is None or not _backing_off(failed[0], meta, max_age, now):
        return None
    ago = duration((now - failed[0]).total_seconds())
    problem = (f"not refreshing {slot.url}: the last attempt, {ago} ago, "
               f"failed ({failed[1]}); next try after {duration(RETRY_AFTER.total_seconds())}")
    ranges = slot.load(meta)
    if ranges is not None:
        _warn_cached(problem, ranges)
        return ranges
    if explicit:
        return None
    return _bundled_fallback(root, problem)


def _refresh_or_fall_back(root: Path, cache: Cache, slot: Slot, *, explicit: bool,
                          max_age: timedelta, timeout: float | tuple[float, float] | None,
                          history: int | None) -> Ranges:
    """Refresh the cached copy; when that fails, the cached copy, else the bundled snapshot
    (an error for an explicit URL), with a warning naming the failure."""
    seconds = settings.timeout(timeout)
    try:
        return _refresh(cache, slot, force=False, max_age=max_age, timeout=seconds,
                        keep=settings.history_keep(history)).ranges
    except OSError as exc:
        # The cache directory is unusable (not writable, a file, a full disk): still answer
        # with fresh data when the network allows, and say how to fix the cache.
        warnings.warn(f"cannot write the awsip cache in {root} ({exc}); set AWSIP_CACHE_DIR to "
                      "a writable directory", RangesWarning, stacklevel=3)
        try:
            return _fetch_uncached(slot.url, seconds)
        except (FetchError, RangesError) as second:
            failure: Exception = second
    except (FetchError, RangesError) as exc:
        failure = exc
    cached = slot.load()
    if cached is not None:
        _warn_cached(f"could not refresh ip-ranges.json: {failure}", cached)
        return cached
    if explicit:
        raise failure
    return _bundled_fallback(root, f"could not fetch ip-ranges.json: {failure}")


def _fetch_uncached(url: str, timeout: tuple[float, float]) -> Ranges:
    resp = download(url, etag=None, last_modified=None, timeout=timeout,
                    max_bytes=MAX_DOCUMENT_BYTES)
    now = utcnow()
    ranges = _decode(resp.body, url, content_type=resp.content_type,
                     origin=Origin("network", url, now))
    plausibility.check(ranges, _bundled_reference(), now=now, where=url)
    return ranges


def update(
    source: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout: float | tuple[float, float] | None = None,
    history: int | None = None,
) -> UpdateResult:
    """Refresh the cached copy now (one conditional request) and report what changed.

    ``source``: None (AWS or ``AWSIP_URL``) or an http(s) URL; a local path is imported into the
    history only (it does not replace any URL's cached copy). Raises
    :class:`~awsip.errors.FetchError` or :class:`~awsip.errors.RangesError` when the refresh fails
    or the document is rejected; the cached copy is then unchanged.
    """
    root = _cache_root(cache_dir)
    cache = Cache(root)
    keep = settings.history_keep(history)
    text = os.fspath(source) if source is not None else settings.default_url()
    path = _as_path(text)
    if path is not None:
        raw = _inflate(_read_file(path), str(path))
        ranges = _decode(raw, str(path), origin=Origin("file", str(path.resolve())))
        before = {i.sync_token: i for i in cache.history.items()}
        try:
            with cache.lock():
                added = cache.history.add(raw, ranges, str(path.resolve()), "file", keep)
        except OSError as exc:
            raise FetchError(f"cannot write the awsip cache history in {root} ({exc}); set "
                             "AWSIP_CACHE_DIR to a writable directory") from None
        prev = before.get(ranges.sync_token)
        old = (Publication(prev.sync_token, prev.create_date, prev.ipv4, prev.ipv6)
               if prev else None)
        return UpdateResult(str(path), old, ranges.publication, added, not added,
                            ranges, added)
    slot = cache.slot(text, default=text == DEFAULT_URL)
    try:
        result = _refresh(cache, slot, force=True, max_age=timedelta(0),
                          timeout=settings.timeout(timeout), keep=keep, offline_hint=False)
    except OSError as exc:
        raise FetchError(f"cannot write the awsip cache in {root} ({exc}); set AWSIP_CACHE_DIR "
                         "to a writable directory") from None
    if source is None and result.changed:
        reset_default()  # this process's default_ranges() now sees the new publication
    return result


@dataclass(frozen=True)
class CacheInfo:
    """The state of a cache directory, as shown by ``awsip info``."""

    directory: Path
    copies: tuple[CacheMeta, ...]
    history: tuple[HistoryItem, ...]
    max_age: timedelta
    history_keep: int
    default_url: str

    def to_dict(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "copies": [m.to_dict() for m in self.copies],
                "history": [h.to_dict() for h in self.history],
                "max_age_seconds": self.max_age.total_seconds(),
                "history_keep": self.history_keep, "default_url": self.default_url}


def cache_info(cache_dir: str | os.PathLike[str] | None = None) -> CacheInfo:
    """Describe the cache: the copy of each URL (with when it was last checked) and the history."""
    root = _cache_root(cache_dir)
    cache = Cache(root)
    copies: list[CacheMeta] = []
    for meta_path in sorted((root / "current").glob("*/meta.json")):
        try:
            d = json.loads(meta_path.read_bytes())
        except (OSError, ValueError):
            continue
        meta = CacheMeta.from_dict(d) if isinstance(d, dict) else None
        if meta is not None:
            copies.append(meta)
    url = settings.default_url()
    return CacheInfo(root, tuple(copies), tuple(cache.history.items()), settings.max_age(None),
                     settings.history_keep(None), url)


def list_history(cache_dir: str | os.PathLike[str] | None = None) -> list[HistoryItem]:
    """Publications kept in the cache's history, oldest first."""
    return Cache(_cache_root(cache_dir)).history.items()


def load_history_entry(key: str | datetime, *,
                       cache_dir: str | os.PathLike[str] | None = None) -> Ranges:
    """A kept publication named by syncToken (digits) or by date (see
    :func:`awsip.loading.history.parse_history_key`: a bare day means its last publication).

    Raises :class:`~awsip.errors.HistoryError` naming what the history holds.
    """
    cache = Cache(_cache_root(cache_dir))
    if isinstance(key, datetime):
        return cache.history.load(cache.history.in_force_at(_as_utc(key)))
    token, moment = parse_history_key(key)
    if moment is not None:
        return cache.history.load(cache.history.in_force_at(moment))
    items = cache.history.items()
    for item in items:
        if item.sync_token == token:
            return cache.history.load(item)
    kept = ", ".join(i.sync_token for i in items[-5:]) or "none"
    raise HistoryError(f"syncToken {token} is not in the history at {cache.history.dir} "
                       f"(newest kept: {kept}); `awsip history` lists them")


_default: Ranges | None = None
_default_lock = threading.Lock()


def default_ranges() -> Ranges:
    """``load_ranges()`` once per process (what :func:`awsip.lookup` uses)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = load_ranges()
    return _default


def reset_default() -> None:
    """Forget :func:`default_ranges`'s memo (tests, long-running processes after an update)."""
    global _default
    _default = None


__all__ = [
    "CacheInfo",
    "HistoryItem",
    "Publication",
    "UpdateResult",
    "cache_info",
    "default_ranges",
    "list_history",
    "load_bundled",
    "load_file",
    "load_history_entry",
    "load_ranges",
    "update",
]
