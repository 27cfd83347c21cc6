"""A cache that proves itself: one flipped bit in any cache file never gives a wrong answer or a
crash; it gives one warning naming the file, which is rebuilt or moved aside, and the answer
comes from verified data. Also: a truncated index in use cannot kill the process, and the
temporary files of killed writers are removed by the next writer.

Each trial flips one bit at a seeded position (spread over the header and the payload) in a
fresh copy of a cache directory built once for the module, then asks through the public API
(``load_ranges`` with ``cache_dir``, ``lookup``, ``classify``) for a fixed set of addresses at
prefix boundaries and compares with the brute-force oracle.

So that the rebuilds of 30 trials per kind take seconds, the publications here are parts of
real ones (~1,500 entries: 54.0.0.0/8 and 2600:1f00::/24), also as the bundled snapshot
(``_bundled_bytes`` patched); the files and code paths are the real ones. tests/test_index_store.py
damages the index of the real bundled snapshot.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import awsip
from awsip.errors import BundledRangesWarning, FetchError, HistoryError, RangesWarning
from awsip.fileio import STALE_TEMP_AGE, atomic_write
from awsip.index.bulk import BulkIndex
from awsip.loading import DEFAULT_URL
from awsip.loading import load as load_module
from awsip.loading.cache import Cache, CacheMeta, read_compact, sha256
from awsip.ranges import Ranges
from awsip.ranges.model import Origin
from conftest import DATA, RangesServer, Reply, document
from oracle import Oracle, boundary_addresses

SRC = Path(__file__).resolve().parents[1] / "src"
MIRROR = "https://mirror.example.invalid/ip-ranges.json"
OLD, NEW = "2026-08-22T115705", "2026-08-22T151705"
#: Flips per file kind: half in the first 256 bytes (magic, digest, header), half anywhere.
FLIPS = 30


@functools.cache
def _small_document(stamp: str = "2026-03-27") -> bytes:
    """A valid publication of ~1,500 entries: 54.0.0.0/8 and 2600:1f00::/24 of ``stamp``."""
    doc = json.loads(document(stamp))
    doc["prefixes"] = [p for p in doc["prefixes"] if p["ip_prefix"].startswith("54.")]
    doc["ipv6_prefixes"] = [p for p in doc["ipv6_prefixes"]
                            if p["ipv6_prefix"].startswith("2600:1f")
                            and int(p["ipv6_prefix"].split("/")[1]) >= 24]
    return json.dumps(doc, indent=2).encode()


#: The bundled snapshot of this module's tests (see the module doc).
SMALL_BUNDLED = gzip.compress(_small_document(NEW), mtime=0)


@pytest.fixture
def small_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled snapshot is :data:`SMALL_BUNDLED` during the test."""
    monkeypatch.setattr(load_module, "_bundled_bytes", lambda: SMALL_BUNDLED)
    monkeypatch.setattr(load_module, "_bundled_reference", _small_reference)


@functools.lru_cache(maxsize=1)
def _small_reference() -> Ranges:
    return Ranges.from_json(gzip.decompress(SMALL_BUNDLED))


@dataclass(frozen=True)
class Truth:
    """Addresses and what the oracle says about them: (prefix, service, region) each."""

    addresses: list[str]
    expected: list[tuple[str | None, str | None, str | None]]


def _truth(doc: dict[str, Any], extra: list[str], count: int = 160) -> Truth:
    boundaries = boundary_addresses(doc)
    sample = random.Random(4).sample(boundaries, min(count, len(boundaries))) + extra
    oracle = Oracle(doc)
    return Truth(sample, [(e.prefix, e.service, e.region) for e in map(oracle.enumerate, sample)])


def _answers(ranges: Ranges, truth: Truth, *, bulk: bool = True) -> None:
    """``lookup`` (and ``classify`` unless not ``bulk``) agree with the oracle on every
    address."""
    got = [(m.prefix, m.service, m.region) for m in
           (awsip.lookup(a, ranges) for a in truth.addresses)]
    wrong = [(a, g, e) for a, g, e in zip(truth.addresses, got, truth.expected, strict=True)
             if g != e]
    assert not wrong, f"lookup: {wrong[:3]}"
    if not bulk:
        return
    table = awsip.classify(truth.addresses, ranges)
    rows = list(zip(table["prefix"].to_pylist(), table["service"].to_pylist(),
                    table["region"].to_pylist(), strict=True))
    wrong = [(a, g, e) for a, g, e in zip(truth.addresses, rows, truth.expected, strict=True)
             if g != e]
    assert not wrong, f"classify: {wrong[:3]}"


