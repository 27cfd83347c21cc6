"""Exporting ranges: collapse, the Arrow table's bounds and rule columns, `awsip ranges`."""

from __future__ import annotations

import csv
import gzip
import io
import ipaddress
import itertools
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsip import Ranges
from awsip.addr import collapse_prefixes
from awsip.cli import main
from awsip.fileio import atomic_file as atomic_output
from oracle import NEWEST, Doc

Net = ipaddress.IPv4Network | ipaddress.IPv6Network




@pytest.fixture(scope="module")
def ranges_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ranges") / "ip-ranges.json"
    path.write_bytes(gzip.decompress(NEWEST.read_bytes()))
    return path


_ITEMS: dict[int, list[tuple[Net, str, str, str]]] = {}


def items(doc: Doc) -> list[tuple[Net, str, str, str]]:
    """(network, service, region, border group) of every entry, parsed with ipaddress (once
    per document: the session's ``doc`` is read-only)."""
    if id(doc) not in _ITEMS:
        out: list[tuple[Net, str, str, str]] = []
        for item in doc["prefixes"] + doc["ipv6_prefixes"]:
            net = ipaddress.ip_network(item.get("ip_prefix") or item["ipv6_prefix"])
            out.append((net, item["service"], item["region"], item["network_border_group"]))
        _ITEMS[id(doc)] = out
    return _ITEMS[id(doc)]


def numeric_order(nets: set[Net]) -> list[str]:
    return [str(n) for n in sorted(nets, key=lambda n: (n.version, int(n.network_address),
                                                        n.prefixlen))]


def reference_collapse(nets: list[Net]) -> list[str]:
    out: list[str] = []
    for version in (4, 6):
        family = [n for n in nets if n.version == version]
        out.extend(str(n) for n in ipaddress.collapse_addresses(family))  # type: ignore[misc]
    return out


def assert_minimal(blocks: list[str]) -> None:
    """Disjoint, sorted and no two blocks are the halves of one block: then nothing merges."""
    nets = [ipaddress.ip_network(b) for b in blocks]
    for a, b in itertools.pairwise(nets):
        if a.version != b.version:
            continue
        assert int(a.broadcast_address) < int(b.network_address), (a, b)
        assert not (a.prefixlen == b.prefixlen and a.prefixlen > 0
                    and a.supernet() == b.supernet()), (a, b)


# --------------------------------------------------------------------------- collapse
@st.composite
def prefix_sets(draw: st.DrawFn) -> list[Net]:
    """Random prefixes clustered in a small space, so overlaps and neighbours are common."""
    nets: list[Net] = []
    for _ in range(draw(st.integers(0, 40))):
        if draw(st.booleans()):
            plen = draw(st.integers(20, 32))
            value = (10 << 24) | draw(st.integers(0, (1 << 14) - 1)) << 2
            nets.append(ipaddress.IPv4Network((value >> (32 - plen) << (32 - plen), plen)))
        else:
            plen = draw(st.integers(116, 128))
            value = (0x2600_1F00 << 96) | draw(st.integers(0, (1 << 16) - 1))
            nets.append(ipaddress.IPv6Network((value >> (128 - plen) << (128 - plen), plen)))
    return nets


@settings(max_examples=300, deadline=None)
@given(prefix_sets())
def test_collapse_covers_the_same_addresses_minimally(nets: list[Net]) -> None:
    got = collapse_prefixes(str(n) for n in nets)
    assert got == reference_collapse(nets)
    assert_minimal(got)


@pytest.mark.parametrize("version", [4, 6])
def test_collapse_of_a_real_publication_matches_ipaddress(ranges: Ranges, doc: Doc,
                                                          version: int) -> None:
    nets = [n for n, *_ in items(doc) if n.version == version]
    got = [p for p in ranges.collapse() if ipaddress.ip_network(p).version == version]
    assert got == reference_collapse(nets)
    assert len(got) < len(set(nets))
    assert_minimal(got)


def test_collapse_merges_adjacent_and_nested_blocks() -> None:
    assert collapse_prefixes(["10.0.0.0/25", "10.0.0.128/25", "10.0.0.64/26", "::/1",
                              "8000::/1"]) == ["10.0.0.0/24", "::/0"]
    assert collapse_prefixes(["10.0.0.128/25", "10.0.1.0/25"]) == ["10.0.0.128/25",
                                                                     "10.0.1.0/25"]


