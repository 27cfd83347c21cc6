"""Inputs the fuzz harnesses (fuzz/) found, kept as regression tests.

Every file under tests/data/fuzz/<harness>/ is replayed through that harness's check
(fuzz/checks.py), and the seed corpora in fuzz/corpus/ must pass them too (so the harnesses
keep working; there the known bugs of ``KNOWN_BUGS`` in fuzz/checks.py are tolerated). Bugs
still open are listed in ``OPEN_BUGS``: their tests are strict xfails, which fail as soon as
the bug is fixed, to be moved out of the list (and out of ``KNOWN_BUGS``) then.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import awsip
import awsip.classification.engine as engine
from awsip import FlowLogError, Ranges, RangesError, classify, read_flow_logs

ROOT = Path(__file__).resolve().parent.parent
FOUND = Path(__file__).resolve().parent / "data" / "fuzz"
SEEDS = ROOT / "fuzz" / "corpus"
HARNESSES = ("reader", "ranges", "addresses")

#: Saved inputs of bugs not fixed yet: path under tests/data/fuzz -> where the bug is.
OPEN_BUGS: dict[str, str] = {}


def load_checks() -> ModuleType:
    """fuzz/checks.py, imported once as ``awsip_fuzz_checks``."""
    name = "awsip_fuzz_checks"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "fuzz" / "checks.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


checks = load_checks()


@pytest.fixture(autouse=True)
def fuzz_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks write their input files under the test's tmp_path; known bugs fail."""
    monkeypatch.setattr(checks, "_workdir", tmp_path)
    monkeypatch.delenv("AWSIP_FUZZ_KNOWN_BUGS", raising=False)


def check(harness: str, data: bytes) -> None:
    {"reader": checks.check_reader, "ranges": checks.check_ranges,
     "addresses": checks.check_addresses}[harness](data)


def saved_inputs() -> list[Any]:
    params = []
    for path in sorted(p for p in FOUND.rglob("*") if p.is_file()):
        name = path.relative_to(FOUND).as_posix()
        marks = [pytest.mark.xfail(strict=True, reason=OPEN_BUGS[name])] \
            if name in OPEN_BUGS else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.parametrize("name", saved_inputs())
def test_every_saved_fuzz_input_passes_its_harness_check(name: str) -> None:
    harness = name.split("/", 1)[0]
    assert harness in HARNESSES, f"tests/data/fuzz/{name}: not under a harness's folder"
    check(harness, (FOUND / name).read_bytes())


@pytest.mark.parametrize("harness", HARNESSES)
def test_the_seed_corpus_passes_its_harness_check(harness: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSIP_FUZZ_KNOWN_BUGS", "1")  # each has its own strict xfail here
    seeds = sorted(p for p in (SEEDS / harness).iterdir() if p.is_file())
    assert seeds
    for path in seeds:
        check(harness, path.read_bytes())


def test_every_open_bug_has_its_saved_input() -> None:
    assert all((FOUND / name).is_file() for name in OPEN_BUGS)


# --------------------------------------------------------------------------- the reader
@pytest.fixture(params=["isal", "stdlib"])
def gzip_module(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with isal's gzip and with the standard library's (isal hidden)."""
    if request.param == "stdlib":
        for name in [m for m in sys.modules if m == "isal" or m.startswith("isal.")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, "isal", None)
    return str(request.param)


def test_corrupt_deflate_data_is_a_flow_log_error_naming_the_file(gzip_module: str) -> None:
    # Found by fuzz_reader.py: isal's IsalError (zlib.error without isal) escaped the reader;
    # fixed by the reader's gzip rewrite (flowlogs/decompress.py).
    path = FOUND / "reader" / "corrupt-deflate.log.gz"  # a gzip header, then an invalid block
    with pytest.raises(FlowLogError, match="truncated or corrupt") as caught:
        read_flow_logs(path, progress=False).read_all()
    assert str(path) in str(caught.value)


def test_a_line_starting_with_two_byte_order_marks_is_read_alike_first_and_later(
        tmp_path: Path) -> None:
    # Found by the one-hour fuzz_reader run: the saved input is the two marks alone
    marks = (FOUND / "reader" / "two-byte-order-marks.log").read_bytes()
    record = b"2 123456789010 eni-1 10.0.0.1 52.216.58.42 1 443 6 1 40 1774575485 1774575545 " \
             b"ACCEPT OK\n"
    first, later = tmp_path / "first.log", tmp_path / "later.log"
    first.write_bytes(marks + record)
    later.write_bytes(record + marks + record)
    read = {}
    for path in (first, later):
        reader = read_flow_logs(path, progress=False)
        reader.read_all()
        read[path] = (reader.stats.records, reader.stats.skipped)
    assert read[first] == (read[later][0] - 1, read[later][1])  # the marked line, same fate


# --------------------------------------------------------------------------- the ranges loader
def test_a_name_that_is_not_unicode_text_is_refused_or_classified_like_lookup() -> None:
    raw = (FOUND / "ranges" / "lone-surrogate-service.json").read_bytes()  # "service": "\\ud800"
    try:
        ranges = Ranges.from_json(raw)
    except RangesError as refused:
        assert "service" in str(refused)
        return
    (row,) = classify(["1.2.3.4"], ranges).to_pylist()
    assert row["service"] == ranges.lookup("1.2.3.4").service


@pytest.mark.parametrize("prefixes", [["1.2.3.0/24"], ["1.2.0.0/16", "1.2.3.0/24"], []])
def test_publications_without_a_split_24_block_are_classified_like_lookup(
        prefixes: list[str]) -> None:
    # the saved input is the first case; the empty IPv4 list fails the same way (the engine
    # itself: awsip.classify would not use an empty publication, see the next test)
    doc = json.loads((FOUND / "ranges" / "no-split-24-block.json").read_bytes())
    doc["prefixes"] = [{**doc["prefixes"][0], "ip_prefix": p} for p in prefixes]
    ranges = Ranges.from_json(doc)
    addresses = ["1.2.3.4", "1.2.4.1", "9.9.9.9"]
    rows = engine.classify(addresses, ranges).to_pylist()
    assert [r["prefix"] for r in rows] == [ranges.lookup(a).prefix for a in addresses]




@pytest.mark.filterwarnings("ignore::awsip.BundledRangesWarning")
def test_an_empty_publication_given_is_the_one_used(ranges: Ranges) -> None:
    # Found by the ranges check on the empty-lists seed (no network here: conftest's dead proxy
    # makes default_ranges fall back to the bundled snapshot)
    empty = ranges.filter(service="NO-SUCH-SERVICE")
    assert len(empty) == 0
    assert not awsip.lookup("52.216.58.42", empty).aws
    assert classify(["52.216.58.42"], empty).to_pylist()[0]["aws"] is False
