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
* **Offline** (``offline=True`` or ``AWSIP_OFFLINE=1``): the cache only, else the bundled snapshot.
* **Explicit sources**: a path (plain or gzipped; origin ``file``) is read as is, never cached. A
  URL (``http``/``https``, e.g. a mirror) is fetched and cached under its own key, with the same
  freshness and validation rules; if it cannot be obtained and was not cached, that is an error
  (:class:`~awsip.errors.FetchError`), not a silent switch to other data. ``AWSIP_URL`` replaces
  the default URL and, like it, falls back to the bundled snapshot.
* **History**: every new publication fetched is also kept under its syncToken (newest
  ``AWSIP_HISTORY``, default 30); ``load_ranges(at=...)`` and :func:`load_history_entry` read it,
  offline.

HTTP goes through :mod:`requests` (imported only when fetching): TLS verified, ``(10, 30)`` second
(connect, read) timeouts (``AWSIP_TIMEOUT``), ``HTTPS_PROXY``/``NO_PROXY`` and
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` honoured, ``User-Agent: awsip/<version>``.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
import warnings
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .cache import (
    DEFAULT_HISTORY,
    Cache,
    CacheMeta,
    HistoryItem,
    Slot,
    parse_history_key,
    read_compact,
    sha256,
    utcnow,
    write_compact,
)
from .errors import (
    BundledRangesWarning,
    FetchError,
    HistoryError,
    RangesError,
    RangesWarning,
    UsageError,
)
from .ranges import Origin, Ranges

#: AWS's publication.
DEFAULT_URL = "https://ip-ranges.amazonaws.com/ip-ranges.json"
#: How long a cached copy is used without asking the server (``AWSIP_MAX_AGE``, seconds).
DEFAULT_MAX_AGE = timedelta(hours=12)
#: (connect, read) timeouts in seconds (``AWSIP_TIMEOUT`` sets both).
DEFAULT_TIMEOUT = (10.0, 30.0)
#: After a failed refresh, the cached copy is used (with a warning) without retrying for this
#: long (or ``max_age``, if shorter), so a dead network costs one timeout, not one per call.
RETRY_AFTER = timedelta(minutes=5)
#: Downloads larger than this are abandoned (the real document is about 2.6 MB).
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024

_BUNDLED = "data/ip-ranges.json.gz"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

# --------------------------------------------------------------------------- settings
def cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory: ``cache_dir``, else ``AWSIP_CACHE_DIR``, else
    ``platformdirs.user_cache_dir("awsip")`` (e.g. ``~/.cache/awsip`` on Linux,
    ``~/Library/Caches/awsip`` on macOS, ``%LOCALAPPDATA%\\awsip\\Cache`` on Windows)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("AWSIP_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("awsip", appauthor=False))


def _env_number(name: str) -> float | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{name}={text!r} is not a number of seconds") from None
    if value < 0:
        raise UsageError(f"{name}={text!r} must not be negative")
    return value


def _offline(offline: bool | None) -> bool:
    if offline is not None:
        return offline
    text = os.environ.get("AWSIP_OFFLINE", "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"AWSIP_OFFLINE={text!r}: use 1 (offline) or 0")


def _max_age(max_age: timedelta | float | None) -> timedelta:
    if max_age is None:
        seconds = _env_number("AWSIP_MAX_AGE")
        return DEFAULT_MAX_AGE if seconds is None else timedelta(seconds=seconds)
    return max_age if isinstance(max_age, timedelta) else timedelta(seconds=max_age)


def _timeout(timeout: float | tuple[float, float] | None) -> tuple[float, float]:
    if timeout is None:
        seconds = _env_number("AWSIP_TIMEOUT")
        return DEFAULT_TIMEOUT if seconds is None else (seconds, seconds)
    if isinstance(timeout, tuple):
        return (float(timeout[0]), float(timeout[1]))
    return (float(timeout), float(timeout))


def _history_keep(history: int | None) -> int:
    if history is not None:
        return history
    text = os.environ.get("AWSIP_HISTORY", "").strip()
    if not text:
        return DEFAULT_HISTORY
    if not text.isdigit():
        raise UsageError(f"AWSIP_HISTORY={text!r} is not a whole number of publications")
    return int(text)


def _as_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


def _ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


# --------------------------------------------------------------------------- HTTP
@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str


def _download(url: str, *, etag: str | None, last_modified: str | None,
              timeout: tuple[float, float], max_bytes: int) -> _Response:
    """One (conditional) GET; raise :class:`FetchError` saying what went wrong and what to do."""
    import requests

    from . import __version__

    headers = {
        "User-Agent": f"awsip/{__version__} (+https://pypi.org/project/awsip/) "
                      f"python-requests/{requests.__version__}",
        "Accept": "application/json",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        # trust_env (the default): proxies and the CA bundle come from the environment.
        with requests.Session() as session, session.get(
                url, headers=headers, timeout=timeout, stream=True, verify=True) as resp:
            if resp.status_code == 304:
                return _Response(304, b"", resp.headers.get("ETag") or etag,
                                 resp.headers.get("Last-Modified") or last_modified, "")
            if resp.status_code != 200:
                raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason}; the server "
                                 "did not return the document, try again later")
            declared = resp.headers.get("Content-Length", "")
            encoded = resp.headers.get("Content-Encoding", "identity") != "identity"
            if declared.isdigit() and int(declared) > max_bytes and not encoded:
                raise FetchError(f"{url}: the server announces {int(declared):,} bytes, more "
                                 f"than the {max_bytes:,}-byte limit; is this the right URL?")
            body = bytearray()
            for chunk in resp.iter_content(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"{url}: download exceeded the {max_bytes:,}-byte limit "
                                     "and was abandoned; is this the right URL?")
            if declared.isdigit() and not encoded and len(body) != int(declared):
                raise FetchError(f"{url}: download cut short ({len(body):,} of "
                                 f"{int(declared):,} bytes); try again")
            return _Response(200, bytes(body), resp.headers.get("ETag"),
                             resp.headers.get("Last-Modified"),
                             resp.headers.get("Content-Type", ""))
    except requests.exceptions.SSLError as exc:
        raise FetchError(f"{url}: TLS verification failed ({_short(exc)}); behind an "
                         "intercepting proxy, point REQUESTS_CA_BUNDLE at its CA certificate"
                         ) from None
    except requests.exceptions.ProxyError as exc:
        raise FetchError(f"{url}: the proxy failed ({_short(exc)}); check HTTPS_PROXY / "
                         "NO_PROXY, or use --offline") from None
    except requests.exceptions.Timeout:
        raise FetchError(f"{url}: no answer within {timeout[0]:g} s (connect) / {timeout[1]:g} s "
                         "(read); raise AWSIP_TIMEOUT or use --offline") from None
    except requests.exceptions.ConnectionError as exc:
        if "IncompleteRead" in str(exc):  # urllib3 reports a short body this way on some paths
            raise FetchError(f"{url}: download cut short ({exc}); try again") from None
        raise FetchError(f"{url}: cannot connect ({_short(exc)}); check the network or proxy "
                         "settings, or use --offline") from None
    except (requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as exc:
        raise FetchError(f"{url}: download cut short ({_short(exc)}); try again") from None
    except requests.exceptions.RequestException as exc:
        raise FetchError(f"{url}: request failed ({_short(exc)})") from None


def _short(exc: BaseException) -> str:
    """The root cause of a requests/urllib3 error, without the retry and pool wrapping."""
    cause: object = exc
    for _ in range(4):
        inner = cause.args[0] if isinstance(cause, Exception) and cause.args else None
        reason = getattr(inner, "reason", None) or getattr(cause, "reason", None)
        if isinstance(reason, Exception) and reason is not cause:
            cause = reason
        elif isinstance(cause, Exception) and len(cause.args) > 1 and isinstance(
                cause.args[-1], Exception):
            cause = cause.args[-1]  # ProxyError('Unable to connect to proxy', <the cause>)
        else:
            break
    text = str(cause)
    if text.startswith(("HTTPConnection(", "HTTPSConnection(", "<urllib3")) and "): " in text:
        text = text.split("): ", 1)[1]
    return text if len(text) <= 200 else text[:200] + "..."


def _decode(raw: bytes, where: str, *, content_type: str = "",
            origin: Origin | None = None) -> Ranges:
    """Validate a downloaded or read document (plain or gzip) into :class:`Ranges`."""
    if raw[:2] == b"\x1f\x8b":
        try:
            inflater = zlib.decompressobj(wbits=31)
            data = inflater.decompress(raw, MAX_DOCUMENT_BYTES + 1)
        except zlib.error as exc:
            raise RangesError(f"{where}: corrupt gzip data ({exc})") from None
        if len(data) > MAX_DOCUMENT_BYTES:
            raise RangesError(f"{where}: decompresses to more than {MAX_DOCUMENT_BYTES:,} bytes")
        if not inflater.eof:
            raise RangesError(f"{where}: gzip data is truncated")
        raw = data
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
        ranges = _decode(gz, f"awsip/{_BUNDLED}", origin=origin)
        write_compact(compact, key, ranges)
    return ranges


def _bundled_fallback(root: Path, reason: str) -> Ranges:
    ranges = load_bundled(cache_dir=root)
    warnings.warn(
        f"{reason}; using the bundled snapshot from {ranges.create_date:%Y-%m-%d %H:%M} UTC "
        f"({ranges.age.days} days old); run `awsip update` when online",
        BundledRangesWarning, stacklevel=3)
    return ranges


def _cache_root(value: str | os.PathLike[str] | None) -> Path:
    return cache_dir(value)


# --------------------------------------------------------------------------- refresh
@dataclass(frozen=True)
class PublicationSummary:
    """syncToken, createDate and prefix counts of one publication."""

    sync_token: str
    create_date: datetime
    ipv4: int
    ipv6: int

    @classmethod
    def of(cls, ranges: Ranges) -> PublicationSummary:
        return cls(ranges.sync_token, ranges.create_date, len(ranges.ipv4), len(ranges.ipv6))

    def to_dict(self) -> dict[str, Any]:
        return {"sync_token": self.sync_token, "create_date": self.create_date.isoformat(),
                "ipv4": self.ipv4, "ipv6": self.ipv6}


@dataclass(frozen=True)
class UpdateResult:
    """What :func:`update` did.

    ``old`` is the cached publication before (None if there was none), ``new`` the one cached
    now. ``changed`` is True when a different publication replaced the cached one;
    ``not_modified`` when the server answered 304 (or sent the same syncToken).
    """

    location: str
    old: PublicationSummary | None
    new: PublicationSummary
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
             timeout: tuple[float, float], keep: int) -> UpdateResult:
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
            summary = PublicationSummary.of(cached)
            return UpdateResult(slot.url, summary, summary, False, True, cached)
        try:
            return _fetch_into(cache, slot, meta, cached, timeout=timeout, keep=keep)
        except (FetchError, RangesError) as exc:
            slot.note_failure(str(exc))
            raise


def _fetch_into(cache: Cache, slot: Slot, meta: CacheMeta | None, cached: Ranges | None, *,
                timeout: tuple[float, float], keep: int) -> UpdateResult:
    """One conditional GET; store the result if it is acceptable (caller holds the lock)."""
    old = PublicationSummary.of(cached) if cached else None
    resp = _download(slot.url, etag=meta.etag if meta else None,
                     last_modified=meta.last_modified if meta else None,
                     timeout=timeout, max_bytes=MAX_DOCUMENT_BYTES)
    now = utcnow()
    if resp.status == 304:
        if meta is None or cached is None:
            raise FetchError(f"{slot.url}: the server answered 304 Not Modified to an "
                             "unconditional request")
        meta = replace(meta, checked_at=now, etag=resp.etag, last_modified=resp.last_modified)
        slot.write_meta(meta)
        slot.clear_failure()
        ranges = replace(cached, origin=Origin("cache", str(slot.json_path), now))
        return UpdateResult(slot.url, old, PublicationSummary.of(ranges), False, True, ranges)
    ranges = _decode(resp.body, slot.url, content_type=resp.content_type,
                     origin=Origin("network", slot.url, now))
    if cached is not None and int(ranges.sync_token) < int(cached.sync_token):
        raise RangesError(
            f"{slot.url}: served syncToken {ranges.sync_token} (created "
            f"{ranges.create_date:%Y-%m-%d %H:%M} UTC), older than the cached "
            f"{cached.sync_token} ({cached.create_date:%Y-%m-%d %H:%M} UTC); a stale mirror "
            "or cache in between? The cached copy is kept")
    digest = sha256(resp.body)
    new_meta = CacheMeta(slot.url, ranges.sync_token, ranges.create_date, now, now, digest,
                         len(resp.body), len(ranges.ipv4), len(ranges.ipv6), resp.etag,
                         resp.last_modified)
    if meta is not None and meta.sha256 == digest:
        slot.write_meta(replace(new_meta, fetched_at=meta.fetched_at))
    else:
        slot.store(resp.body, ranges, new_meta)
    slot.clear_failure()
    added = cache.add_history(resp.body, ranges, slot.url, "network", keep)
    same = cached is not None and cached.sync_token == ranges.sync_token
    return UpdateResult(slot.url, old, PublicationSummary.of(ranges), not same, same,
                        ranges, added)


def _warn_cached(problem: str, cached: Ranges) -> None:
    checked = cached.origin.checked_at
    when = f"last confirmed {_ago(utcnow() - checked)} ago" if checked else "cached"
    warnings.warn(
        f"{problem}; using the cached copy (syncToken {cached.sync_token}, published "
        f"{cached.create_date:%Y-%m-%d %H:%M} UTC, {when})", RangesWarning, stacklevel=3)


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


def load_file(path: str | os.PathLike[str]) -> Ranges:
    """Read and validate an ip-ranges.json file, plain or gzipped (origin ``file``)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise RangesError(f"{p}: {size:,} bytes, more than the {MAX_DOCUMENT_BYTES:,}-byte "
                              "limit; is this ip-ranges.json?")
        raw = p.read_bytes()
    except OSError as exc:
        raise FetchError(f"cannot read {p}: {exc.strerror or exc}; give the path of an "
                         "ip-ranges.json file (plain or .gz) or a URL") from None
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
        if source is not None:
            raise UsageError("give either a source or at=, not both (at= reads the history)")
        cache = Cache(root)
        return cache.load_history(cache.in_force_at(_as_utc(at)))
    off = _offline(offline)
    explicit = source is not None
    text = os.fspath(source) if source is not None else (os.environ.get("AWSIP_URL") or None)
    if text is None:
        url = DEFAULT_URL
    else:
        path = _as_path(text)
        if path is not None:
            return load_file(path)
        url = text
    cache = Cache(root)
    slot = cache.slot(url, default=url == DEFAULT_URL)
    meta = slot.read_meta()
    age = _max_age(max_age)
    now = utcnow()
    if meta is not None and (off or _fresh(meta, age, now)):
        ranges = slot.load(meta)
        if ranges is not None:
            return ranges
    failed = None if off else slot.last_failure()
    if failed is not None and _backing_off(failed[0], meta, age, now):
        problem = (f"not refreshing {url}: the last attempt, {_ago(now - failed[0])} ago, "
                   f"failed ({failed[1]}); next try after {_ago(RETRY_AFTER)}")
        ranges = slot.load(meta)
        if ranges is not None:
            _warn_cached(problem, ranges)
            return ranges
        if not explicit:  # an explicitly named URL is always tried: the user may have fixed it
            return _bundled_fallback(root, problem)
    if off:
        ranges = slot.load(meta)
        if ranges is not None:
            return ranges
        reason = f"offline and no cached copy of {url} in {root}"
        if explicit:
            raise FetchError(f"{reason}; go online, or give a local file instead")
        return _bundled_fallback(root, reason)
    seconds = _timeout(timeout)
    try:
        return _refresh(cache, slot, force=False, max_age=age, timeout=seconds,
                        keep=_history_keep(history)).ranges
    except OSError as exc:
        # The cache directory is unusable (not writable, a file, a full disk): still answer
        # with fresh data when the network allows, and say how to fix the cache.
        warnings.warn(f"cannot write the awsip cache in {root} ({exc}); set AWSIP_CACHE_DIR to "
                      "a writable directory", RangesWarning, stacklevel=2)
        try:
            return _fetch_uncached(url, seconds)
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
    resp = _download(url, etag=None, last_modified=None, timeout=timeout,
                     max_bytes=MAX_DOCUMENT_BYTES)
    return _decode(resp.body, url, content_type=resp.content_type,
                   origin=Origin("network", url, utcnow()))


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
    keep = _history_keep(history)
    text = os.fspath(source) if source is not None else (
        os.environ.get("AWSIP_URL") or DEFAULT_URL)
    path = _as_path(text)
    if path is not None:
        ranges = load_file(path)
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        before = {i.sync_token: i for i in cache.history()}
        try:
            with cache.lock():
                added = cache.add_history(raw, ranges, str(path.resolve()), "file", keep)
        except OSError as exc:
            raise FetchError(f"cannot write the awsip cache history in {root} ({exc}); set "
                             "AWSIP_CACHE_DIR to a writable directory") from None
        prev = before.get(ranges.sync_token)
        old = (PublicationSummary(prev.sync_token, prev.create_date, prev.ipv4, prev.ipv6)
               if prev else None)
        return UpdateResult(str(path), old, PublicationSummary.of(ranges), added, not added,
                            ranges, added)
    slot = cache.slot(text, default=text == DEFAULT_URL)
    try:
        result = _refresh(cache, slot, force=True, max_age=timedelta(0),
                          timeout=_timeout(timeout), keep=keep)
    except OSError as exc:
        raise FetchError(f"cannot write the awsip cache in {root} ({exc}); set AWSIP_CACHE_DIR "
                         "to a writable directory") from None
    if source is None and result.changed:
        _reset_default()  # this process's default_ranges() now sees the new publication
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
    url = os.environ.get("AWSIP_URL") or DEFAULT_URL
    return CacheInfo(root, tuple(copies), tuple(cache.history()), _max_age(None),
                     _history_keep(None), url)


def list_history(cache_dir: str | os.PathLike[str] | None = None) -> list[HistoryItem]:
    """Publications kept in the cache's history, oldest first."""
    return Cache(_cache_root(cache_dir)).history()


def load_history_entry(key: str | datetime, *,
                       cache_dir: str | os.PathLike[str] | None = None) -> Ranges:
    """A kept publication named by syncToken (digits) or by date (see
    :func:`awsip.cache.parse_history_key`: a bare day means its last publication).

    Raises :class:`~awsip.errors.HistoryError` naming what the history holds.
    """
    cache = Cache(_cache_root(cache_dir))
    if isinstance(key, datetime):
        return cache.load_history(cache.in_force_at(_as_utc(key)))
    token, moment = parse_history_key(key)
    if moment is not None:
        return cache.load_history(cache.in_force_at(moment))
    items = cache.history()
    for item in items:
        if item.sync_token == token:
            return cache.load_history(item)
    kept = ", ".join(i.sync_token for i in items[-5:]) or "none"
    raise HistoryError(f"syncToken {token} is not in the history at {cache.history_dir} "
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


def _reset_default() -> None:
    """Forget :func:`default_ranges`'s memo (tests, long-running processes after an update)."""
    global _default
    _default = None


__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "MAX_DOCUMENT_BYTES",
    "RETRY_AFTER",
    "CacheInfo",
    "HistoryItem",
    "PublicationSummary",
    "UpdateResult",
    "cache_dir",
    "cache_info",
    "default_ranges",
    "list_history",
    "load_bundled",
    "load_file",
    "load_history_entry",
    "load_ranges",
    "update",
]
