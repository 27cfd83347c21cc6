"""The loader: fetch, revalidate, reject bad downloads, fall back, offline, explicit sources.

Every network test talks to a real HTTP server on 127.0.0.1 (``ranges_server``); the conftest
points every proxy variable at a dead port so nothing can reach the internet.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import warnings
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import awsip
from awsip import loading as source
from awsip.errors import (
    BundledRangesWarning,
    FetchError,
    RangesError,
    RangesWarning,
    UsageError,
)
from awsip.loading import load as load_module
from awsip.loading.cache import Cache
from awsip.ranges import Ranges
from awsip.units import duration
from conftest import RangesServer, Reply, document, sync_token

OLD, NEW = "2026-03-27", "2026-08-22T151705"


def _slot_document(cache: Path, url: str) -> Ranges:
    """Validate what the cache holds for ``url`` straight from disk (not via the loader)."""
    slot = Cache(cache).slot(url, default=url == source.DEFAULT_URL)
    return Ranges.from_json(slot.json_path.read_bytes())


def _prime(server: RangesServer, stamp: str = NEW) -> Ranges:
    server.serve(Reply(document(stamp), headers={"ETag": f'"{stamp}"'}))
    ranges = source.load_ranges(server.url)
    assert ranges.origin.kind == "network"
    return ranges


# ------------------------------------------------------------------ happy paths
def test_first_fetch_downloads_caches_and_then_serves_from_cache(
        ranges_server: RangesServer, cache_path: Path) -> None:
    ranges_server.serve(Reply(document(OLD)))
    first = source.load_ranges(ranges_server.url)
    assert first.origin.kind == "network" and first.origin.location == ranges_server.url
    assert first.sync_token == sync_token(OLD)
    assert first.origin.checked_at is not None
    again = source.load_ranges(ranges_server.url)
    assert again.origin.kind == "cache"
    assert again.sync_token == first.sync_token and again.entries == first.entries
    assert len(ranges_server.requests) == 1, "a fresh cached copy must not be re-fetched"
    assert _slot_document(cache_path, ranges_server.url).sync_token == sync_token(OLD)


def test_requests_name_awsip_and_its_version(ranges_server: RangesServer) -> None:
    _prime(ranges_server)
    agent = ranges_server.requests[0].headers["User-Agent"]
    assert agent.startswith(f"awsip/{awsip.__version__}")


def test_revalidation_sends_validators_and_a_304_resets_the_age(
        ranges_server: RangesServer, cache_path: Path) -> None:
    modified = "Sat, 22 Aug 2026 15:20:00 GMT"
    ranges_server.serve(Reply(document(NEW), conditional=True,
                              headers={"ETag": '"v1"', "Last-Modified": modified}))
    first = source.load_ranges(ranges_server.url)
    assert first.origin.checked_at is not None
    second = source.load_ranges(ranges_server.url, max_age=0)
    sent = ranges_server.requests[1].headers
    assert sent.get("If-None-Match") == '"v1"'
    assert sent.get("If-Modified-Since") == modified
    assert second.origin.kind == "cache" and second.sync_token == first.sync_token
    assert second.origin.checked_at is not None
    assert second.origin.checked_at > first.origin.checked_at
    # The reset age is persisted: a third load within max_age asks nobody.
    third = source.load_ranges(ranges_server.url, max_age=3600)
    assert third.origin.checked_at == second.origin.checked_at
    assert len(ranges_server.requests) == 2


def test_a_newer_publication_replaces_the_cached_copy(
        ranges_server: RangesServer, cache_path: Path) -> None:
    _prime(ranges_server, OLD)
    ranges_server.serve(Reply(document(NEW)))
    fresh = source.load_ranges(ranges_server.url, max_age=0)
    assert fresh.origin.kind == "network" and fresh.sync_token == sync_token(NEW)
    assert _slot_document(cache_path, ranges_server.url).sync_token == sync_token(NEW)


def test_max_age_env_var_controls_revalidation(ranges_server: RangesServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _prime(ranges_server)
    monkeypatch.setenv("AWSIP_MAX_AGE", "0")
    source.load_ranges(ranges_server.url)
    assert len(ranges_server.requests) == 2
    monkeypatch.setenv("AWSIP_MAX_AGE", "3600")
    source.load_ranges(ranges_server.url)
    assert len(ranges_server.requests) == 2


# ------------------------------------------------------------------ failures keep good data
def _html() -> Reply:
    return Reply(b"<!DOCTYPE html><html><body>Sign in to the hotel Wi-Fi</body></html>",
                 headers={"Content-Type": "text/html"})


FAILURES: dict[str, tuple[Callable[[], Reply], str]] = {
    "server error": (lambda: Reply(b"oops", 500), "HTTP 500"),
    "html page": (_html, "HTML page"),
    "invalid json": (lambda: Reply(b'{"syncToken": "1", "createDate": '), "not valid JSON"),
    "not ranges": (lambda: Reply(b'{"hello": "world"}'), "missing key"),
    "truncated": (lambda: Reply(document(NEW), truncate_to=100_000), "cut short"),
    "older syncToken": (lambda: Reply(document(OLD)), "older than the cached"),
    "timeout": (lambda: Reply(document(NEW), delay=1.5), "no answer within"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_a_bad_refresh_warns_and_keeps_the_cached_copy(
        case: str, ranges_server: RangesServer, cache_path: Path) -> None:
    good = _prime(ranges_server, NEW)
    make, problem = FAILURES[case]
    ranges_server.serve(make())
    with pytest.warns(RangesWarning, match=problem) as record:
        got = source.load_ranges(ranges_server.url, max_age=0, timeout=0.5)
    assert ranges_server.url in str(record[0].message)
    assert got.origin.kind == "cache"
    assert got.sync_token == good.sync_token and got.entries == good.entries
    assert _slot_document(cache_path, ranges_server.url).sync_token == good.sync_token


@pytest.mark.parametrize("length", ["declared", "undeclared"])
def test_an_oversize_download_is_abandoned_and_the_cache_kept(
        length: str, ranges_server: RangesServer, cache_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    good = _prime(ranges_server, OLD)
    monkeypatch.setattr(load_module, "MAX_DOCUMENT_BYTES", 1_000_000)
    big = document(NEW)
    # Undeclared: no Content-Length to check up front, the limit must stop the reading.
    ranges_server.serve(Reply(big, headers={} if length == "declared" else {"Content-Length": ""}))
    said = "announces" if length == "declared" else "exceeded the 1,000,000-byte limit"
    with pytest.warns(RangesWarning, match=said):
        got = source.load_ranges(ranges_server.url, max_age=0)
    assert got.sync_token == good.sync_token
    assert _slot_document(cache_path, ranges_server.url).sync_token == good.sync_token


def test_connection_refused_warns_and_uses_the_cache(
        ranges_server: RangesServer, cache_path: Path) -> None:
    good = _prime(ranges_server)
    ranges_server.stop()
    with pytest.warns(RangesWarning, match="cannot connect"):
        got = source.load_ranges(ranges_server.url, max_age=0)
    assert got.sync_token == good.sync_token and got.origin.kind == "cache"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_an_explicit_url_that_cannot_be_fetched_and_was_never_cached_is_an_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}/ip-ranges.json"
    with pytest.raises(FetchError, match=re.escape(f"{url}: cannot connect")):
        source.load_ranges(url)


def test_no_cache_and_a_failed_fetch_fall_back_to_the_bundled_snapshot(
        ranges_server: RangesServer, monkeypatch: pytest.MonkeyPatch, cache_path: Path) -> None:
    ranges_server.serve(_html())
    monkeypatch.setenv("AWSIP_URL", ranges_server.url)
    with pytest.warns(BundledRangesWarning, match="HTML page.*bundled snapshot from"):
        got = source.load_ranges()
    assert got.origin.kind == "bundled"
    assert not (Cache(cache_path).slot(ranges_server.url).json_path.exists())


def test_update_raises_on_a_rejected_download_and_keeps_the_cache(
        ranges_server: RangesServer, cache_path: Path) -> None:
    good = _prime(ranges_server, NEW)
    ranges_server.serve(Reply(document(OLD)))
    with pytest.raises(RangesError, match="older than the cached"):
        source.update(ranges_server.url)
    assert _slot_document(cache_path, ranges_server.url).sync_token == good.sync_token


def test_update_reports_old_and_new_publications(ranges_server: RangesServer) -> None:
    _prime(ranges_server, OLD)
    ranges_server.serve(Reply(document(NEW), conditional=True, headers={"ETag": '"new"'}))
    result = source.update(ranges_server.url)
    assert result.changed and not result.not_modified
    assert result.old is not None and result.old.sync_token == sync_token(OLD)
    assert result.new.sync_token == sync_token(NEW)
    new_doc = json.loads(document(NEW))
    assert result.new.ipv4 == len(new_doc["prefixes"])
    assert result.new.ipv6 == len(new_doc["ipv6_prefixes"])
    again = source.update(ranges_server.url)
    assert again.not_modified and not again.changed
    assert ranges_server.requests[-1].headers.get("If-None-Match") == '"new"'
    assert json.loads(json.dumps(again.to_dict()))["new"]["sync_token"] == sync_token(NEW)


# ------------------------------------------------------------------ offline and bundled
def test_offline_with_an_empty_cache_uses_the_bundled_snapshot_and_says_how_old(
        ranges_server: RangesServer) -> None:
    with pytest.warns(BundledRangesWarning) as record:
        got = source.load_ranges(offline=True)
    message = str(record[0].message)
    assert got.origin.kind == "bundled"
    assert f"bundled snapshot from {got.create_date:%Y-%m-%d %H:%M} UTC" in message
    assert f"({duration(got.age.total_seconds())} old)" in message and "awsip update" in message
    assert ranges_server.requests == []


def test_offline_env_var_uses_a_stale_cache_without_asking(
        ranges_server: RangesServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSIP_URL", ranges_server.url)
    good = _prime(ranges_server)
    monkeypatch.setenv("AWSIP_OFFLINE", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = source.load_ranges(max_age=0)
    assert got.origin.kind == "cache" and got.sync_token == good.sync_token
    assert len(ranges_server.requests) == 1


def test_offline_with_an_explicit_url_never_cached_is_an_error(
        ranges_server: RangesServer) -> None:
    with pytest.raises(FetchError, match="offline and no cached copy"):
        source.load_ranges(ranges_server.url, offline=True)
    assert ranges_server.requests == []


def test_bundled_snapshot_matches_its_json_and_reuses_its_compact_form(cache_path: Path) -> None:
    first = source.load_bundled()
    assert (cache_path / "bundled.marshal").exists()
    second = source.load_bundled()
    parsed = Ranges.from_json(gzip.decompress(load_module._bundled_bytes()))
    for r in (first, second):
        assert r.origin.kind == "bundled"
        assert (r.sync_token, r.create_date, r.entries) == (
            parsed.sync_token, parsed.create_date, parsed.entries)
        assert dict(r.breadth_table()) == dict(parsed.breadth_table())


def test_the_default_source_without_network_falls_back_to_bundled() -> None:
    # The conftest's proxies point at a dead port: AWS's URL cannot be reached.
    with pytest.warns(BundledRangesWarning, match=r"could not fetch.*bundled snapshot"):
        got = source.load_ranges(timeout=2)
    assert got.origin.kind == "bundled"
    # The next call does not pay for another attempt (think of a black-holed network).
    with pytest.warns(BundledRangesWarning, match=r"the last attempt, \d+ s ago, failed"):
        assert source.load_ranges(timeout=2).origin.kind == "bundled"


# ------------------------------------------------------------------ explicit sources
@pytest.mark.parametrize("gzipped", [True, False])
def test_a_local_path_is_read_as_a_file_source(gzipped: bool, tmp_path: Path,
                                               publication: Callable[[str], Path]) -> None:
    path = publication(OLD)
    if not gzipped:
        path = tmp_path / "ip-ranges.json"
        path.write_bytes(document(OLD))
    got = source.load_ranges(str(path))
    assert got.origin.kind == "file" and got.origin.location == str(path.resolve())
    assert got.sync_token == sync_token(OLD)
    assert source.load_ranges(path).sync_token == sync_token(OLD)  # os.PathLike too


def test_awsip_url_may_name_a_path_or_a_url(ranges_server: RangesServer, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            publication: Callable[[str], Path]) -> None:
    monkeypatch.setenv("AWSIP_URL", str(publication(OLD)))
    assert source.load_ranges().origin.kind == "file"
    monkeypatch.setenv("AWSIP_URL", ranges_server.url)
    ranges_server.serve(Reply(document(NEW)))
    got = source.load_ranges()
    assert got.origin.location == ranges_server.url and got.sync_token == sync_token(NEW)


def test_a_missing_file_is_an_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(FetchError, match=re.escape(str(missing))):
        source.load_ranges(str(missing))


def test_a_gzipped_mirror_is_accepted(ranges_server: RangesServer) -> None:
    ranges_server.serve(Reply(gzip.compress(document(OLD)),
                              headers={"Content-Type": "application/gzip"}))
    assert source.load_ranges(ranges_server.url).sync_token == sync_token(OLD)


def test_unsupported_schemes_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match=re.escape("s3://bucket/ip-ranges.json")):
        source.load_ranges("s3://bucket/ip-ranges.json")


def test_proxy_variables_are_honoured(ranges_server: RangesServer,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = ranges_server.url.rsplit("/", 1)[0]
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy)
    ranges_server.serve(Reply(document(OLD)))
    got = source.load_ranges("http://ranges.example.invalid/ip-ranges.json")
    assert got.sync_token == sync_token(OLD)
    assert ranges_server.requests[0].path == "http://ranges.example.invalid/ip-ranges.json"


# ------------------------------------------------------------------ warm start
def test_a_warm_load_uses_the_compact_form_without_reading_the_json(
        ranges_server: RangesServer, cache_path: Path) -> None:
    good = _prime(ranges_server)
    slot = Cache(cache_path).slot(ranges_server.url)
    slot.json_path.write_bytes(b"not read on the warm path")
    got = source.load_ranges(ranges_server.url)
    assert got.origin.kind == "cache" and got.entries == good.entries
    assert got.lookup("52.216.58.42").service == good.lookup("52.216.58.42").service


def test_a_stale_or_corrupt_compact_form_is_ignored_and_rebuilt(
        ranges_server: RangesServer, cache_path: Path) -> None:
    good = _prime(ranges_server)
    slot = Cache(cache_path).slot(ranges_server.url)
    slot.compact_path.write_bytes(b"\x00garbage")
    got = source.load_ranges(ranges_server.url)
    assert got.entries == good.entries
    assert slot.compact_path.read_bytes() != b"\x00garbage"


def test_default_ranges_is_loaded_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def fake() -> Ranges:
        calls.append(1)
        return source.load_bundled()

    monkeypatch.setattr(load_module, "load_ranges", fake)
    monkeypatch.setattr(load_module, "_default", None)
    assert source.default_ranges() is source.default_ranges()
    assert calls == [1]


def test_max_age_accepts_a_timedelta(ranges_server: RangesServer) -> None:
    _prime(ranges_server)
    source.load_ranges(ranges_server.url, max_age=timedelta(hours=1))
    assert len(ranges_server.requests) == 1


def test_a_failed_refresh_is_not_retried_at_once(ranges_server: RangesServer,
                                                 cache_path: Path) -> None:
    good = _prime(ranges_server)
    slot = Cache(cache_path).slot(ranges_server.url)
    meta = slot.read_meta()
    assert meta is not None
    # stale under the default max_age
    slot.write_meta(replace(meta, checked_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    ranges_server.serve(Reply(b"down for maintenance", 503))
    with pytest.warns(RangesWarning, match="HTTP 503"):
        source.load_ranges(ranges_server.url)
    assert len(ranges_server.requests) == 2
    with pytest.warns(RangesWarning, match=r"the last attempt, \d+ s ago, failed.*HTTP 503"):
        got = source.load_ranges(ranges_server.url)
    assert got.sync_token == good.sync_token
    assert len(ranges_server.requests) == 2, "a failure just now must not be retried"
    # max_age=0 (revalidate now) and update() do retry; success clears the failure.
    ranges_server.serve(Reply(document(NEW)))
    assert source.load_ranges(ranges_server.url, max_age=0).origin.kind == "network"
    assert not slot.failure_path.exists()


def test_an_unusable_cache_directory_still_gets_fresh_data(ranges_server: RangesServer,
                                                           tmp_path: Path) -> None:
    not_a_dir = tmp_path / "cache-is-a-file"
    not_a_dir.write_text("")
    ranges_server.serve(Reply(document(OLD)))
    with pytest.warns(RangesWarning, match="cannot write the awsip cache"):
        got = source.load_ranges(ranges_server.url, cache_dir=not_a_dir)
    assert got.origin.kind == "network" and got.sync_token == sync_token(OLD)
    with pytest.raises(FetchError, match="AWSIP_CACHE_DIR"):
        source.update(ranges_server.url, cache_dir=not_a_dir)


def test_tls_is_verified_and_requests_ca_bundle_is_honoured(
        tls_ranges_server: RangesServer, self_signed_cert: tuple[Path, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    tls_ranges_server.serve(Reply(document(OLD)))
    with pytest.raises(FetchError, match=r"TLS verification failed.*REQUESTS_CA_BUNDLE"):
        source.load_ranges(tls_ranges_server.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(self_signed_cert[0]))
    got = source.load_ranges(tls_ranges_server.url)
    assert got.origin.kind == "network" and got.sync_token == sync_token(OLD)


def test_update_makes_default_ranges_see_the_new_publication(
        ranges_server: RangesServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSIP_URL", ranges_server.url)
    monkeypatch.setattr(load_module, "_default", None)
    ranges_server.serve(Reply(document(OLD)))
    assert source.default_ranges().sync_token == sync_token(OLD)
    ranges_server.serve(Reply(document(NEW)))
    assert source.update().changed
    assert source.default_ranges().sync_token == sync_token(NEW)