@dataclass(frozen=True)
class Pristine:
    root: Path
    mirror: Truth
    bundled: Truth
    history: Truth
    mirror_dir: Path
    default_dir: Path


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    """A cache directory with every kind of file, all verified once: the mirror's copy (with
    compact form and index), AWS's copy (no compact form: its JSON is parsed again), the bundled
    snapshot's compact form and index, two history entries (see the module doc)."""
    root = tmp_path_factory.mktemp("pristine")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load_module, "_bundled_bytes", lambda: SMALL_BUNDLED)
        patch.setattr(load_module, "_bundled_reference", _small_reference)
        filled = _fill(root, tmp_path_factory.mktemp("publications"))
    return filled


def _fill(root: Path, files: Path) -> Pristine:
    cache = Cache(root)
    now = datetime.now(timezone.utc)
    for url, raw in ((MIRROR, _small_document()), (DEFAULT_URL, _small_document(NEW))):
        slot = cache.slot(url, default=url == DEFAULT_URL)
        ranges = Ranges.from_json(raw, origin=Origin("network", url, now))
        meta = CacheMeta(url, ranges.sync_token, ranges.create_date, now, now, sha256(raw),
                         len(raw), len(ranges.ipv4), len(ranges.ipv6))
        slot.store(raw, ranges, meta)
    default = cache.slot(DEFAULT_URL, default=True)
    default.compact_path.unlink()
    for stamp in (OLD, NEW):
        (files / f"{stamp}.json").write_bytes(_small_document(stamp))
        awsip.loading.update(str(files / f"{stamp}.json"), cache_dir=root)
    extra = ["54.0.0.0", "53.255.255.255", "55.0.0.0", "8.8.8.8", "::1"]
    mirror = _truth(json.loads(_small_document()), extra)
    bundled = _truth(json.loads(_small_document(NEW)), extra)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        offline = awsip.load_ranges(MIRROR, cache_dir=root, offline=True)
        assert offline.origin.kind == "cache"
        _answers(offline, mirror)  # writes compact.index
        snapshot = awsip.loading.load_bundled(cache_dir=root)
        _answers(snapshot, bundled)  # writes bundled.index
    assert {p.name for p in root.rglob("*") if p.is_file()} >= {
        "compact.marshal", "compact.index", "bundled.marshal", "bundled.index", "meta.json",
        "ip-ranges.json", f"{_token(NEW)}.json.gz", f"{_token(NEW)}.meta.json"}
    return Pristine(root, mirror, bundled, bundled, cache.slot(MIRROR).dir, default.dir)


def _token(stamp: str) -> str:
    return str(json.loads(document(stamp))["syncToken"])