# --------------------------------------------------------------------------- arrow table
def test_arrow_table_bounds_agree_with_ipaddress(ranges: Ranges) -> None:
    rows = ranges.to_arrow().to_pylist()
    assert len(rows) == len(ranges)
    for row in rows:
        net = ipaddress.ip_network(row["prefix"])
        first, last = int(net.network_address), int(net.broadcast_address)
        assert (row["family"], row["prefixlen"]) == (net.version, net.prefixlen)
        assert (row["first_hi"] << 64 | row["first_lo"]) == first
        assert (row["last_hi"] << 64 | row["last_lo"]) == last
        mapped = 0xFFFF << 32 if net.version == 4 else 0
        assert row["first_ip"] == (first | mapped).to_bytes(16, "big")
        assert row["last_ip"] == (last | mapped).to_bytes(16, "big")


def test_arrow_table_marks_one_deciding_entry_per_prefix(ranges: Ranges) -> None:
    rows = ranges.to_arrow().to_pylist()
    labels: dict[str, list[dict[str, Any]]] = {}
    by_prefix: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_prefix.setdefault(row["prefix"], []).append(row)
        if row["label"]:
            labels.setdefault(row["prefix"], []).append(row)
    assert labels.keys() == ranges.prefixes.keys()
    for prefix, (row,) in labels.items():
        assert ranges.label(prefix).to_dict() == {k: row[k] for k in (
            "prefix", "service", "region", "network_border_group")}
        # ... and has the lowest service_rank of the prefix's entries (what SQL can use)
        assert row["service_rank"] == min(r["service_rank"] for r in by_prefix[prefix])


def test_service_rank_orders_services_by_breadth_then_name(ranges: Ranges) -> None:
    rows = ranges.to_arrow().to_pylist()
    for version in (4, 6):
        ranks = {(r["service"], r["service_rank"]) for r in rows if r["family"] == version}
        by_rank = [s for s, _ in sorted(ranks, key=lambda x: x[1])]
        assert len(by_rank) == len({s for s, _ in ranks})  # one rank per service
        assert [r for _, r in sorted(ranks, key=lambda x: x[1])] == list(
            range(1, len(by_rank) + 1))
        keys = [(ranges.breadth(s, version), s) for s in by_rank]
        assert keys == sorted(keys)


