"""``awsip.duckdb.register``: DuckDB scalar functions answering like ``awsip.classify``."""

from __future__ import annotations

import gzip

import duckdb
import pyarrow as pa
import pytest

import awsip
import awsip.duckdb
from awsip import Ranges
from oracle import NEWEST, boundary_addresses, load_document
from test_sql import INVALID, ODD_VALID


@pytest.fixture(scope="module")
def ranges() -> Ranges:
    return Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))


def test_udfs_agree_with_classify_on_every_prefix_boundary(ranges: Ranges) -> None:
    values = [*boundary_addresses(load_document(NEWEST)), *ODD_VALID, *INVALID, None]
    con = duckdb.connect()
    assert awsip.duckdb.register(con, ranges) == [
        "aws_service", "aws_region", "aws_network_border_group", "aws_prefix", "aws_is_aws",
        "aws_classify"]
    con.register("t", pa.table({"n": pa.array(range(len(values)), pa.int64()),
                                "ip": pa.array(values, pa.string())}))
    rows = con.execute("SELECT aws_is_aws(ip), aws_service(ip), aws_region(ip), "
                       "aws_network_border_group(ip), aws_prefix(ip) FROM t ORDER BY n").fetchall()
    want = awsip.classify(values, ranges).select(
        ["aws", "service", "region", "network_border_group", "prefix"]).to_pylist()
    assert [tuple(r.values()) for r in want] == rows
    assert sum(1 for r in rows if r[1] == "S3") > 1000  # the samples reach real answers
    structs = con.execute("SELECT aws_classify(ip) FROM t ORDER BY n").fetchall()
    assert [s for (s,) in structs] == want


def test_functions_work_in_filters_and_groups(ranges: Ranges) -> None:
    con = duckdb.connect()
    awsip.duckdb.register(con, ranges)
    con.execute("CREATE TABLE flows AS SELECT * FROM (VALUES ('52.216.58.42', 10), "
                "('16.15.207.229', 5), ('8.8.8.8', 7), ('bad', 1)) v(dstaddr, bytes)")
    rows = con.execute("SELECT aws_service(dstaddr) AS s, sum(bytes) FROM flows "
                       "WHERE aws_is_aws(dstaddr) GROUP BY s").fetchall()
    assert rows == [("S3", 15)]


def test_register_again_with_other_ranges_replaces_the_functions(ranges: Ranges) -> None:
    con = duckdb.connect()
    awsip.duckdb.register(con, ranges)
    awsip.duckdb.register(con, ranges.filter(service=["AMAZON"]))
    assert con.execute("SELECT aws_service('52.216.58.42')").fetchone() == ("AMAZON",)


def test_default_ranges_are_used_when_none_are_given() -> None:
    con = duckdb.connect()
    with pytest.warns(awsip.RangesWarning):  # the bundled snapshot, offline in the tests
        awsip.duckdb.register(con)
    assert con.execute("SELECT aws_region('52.216.58.42')").fetchone() == ("us-east-1",)