def _positions(size: int, seed: int) -> list[tuple[int, int]]:
    """(byte, bit) pairs: half in the first 256 bytes, half anywhere; deterministic."""
    rng = random.Random(seed)
    head = [rng.randrange(min(size, 256)) for _ in range(FLIPS // 2)]
    rest = [rng.randrange(size) for _ in range(FLIPS - len(head))]
    return [(at, rng.randrange(8)) for at in head + rest]


@dataclass
class Trial:
    root: Path
    path: Path
    warned: list[str]
    #: whether to classify too: every fifth trial of the kinds that are not the bulk index
    #: (``classify`` costs a 32 MiB table per process; its index is what the index kinds test)
    bulk: bool


def _trials(pristine: Pristine, relative: Path, seed: int) -> Iterator[Trial]:
    """One fresh copy of the pristine cache per flip, with ``relative`` flipped; the warnings
    raised while the caller's block runs are collected in ``Trial.warned``."""
    size = (pristine.root / relative).stat().st_size
    for n, (at, bit) in enumerate(_positions(size, seed)):
        root = pristine.root.parent / f"trial-{relative.name}-{n}"
        shutil.rmtree(root, ignore_errors=True)
        # Hard links: awsip replaces files (os.replace), never writes into them, so the
        # pristine copy stays as it is; the damaged file is a file of its own.
        shutil.copytree(pristine.root, root, copy_function=os.link)
        path = root / relative
        data = bytearray(path.read_bytes())
        data[at] ^= 1 << bit
        path.unlink()
        path.write_bytes(bytes(data))
        trial = Trial(root, path, [], n % 5 == 0)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            yield trial
        trial.warned = [str(w.message) for w in record
                        if issubclass(w.category, RangesWarning)
                        and not issubclass(w.category, BundledRangesWarning)]
        # the file is named (a history entry by its directory and syncToken)
        assert len(trial.warned) == 1 and "damaged" in trial.warned[0] \
            and str(path.parent) in trial.warned[0] \
            and path.name.split(".")[0] in trial.warned[0], (at, bit, trial.warned)
        shutil.rmtree(root)


def _moved_aside(path: Path) -> bool:
    return (path.parent / "damaged" / path.name).exists() and not path.exists()


# --------------------------------------------------------------------------- flips, per kind
def test_a_flipped_bit_in_the_compact_form_of_a_cached_copy_is_caught_and_rebuilt(
        pristine: Pristine, small_bundled: None) -> None:
    relative = pristine.mirror_dir.relative_to(pristine.root) / "compact.marshal"
    for trial in _trials(pristine, relative, seed=1):
        ranges = awsip.load_ranges(MIRROR, cache_dir=trial.root, offline=True)
        assert ranges.origin.kind == "cache"
        _answers(ranges, pristine.mirror, bulk=trial.bulk)
        meta = Cache(trial.root).slot(MIRROR).read_meta()
        assert meta is not None
        assert read_compact(trial.path, meta.sha256, ranges.origin) is not None  # rebuilt


def test_a_flipped_bit_in_the_bundled_compact_form_is_caught_and_rebuilt(
        pristine: Pristine, small_bundled: None) -> None:
    for trial in _trials(pristine, Path("bundled.marshal"), seed=2):
        ranges = awsip.loading.load_bundled(cache_dir=trial.root)
        assert ranges.origin.kind == "bundled"
        _answers(ranges, pristine.bundled, bulk=trial.bulk)
        assert ranges.origin.derived is not None
        assert read_compact(trial.path, ranges.origin.derived[1], ranges.origin) is not None


@pytest.mark.parametrize("name", ["compact.index", "bundled.index"])
def test_a_flipped_bit_in_a_bulk_index_is_caught_before_any_answer_and_rebuilt(
        pristine: Pristine, name: str, small_bundled: None) -> None:
    mirror = name == "compact.index"
    relative = (pristine.mirror_dir.relative_to(pristine.root) / name if mirror else Path(name))
    for trial in _trials(pristine, relative, seed=3 if mirror else 4):
        ranges = (awsip.load_ranges(MIRROR, cache_dir=trial.root, offline=True) if mirror
                  else awsip.loading.load_bundled(cache_dir=trial.root))
        _answers(ranges, pristine.mirror if mirror else pristine.bundled)
        assert ranges.origin.derived is not None
        assert BulkIndex.load(trial.path, ranges.origin.derived[1]) is not None  # rebuilt


def test_a_flipped_bit_in_meta_json_sets_it_aside_and_the_copy_still_answers(
        pristine: Pristine, small_bundled: None) -> None:
    relative = pristine.mirror_dir.relative_to(pristine.root) / "meta.json"
    for trial in _trials(pristine, relative, seed=5):
        ranges = awsip.load_ranges(MIRROR, cache_dir=trial.root, offline=True)
        assert ranges.origin.kind == "cache"  # the compact form's key vouches for the JSON
        _answers(ranges, pristine.mirror, bulk=trial.bulk)
        assert _moved_aside(trial.path)


def test_a_flipped_bit_in_the_cached_json_is_caught_when_it_is_parsed_again(
        pristine: Pristine, small_bundled: None) -> None:
    """AWS's copy has no compact form here, so the JSON is parsed: a mismatch with the sha256
    in meta.json sets it aside, and offline the bundled snapshot (the same publication here)
    answers."""
    relative = pristine.default_dir.relative_to(pristine.root) / "ip-ranges.json"
    for trial in _trials(pristine, relative, seed=6):
        ranges = awsip.load_ranges(cache_dir=trial.root, offline=True)
        assert ranges.origin.kind == "bundled"
        _answers(ranges, pristine.bundled, bulk=trial.bulk)
        assert _moved_aside(trial.path)


@pytest.mark.parametrize("part", ["json.gz", "meta.json"])
def test_a_flipped_bit_in_a_history_entry_never_answers_for_its_moment(
        pristine: Pristine, part: str, small_bundled: None) -> None:
    """The newest entry damaged: ``at=`` a moment in its time is an error saying so, never the
    older publication; the entry is moved aside."""
    token = _token(NEW)
    relative = Path("history") / f"{token}.{part}"
    moment = datetime.fromtimestamp(int(token), timezone.utc) + timedelta(minutes=1)
    for trial in _trials(pristine, relative, seed=7 if part == "json.gz" else 8):
        try:
            ranges = awsip.load_ranges(at=moment, cache_dir=trial.root)
        except HistoryError as exc:
            assert token in str(exc) or "damaged" in str(exc)
        else:  # pragma: no cover - every flip is caught; a right answer would still do
            assert ranges.sync_token == token
            _answers(ranges, pristine.history, bulk=trial.bulk)
        assert (trial.root / "history" / "damaged" / trial.path.name).exists()
        assert [i.sync_token for i in awsip.loading.list_history(cache_dir=trial.root)] == [
            _token(OLD)]  # the rest of the history is still there
    older = awsip.load_ranges(at=moment - timedelta(hours=2), cache_dir=pristine.root)
    assert older.sync_token == _token(OLD)


def test_an_undamaged_history_entry_answers_for_its_moment(pristine: Pristine,
                                                           small_bundled: None) -> None:
    moment = datetime.fromtimestamp(int(_token(NEW)), timezone.utc) + timedelta(minutes=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ranges = awsip.load_ranges(at=moment, cache_dir=pristine.root)
    assert ranges.sync_token == _token(NEW)
    _answers(ranges, pristine.history)


def test_a_damaged_cached_json_is_fetched_again_when_online(
        tmp_path: Path, ranges_server: RangesServer) -> None:
    url = ranges_server.url
    ranges_server.serve(Reply(document(NEW)))
    root = tmp_path / "cache"
    awsip.load_ranges(url, cache_dir=root)
    slot = Cache(root).slot(url)
    slot.compact_path.unlink()
    data = bytearray(slot.json_path.read_bytes())
    data[len(data) // 2] ^= 4
    slot.json_path.write_bytes(bytes(data))
    with pytest.warns(RangesWarning, match="ip-ranges.json is damaged") as record:
        ranges = awsip.load_ranges(url, cache_dir=root)
    assert not [w for w in record if issubclass(w.category, BundledRangesWarning)]
    assert ranges.origin.kind == "network" and len(ranges_server.requests) == 2
    assert ranges.lookup("52.216.58.42").service == "S3"
    assert slot.json_path.read_bytes() == document(NEW)


def test_a_damaged_cached_json_of_an_explicit_url_offline_is_an_error_not_other_data(
        pristine: Pristine, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    shutil.copytree(pristine.root, root)
    slot = Cache(root).slot(MIRROR)
    slot.compact_path.unlink()
    slot.json_path.write_bytes(slot.json_path.read_bytes().replace(b"54.", b"55.", 1))
    with pytest.warns(RangesWarning, match="damaged"), \
            pytest.raises(FetchError, match="offline and no cached copy"):
        awsip.load_ranges(MIRROR, cache_dir=root, offline=True)


def test_files_of_the_older_formats_are_rebuilt_without_a_warning(pristine: Pristine,
                                                                  tmp_path: Path) -> None:
    import marshal

    root = tmp_path / "cache"
    shutil.copytree(pristine.root, root)
    slot = Cache(root).slot(MIRROR)
    meta = slot.read_meta()
    assert meta is not None
    ranges = awsip.load_ranges(MIRROR, cache_dir=root, offline=True)
    tag = f"awsip-compact-1-py{sys.version_info[0]}.{sys.version_info[1]}"
    slot.compact_path.write_bytes(marshal.dumps((tag, meta.sha256, ranges.to_compact())))
    (slot.dir / "compact.index").write_bytes(b"AWSIPIDX" + bytes(100))
    legacy = {k: v for k, v in json.loads(slot.meta_path.read_bytes()).items() if k != "digest"}
    slot.meta_path.write_text(json.dumps(legacy))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = awsip.load_ranges(MIRROR, cache_dir=root, offline=True)
        _answers(again, pristine.mirror)
    assert slot.compact_path.read_bytes()[:8] == b"AWSIPCMP"
    assert (slot.dir / "compact.index").read_bytes()[:8] == b"AWSIPBIX"


# --------------------------------------------------------------------------- the index in use
_TRUNCATE = """
import json, os, sys, warnings
import awsip
from awsip.index.bulk import bulk_index
root, url = sys.argv[1], sys.argv[2]
addresses = json.loads(sys.argv[3])
ranges = awsip.load_ranges(url, cache_dir=root, offline=True)
index = bulk_index(ranges)
assert not index._table.flags.writeable, "the index was not read from its file"
path = ranges.origin.derived[0].replace(".marshal", ".index")
with open(path, "r+b") as fh:
    fh.truncate(100)
table = awsip.classify(addresses, ranges)
print(json.dumps(table["prefix"].to_pylist()))
"""


def test_an_index_truncated_while_in_use_does_not_take_the_process_down(
        pristine: Pristine, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    shutil.copytree(pristine.root, root)
    truth = pristine.mirror
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-c", _TRUNCATE, str(root), MIRROR,
                           json.dumps(truth.addresses)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])  # -7 would be SIGBUS
    assert json.loads(done.stdout) == [e[0] for e in truth.expected]


def test_an_index_truncated_before_use_is_detected_and_rebuilt(pristine: Pristine,
                                                               tmp_path: Path) -> None:
    root = tmp_path / "cache"
    shutil.copytree(pristine.root, root)
    index = Cache(root).slot(MIRROR).dir / "compact.index"
    os.truncate(index, index.stat().st_size - 64)
    ranges = awsip.load_ranges(MIRROR, cache_dir=root, offline=True)
    with pytest.warns(RangesWarning, match=r"compact.index is damaged \(.*truncated"):
        _answers(ranges, pristine.mirror)


# --------------------------------------------------------------------------- stale temporaries
_WRITER = """
import sys, time
from awsip.fileio import atomic_file
with atomic_file(sys.argv[1]) as fh:
    fh.write(b"half of it")
    fh.flush()
    print("writing", flush=True)
    time.sleep(120)
"""


def _temps(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir()
                  if p.name.startswith(f".{target.name}.") and p.name.endswith(".tmp"))


def _writer(target: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    return proc


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and pids")
def test_the_temporary_file_of_a_killed_writer_is_removed_by_the_next_writer(
        tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    killed = _writer(target)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    left = _temps(target)
    assert len(left) == 1 and f".{killed.pid}@" in left[0]
    atomic_write(target, b"whole")
    assert target.read_bytes() == b"whole" and _temps(target) == []


@pytest.mark.skipif(os.name != "posix", reason="pids")
def test_the_temporary_file_of_a_running_writer_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    running = _writer(target)
    try:
        mine = _temps(target)
        atomic_write(target, b"whole")
        assert _temps(target) == mine and len(mine) == 1
    finally:
        running.kill()
        running.wait()


def test_temporary_files_that_cannot_be_judged_by_pid_go_when_a_day_old(tmp_path: Path) -> None:
    target = tmp_path / "t"
    old = time.time() - STALE_TEMP_AGE - 60
    names = {
        ".t.abcd1234.tmp": True,                         # an older version's, a day old
        ".t.abcd5678.tmp": False,                        # an older version's, recent
        ".t.77@0000beef.abcd1234.tmp": True,             # another machine's, a day old
        ".t.78@0000beef.abcd1234.tmp": False,            # another machine's, recent
        ".t.parquet.79@0000beef.abcd1234.tmp": False,    # another target's (t.parquet)
        ".t.notes.tmp.txt": False,                       # not a temporary file
    }
    for name, aged in names.items():
        (tmp_path / name).write_bytes(b"x")
        if aged or name.startswith(".t.parquet"):
            os.utime(tmp_path / name, (old, old))
    atomic_write(target, b"1")
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"t"} | {n for n, aged in names.items() if not aged}


def test_a_history_entry_of_an_older_version_gets_its_checksums_at_the_next_update(
        tmp_path: Path) -> None:
    root = tmp_path / "cache"
    awsip.loading.update(str(DATA / f"ip-ranges-{OLD}.json.gz"), cache_dir=root)
    meta = root / "history" / f"{_token(OLD)}.meta.json"
    legacy = {k: v for k, v in json.loads(meta.read_bytes()).items()
              if k not in ("digest", "data_sha256")}
    meta.write_text(json.dumps(legacy))
    assert [i.data_sha256 for i in awsip.loading.list_history(cache_dir=root)] == [None]
    awsip.loading.update(str(DATA / f"ip-ranges-{NEW}.json.gz"), cache_dir=root)
    items = awsip.loading.list_history(cache_dir=root)
    data = gzip.decompress(items[0].path.read_bytes())
    assert json.loads(data)["syncToken"] == _token(OLD)
    assert all(i.data_sha256 for i in items)
    assert "digest" in json.loads(meta.read_bytes())
