"""The bulk index of a cached publication is kept on disk next to it and reused, never trusted
blindly: a damaged, foreign or unwritable index file only costs a rebuild."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from awsip import classify
from awsip.errors import RangesWarning
from awsip.index import bulk as cache_mod
from awsip.index.bulk import BulkIndex, bulk_index
from awsip.loading import load_bundled
from awsip.ranges import Ranges
from oracle import Oracle, boundary_addresses, load_document


@pytest.fixture(scope="module")
def addresses() -> list[str]:
    return boundary_addresses(load_document())


@pytest.fixture(scope="module")
def expected(addresses: list[str]) -> list[tuple[str | None, ...]]:
    """(service, region, prefix) of every boundary address, by the brute-force oracle."""
    oracle = Oracle(load_document())
    return [(e.service, e.region, e.prefix) for e in map(oracle.enumerate, addresses)]


def same_arrays(a: BulkIndex, b: BulkIndex) -> None:
    for name in BulkIndex._ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    for name in BulkIndex._SCALARS:
        assert getattr(a, name) == getattr(b, name), name
    assert a.columns.keys() == b.columns.keys()
    for name, column in a.columns.items():
        assert column.dictionary.equals(b.columns[name].dictionary), name
        assert np.array_equal(column.codes, b.columns[name].codes), name


def answers(ranges: Ranges, addresses: list[str]) -> list[Any]:
    table = classify(addresses, ranges)
    return list(zip(table["service"].to_pylist(), table["region"].to_pylist(),
                    table["prefix"].to_pylist(), strict=True))


def check_against_oracle(ranges: Ranges, addresses: list[str],
                         expected: list[tuple[str | None, ...]]) -> None:
    got = answers(ranges, addresses)
    wrong = [(a, g, e) for a, g, e in zip(addresses, got, expected, strict=True) if g != e]
    assert not wrong, wrong[:5]


def test_the_index_of_a_cached_snapshot_is_saved_once_and_read_by_later_loads(
        cache_path: Path, addresses: list[str], expected: list[tuple[str | None, ...]]) -> None:
    first = load_bundled()
    built = bulk_index(first)
    stored = cache_path / "bundled.index"
    assert stored.exists()
    written = stored.stat().st_mtime_ns
    second = load_bundled()  # a new Ranges, as in the next process
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = bulk_index(second)
    assert loaded is not built
    assert not loaded._table.flags.writeable  # read from the file, not rebuilt
    assert stored.stat().st_mtime_ns == written
    same_arrays(built, loaded)
    check_against_oracle(second, addresses, expected)


@pytest.mark.parametrize(("damage", "warned"), [
    ("truncated", True), ("empty", True), ("garbage", True), ("one byte changed", True),
    ("other key", False), ("format 1", False)])
def test_a_damaged_stale_or_foreign_index_file_is_rebuilt_and_replaced(
        cache_path: Path, addresses: list[str], expected: list[tuple[str | None, ...]],
        damage: str, warned: bool) -> None:
    bulk_index(load_bundled())
    stored = cache_path / "bundled.index"
    good = stored.read_bytes()
    if damage == "truncated":
        stored.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        stored.write_bytes(b"")
    elif damage == "garbage":
        stored.write_bytes(b"AWSIPBIX" + b"\xff" * 64)
    elif damage == "one byte changed":
        stored.write_bytes(good[:-100] + bytes([good[-100] ^ 1]) + good[-99:])
    elif damage == "format 1":
        stored.write_bytes(b"AWSIPIDX" + b"\x00" * 64)  # the mapped format of older versions
    else:
        BulkIndex(load_bundled()).save(stored, "0" * 64)
    ranges = load_bundled()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        index = bulk_index(ranges)
    said = [str(w.message) for w in record if issubclass(w.category, RangesWarning)]
    if warned:
        assert len(said) == 1 and str(stored) in said[0] and "is damaged" in said[0], said
    else:
        assert said == []
    assert index._table.flags.writeable  # rebuilt in memory
    check_against_oracle(ranges, addresses, expected)
    assert stored.read_bytes() == good  # and stored again


def test_an_unwritable_cache_only_means_building_each_time(
        cache_path: Path, monkeypatch: pytest.MonkeyPatch, addresses: list[str],
        expected: list[tuple[str | None, ...]]) -> None:
    ranges = load_bundled()

    def refuse(path: Path, *args: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cache_mod, "write_sealed", refuse)
    check_against_oracle(ranges, addresses, expected)
    assert not (cache_path / "bundled.index").exists()


def test_ranges_not_read_from_a_cache_file_leave_no_index_file(
        cache_path: Path, ranges: Ranges) -> None:
    classify(["52.216.58.42"], ranges)
    assert not list(cache_path.rglob("*.index"))
