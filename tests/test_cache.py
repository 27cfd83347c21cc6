"""The on-disk cache: atomic replacement, concurrent refreshers, and the publication history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from awsip import loading as source
from awsip.errors import HistoryError, UsageError
from awsip.fileio import atomic_write
from awsip.loading.cache import Cache
from awsip.loading.history import parse_history_key
from awsip.ranges import Ranges
from conftest import PUBLICATIONS, RangesServer, Reply, document, sync_token

SRC = Path(__file__).resolve().parents[1] / "src"


def _created(stamp: str) -> datetime:
    return Ranges.from_json(document(stamp)).create_date


def _import_all(publication: Callable[[str], Path], keep: int = 30) -> None:
    for stamp in PUBLICATIONS:
        source.update(str(publication(stamp)), history=keep)


# ------------------------------------------------------------------ atomic writes
def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "f.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_atomic_writes_get_the_usual_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    os.umask(old)
    target = tmp_path / "f.json"
    atomic_write(target, b"x")
    assert target.stat().st_mode & 0o777 == 0o666 & ~old


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.json"
    target.write_bytes(b"good")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        atomic_write(target, b"bad")
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


_REFRESH = """
import sys, warnings
warnings.simplefilter("error")
from awsip import loading as source
r = source.load_ranges(sys.argv[1], max_age=0)
print(r.sync_token, r.origin.kind)
"""


def test_two_processes_refreshing_at_once_both_end_with_the_same_valid_cache(
        ranges_server: RangesServer, cache_path: Path) -> None:
    ranges_server.serve(Reply(document("2026-03-27")))
    source.load_ranges(ranges_server.url)
    # A slow server makes the two refreshes overlap; both revalidate (max_age=0).
    ranges_server.serve(Reply(document("2026-08-22T151705"), delay=0.5))
    env = dict(os.environ, PYTHONPATH=str(SRC))
    procs = [subprocess.Popen([sys.executable, "-c", _REFRESH, ranges_server.url], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    # Meanwhile this process keeps reading the cache without the lock: never a torn file.
    seen: set[str] = set()
    stop = threading.Event()
    errors: list[BaseException] = []

    def read_loop() -> None:
        try:
            while not stop.is_set():
                seen.add(source.load_ranges(ranges_server.url, offline=True).sync_token)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    reader = threading.Thread(target=read_loop)
    reader.start()
    outs = [p.communicate(timeout=60) for p in procs]
    stop.set()
    reader.join()
    assert not errors
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert out.split()[0] == sync_token("2026-08-22T151705")
    assert seen <= {sync_token("2026-03-27"), sync_token("2026-08-22T151705")}
    slot = Cache(cache_path).slot(ranges_server.url)
    assert slot.json_path.read_bytes() == document("2026-08-22T151705")
    meta = json.loads(slot.meta_path.read_text())
    assert meta["sync_token"] == sync_token("2026-08-22T151705")
    leftovers = [p.name for p in slot.dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_process_that_waited_for_the_lock_reuses_the_fresh_refresh(
        ranges_server: RangesServer, cache_path: Path) -> None:
    """Two stale readers at once: the second finds the first one's refresh and makes no request."""
    ranges_server.serve(Reply(document("2026-03-27")))
    source.load_ranges(ranges_server.url)
    slot = Cache(cache_path).slot(ranges_server.url)
    meta = slot.read_meta()
    assert meta is not None
    slot.write_meta(replace(meta, checked_at=datetime.now(timezone.utc) - timedelta(days=2)))
    ranges_server.serve(Reply(document("2026-08-22T151705"), delay=0.5))
    script = _REFRESH.replace("max_age=0", "max_age=3600")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    procs = [subprocess.Popen([sys.executable, "-c", script, ranges_server.url], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert {o.split()[0] for o, _ in outs} == {sync_token("2026-08-22T151705")}
    assert len(ranges_server.requests) == 2  # the priming fetch and one refresh


# ------------------------------------------------------------------ history
def test_history_keeps_every_new_publication_fetched(ranges_server: RangesServer) -> None:
    for stamp in ("2026-03-27", "2026-08-22T115705", "2026-08-22T151705"):
        ranges_server.serve(Reply(document(stamp)))
        source.load_ranges(ranges_server.url, max_age=0)
    items = source.list_history()
    assert [i.sync_token for i in items] == [
        sync_token(s) for s in ("2026-03-27", "2026-08-22T115705", "2026-08-22T151705")]
    newest = items[-1]
    doc = json.loads(document("2026-08-22T151705"))
    assert (newest.ipv4, newest.ipv6) == (len(doc["prefixes"]), len(doc["ipv6_prefixes"]))
    assert newest.source == ranges_server.url and newest.kind == "network"
    assert newest.create_date == _created("2026-08-22T151705")
    assert newest.path.exists()


def test_history_is_pruned_to_the_newest_n(publication: Callable[[str], Path]) -> None:
    _import_all(publication, keep=3)
    items = source.list_history()
    assert [i.sync_token for i in items] == [sync_token(s) for s in PUBLICATIONS[-3:]]
    kept = {p.name for p in items[0].path.parent.iterdir()}
    assert all(not name.startswith(sync_token(s)) for s in PUBLICATIONS[:2] for name in kept)


def test_history_size_comes_from_awsip_history(publication: Callable[[str], Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSIP_HISTORY", "2")
    for stamp in PUBLICATIONS:
        source.update(str(publication(stamp)))
    assert [i.sync_token for i in source.list_history()] == [
        sync_token(s) for s in PUBLICATIONS[-2:]]


def test_at_picks_the_publication_in_force_at_that_moment(
        publication: Callable[[str], Path]) -> None:
    _import_all(publication)
    morning, afternoon = _created("2026-08-22T115705"), _created("2026-08-22T151705")
    between = morning + (afternoon - morning) / 2
    assert source.load_ranges(at=between).sync_token == sync_token("2026-08-22T115705")
    assert source.load_ranges(at=afternoon).sync_token == sync_token("2026-08-22T151705")
    naive = between.replace(tzinfo=None)
    assert source.load_ranges(at=naive).sync_token == sync_token("2026-08-22T115705")
    got = source.load_ranges(at=datetime.now(timezone.utc))
    assert got.sync_token == sync_token("2026-08-22T151705") and got.origin.kind == "cache"


def test_at_before_the_oldest_kept_publication_is_a_clear_error(
        publication: Callable[[str], Path]) -> None:
    _import_all(publication, keep=2)
    oldest = _created(PUBLICATIONS[-2])
    with pytest.raises(HistoryError, match="does not reach back") as info:
        source.load_ranges(at=oldest - timedelta(seconds=1))
    assert f"{oldest:%Y-%m-%d %H:%M:%S} UTC" in str(info.value)
    assert sync_token(PUBLICATIONS[-2]) in str(info.value)


def test_at_with_no_history_says_how_to_start_one() -> None:
    with pytest.raises(HistoryError, match="awsip update"):
        source.load_ranges(at=datetime.now(timezone.utc))


def test_at_and_a_source_together_are_a_usage_error(publication: Callable[[str], Path]) -> None:
    with pytest.raises(UsageError):
        source.load_ranges(str(publication("2026-03-27")), at=datetime.now(timezone.utc))


def test_history_entries_can_be_named_by_sync_token_or_date(
        publication: Callable[[str], Path]) -> None:
    _import_all(publication)
    token = sync_token("2025-03-10T165320")
    assert source.load_history_entry(token).sync_token == token
    # A bare day names its last publication; a moment names the one then in force.
    assert source.load_history_entry("2026-08-22").sync_token == sync_token("2026-08-22T151705")
    assert source.load_history_entry("2025-03-10T15:00").sync_token == sync_token(
        "2025-03-10T135318")
    morning = _created("2026-08-22T115705")
    assert source.load_history_entry(morning).sync_token == sync_token("2026-08-22T115705")
    with pytest.raises(HistoryError, match="syncToken 123 is not in the history"):
        source.load_history_entry("123")
    with pytest.raises(HistoryError, match="neither a syncToken"):
        source.load_history_entry("last tuesday")


def test_parse_history_key_understands_the_documents_own_date_format() -> None:
    assert parse_history_key("2026-08-22-15-17-05") == (
        None, datetime(2026, 8, 22, 15, 17, 5, tzinfo=timezone.utc))
    assert parse_history_key("1787411825") == ("1787411825", None)


def test_importing_the_same_file_twice_adds_it_once(publication: Callable[[str], Path]) -> None:
    first = source.update(str(publication("2026-03-27")))
    second = source.update(str(publication("2026-03-27")))
    assert first.history_added and not second.history_added
    assert second.old is not None and second.old.sync_token == sync_token("2026-03-27")
    assert len(source.list_history()) == 1


def test_cache_info_describes_copies_and_history(ranges_server: RangesServer,
                                                 cache_path: Path) -> None:
    ranges_server.serve(Reply(document("2026-03-27"), headers={"ETag": '"x"'}))
    source.load_ranges(ranges_server.url)
    info = source.cache_info()
    assert info.directory == cache_path
    assert [c.url for c in info.copies] == [ranges_server.url]
    assert info.copies[0].sync_token == sync_token("2026-03-27")
    assert info.copies[0].etag == '"x"'
    assert [h.sync_token for h in info.history] == [sync_token("2026-03-27")]
    assert info.max_age == source.DEFAULT_MAX_AGE
    assert json.loads(json.dumps(info.to_dict()))["history_keep"] == 30


def test_cache_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              cache_path: Path) -> None:
    assert source.cache_dir() == cache_path
    assert source.cache_dir(tmp_path) == tmp_path
    monkeypatch.delenv("AWSIP_CACHE_DIR")
    assert source.cache_dir().name.lower() in {"awsip", "cache"}