# --------------------------------------------------------------------------- CLI
def cli(capsys: pytest.CaptureFixture[str], ranges_file: Path, *args: str
        ) -> tuple[int, str, str]:
    status = main(["ranges", "--ranges", str(ranges_file), *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_cidr_lists_each_matching_prefix_once_ipv4_first(
        capsys: pytest.CaptureFixture[str], ranges_file: Path, doc: Doc) -> None:
    status, out, _ = cli(capsys, ranges_file, "--service", "s3", "--region",
                         "us-east-1,US-WEST-2")
    expected = {n for n, s, r, _ in items(doc) if s == "S3" and r in ("us-east-1", "us-west-2")}
    assert status == 0
    assert out.splitlines() == numeric_order(expected)
    assert any(":" in line for line in out.splitlines())


def test_filters_of_one_kind_or_and_kinds_and(
        capsys: pytest.CaptureFixture[str], ranges_file: Path, doc: Doc) -> None:
    _, out, _ = cli(capsys, ranges_file, "-s", "EC2", "-s", "CLOUDFRONT", "--nbg",
                    "us-west-2-lax-1", "-4")
    expected = {n for n, s, _, g in items(doc)
                if s in ("EC2", "CLOUDFRONT") and g == "us-west-2-lax-1" and n.version == 4}
    assert expected
    assert out.splitlines() == numeric_order(expected)


def test_json_lists_entry_objects(capsys: pytest.CaptureFixture[str], ranges_file: Path,
                                  doc: Doc) -> None:
    status, out, _ = cli(capsys, ranges_file, "--format", "json", "-s", "ROUTE53_HEALTHCHECKS")
    rows = json.loads(out)
    expected = {(str(n), s, r, g) for n, s, r, g in items(doc) if s == "ROUTE53_HEALTHCHECKS"}
    assert status == 0
    assert len(rows) == len(expected)
    assert {(r["prefix"], r["service"], r["region"], r["network_border_group"])
            for r in rows} == expected


def test_collapse_prints_minimal_blocks(capsys: pytest.CaptureFixture[str], ranges_file: Path,
                                        doc: Doc) -> None:
    _, out, _ = cli(capsys, ranges_file, "--service", "EC2", "--collapse")
    nets = [n for n, s, *_ in items(doc) if s == "EC2"]
    assert out.splitlines() == reference_collapse(nets)
    _, out, _ = cli(capsys, ranges_file, "--service", "EC2", "--collapse", "-f", "json", "-6")
    assert json.loads(out) == [p for p in reference_collapse(nets) if ":" in p]


def test_csv_has_tags_and_integer_bounds(capsys: pytest.CaptureFixture[str], ranges_file: Path,
                                         doc: Doc) -> None:
    status, out, _ = cli(capsys, ranges_file, "--format", "csv", "--service", "S3")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0
    want = sorted((str(n), s, r, g) for n, s, r, g in items(doc) if s == "S3")
    assert sorted((row["prefix"], row["service"], row["region"], row["network_border_group"])
                  for row in rows) == want  # every S3 entry, once
    assert "first_ip" not in rows[0]
    for row in rows:
        net = ipaddress.ip_network(row["prefix"])
        assert int(row["first_hi"]) << 64 | int(row["first_lo"]) == int(net.network_address)
        assert int(row["last_hi"]) << 64 | int(row["last_lo"]) == int(net.broadcast_address)
        assert row["service"] == "S3" and row["family"] == str(net.version)


def test_parquet_to_file_round_trips(capsys: pytest.CaptureFixture[str], ranges_file: Path,
                                     ranges: Ranges, tmp_path: Path, doc: Doc) -> None:
    target = tmp_path / "ranges.parquet"
    target.write_text("old contents")
    status, out, _ = cli(capsys, ranges_file, "-o", str(target))  # format from the suffix
    assert status == 0 and out == ""
    table = pq.read_table(target)
    assert table.equals(ranges.to_arrow())
    assert sorted(zip(*(table.column(c).to_pylist() for c in (
        "prefix", "service", "region", "network_border_group")), strict=True)) == sorted(
        (str(n), s, r, g) for n, s, r, g in items(doc))
    assert [p.name for p in tmp_path.iterdir()] == ["ranges.parquet"]  # no temp file left


def test_output_file_for_text_formats(capsys: pytest.CaptureFixture[str], ranges_file: Path,
                                      tmp_path: Path, doc: Doc) -> None:
    target = tmp_path / "s3.txt"
    _, printed, _ = cli(capsys, ranges_file, "-s", "S3", "-4")
    status, out, _ = cli(capsys, ranges_file, "-s", "S3", "-4", "-o", str(target))
    assert status == 0 and out == ""
    want = numeric_order({n for n, s, *_ in items(doc) if s == "S3" and n.version == 4})
    assert target.read_text() == printed == "".join(f"{p}\n" for p in want)


def test_collapsed_parquet_has_the_minimal_blocks_and_their_bounds_but_no_tags(
        capsys: pytest.CaptureFixture[str], ranges_file: Path, tmp_path: Path, doc: Doc) -> None:
    target = tmp_path / "all.parquet"
    cli(capsys, ranges_file, "--collapse", "-o", str(target))
    table = pq.read_table(target)
    assert table.column_names == ["prefix", "family", "prefixlen", "first_hi", "first_lo",
                                  "last_hi", "last_lo", "first_ip", "last_ip"]  # no tags
    assert table.column("prefix").to_pylist() == reference_collapse([n for n, *_ in items(doc)])
    for row in table.to_pylist():
        net = ipaddress.ip_network(row["prefix"])
        assert (row["family"], row["prefixlen"]) == (net.version, net.prefixlen)
        assert row["first_hi"] << 64 | row["first_lo"] == int(net.network_address)
        assert row["last_hi"] << 64 | row["last_lo"] == int(net.broadcast_address)


def test_no_match_exits_1_and_names_unknown_values(capsys: pytest.CaptureFixture[str],
                                                   ranges_file: Path) -> None:
    status, out, err = cli(capsys, ranges_file, "--service", "NOSUCH")
    assert status == 2  # an unknown name is a usage error (issue 11)
    assert out == ""
    assert "'NOSUCH'" in err


def test_parquet_goes_to_stdout_when_redirected(capsysbinary: pytest.CaptureFixture[bytes],
                                                ranges_file: Path, ranges: Ranges,
                                                doc: Doc) -> None:
    status = main(["ranges", "--ranges", str(ranges_file), "-f", "parquet", "-s", "S3"])
    out = capsysbinary.readouterr().out
    assert status == 0
    table = pq.read_table(io.BytesIO(out))
    assert table.equals(ranges.filter(service="S3").to_arrow())
    assert sorted(table.column("prefix").to_pylist()) == sorted(
        str(n) for n, s, *_ in items(doc) if s == "S3")

def test_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as fh:
        fh.write(b"half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
