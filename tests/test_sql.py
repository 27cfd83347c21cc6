"""The SQL of ``awsip sql`` / ``awsip.to_sql``, run in DuckDB, ClickHouse (chdb) and Spark SQL,
answers row for row like ``awsip.classify``; Trino/Athena, Snowflake and BigQuery SQL parses
(sqlglot), untested against a live service."""

from __future__ import annotations

import gzip
import ipaddress
import json
import random
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import awsip
from awsip import Ranges, UsageError
from awsip.cli import main
from awsip.engines.sql import DIALECTS, ipv4_regex, ipv6_regex, to_sql
from awsip.ranges.export import table_bytes
from oracle import NEWEST, boundary_addresses, load_document

Row = tuple[Any, ...]

#: Odd forms awsip accepts: whitespace, case, zones, IPv4-mapped (dotted and hex), dotted tails.
ODD_VALID = [" 52.216.58.42", "\t3.5.16.209\n", "2600:1F18::1", "fe80::1%eth0",
             "2600:1f18::1%zone", "::ffff:52.216.58.42", "::FFFF:3.5.16.209",
             "0:0:0:0:0:ffff:3.5.16.209", "::ffff:3405:10d1", "1:2:3:4:5:6:7::",
             "::1.2.3.4", "2600:1f18:0000:0000:0000:0000:0000:0001", "::", "::1",
             "0.0.0.0", "255.255.255.255", "1::2:3:4:5:6:7", "1:2:3:4:5::1.2.3.4"]
#: Strings awsip rejects (inet_pton's rules): each must give NULLs in SQL too.
INVALID = ["", " ", "-", "bad", "300.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.4\x00",
           "10.0.0.0/8", "52.216.58.42/32", "52.216.58.42 x", "1.2.3.4%eth0",
           "::ffff:01.2.3.4", "::ffff:1.2.3", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:::2",
           "12345::", "g::1", "[::1]", "fe80::1 %eth0", "1:2:3:4:5:6:7::8",
           "1:2:3:4:5:6::1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.256", "1:2:3:4:5:6:7:",
           ":", ":::", "1.2.3.-4", "fe80::1\n%eth0", "bad\n1.2.3.4", "1.2.3.4\nbad",
           "+1.2.3.4", "1.2.3.4:80", "0x1.2.3.4", "٣.5.16.209"]


@pytest.fixture(scope="module")
def ranges() -> Ranges:
    return Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))


@pytest.fixture(scope="module")
def boundaries() -> list[str]:
    """First, last and just-outside address of every prefix of the newest publication."""
    return boundary_addresses(load_document(NEWEST))


def samples(boundaries: list[str], count: int | None = None) -> list[str | None]:
    """Boundaries (all, or a fixed-seed sample of ``count``), their IPv4-mapped and upper-case
    IPv6 forms for a few, the odd valid forms, the invalid strings and a NULL."""
    rng = random.Random(14)
    chosen = boundaries if count is None else rng.sample(boundaries, count)
    v4 = [a for a in chosen if ":" not in a]
    v6 = [a for a in chosen if ":" in a]
    extra = [f"::ffff:{a}" for a in rng.sample(v4, min(200, len(v4)))]
    extra += [ipaddress.IPv6Address(a).exploded.upper() for a in rng.sample(v6, min(100, len(v6)))]
    return [*chosen, *extra, *ODD_VALID, *INVALID, None]


def expected(values: list[str | None], ranges: Ranges) -> list[Row]:
    table = awsip.classify(values, ranges)
    cols = [table[name].to_pylist() for name in
            ("service", "region", "network_border_group", "prefix")]
    return [(i, v, *labels) for i, (v, *labels) in enumerate(zip(values, *cols, strict=True))]


def write_table(path: Path, values: list[str | None]) -> Path:
    pq.write_table(pa.table({"n": pa.array(range(len(values)), pa.int64()),
                             "ip": pa.array(values, pa.string())}), path)
    return path


def statements(sql: str) -> list[str]:
    """The statements of generated SQL (``;`` + newline between them)."""
    return [s for s in sql.split(";\n") if s.strip()]


def run_duckdb(sql: str, values: list[str | None]) -> list[Row]:
    con = duckdb.connect()
    con.register("t_arrow", pa.table({"n": pa.array(range(len(values)), pa.int64()),
                                      "ip": pa.array(values, pa.string())}))
    con.execute("CREATE TABLE t AS SELECT * FROM t_arrow")
    *before, select = statements(sql)
    for statement in before:
        con.execute(statement)
    return sorted(con.execute(select).fetchall())


# ---------------------------------------------------------------------- DuckDB
def test_duckdb_sql_agrees_with_classify_on_every_prefix_boundary(
        ranges: Ranges, boundaries: list[str]) -> None:
    values = samples(boundaries)
    assert len(values) == len(boundaries) + 300 + len(ODD_VALID) + len(INVALID) + 1
    assert run_duckdb(to_sql("duckdb", "t", ["ip"], ranges), values) == expected(values, ranges)


def test_duckdb_sql_reads_the_ranges_parquet_export(ranges: Ranges, boundaries: list[str],
                                                    tmp_path: Path) -> None:
    path = tmp_path / "aws-ranges.parquet"
    path.write_bytes(table_bytes(ranges.to_arrow(), "parquet"))
    values = samples(boundaries, 5000)
    sql = awsip.to_sql("duckdb", "t", "ip", ranges_table=str(path))
    assert "aws-ranges.parquet" in sql and "52.216.0.0/15" not in sql
    assert run_duckdb(sql, values) == expected(values, ranges)


def test_two_columns_get_their_own_labels(ranges: Ranges) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE flows (srcaddr VARCHAR, dstaddr VARCHAR, bytes BIGINT)")
    con.execute("INSERT INTO flows VALUES ('10.0.0.5', '52.216.58.42', 1), "
                "('2600:1f18::1', NULL, 2), ('bad', '3.5.16.209', 3)")
    rows = con.execute(statements(to_sql("duckdb", "flows", ["srcaddr", "dstaddr"],
                                         ranges))[-1] + " ORDER BY bytes").fetchall()
    names = [d[0] for d in con.description]
    assert names == ["srcaddr", "dstaddr", "bytes",
                     "srcaddr_service", "srcaddr_region", "srcaddr_network_border_group",
                     "srcaddr_prefix", "dstaddr_service", "dstaddr_region",
                     "dstaddr_network_border_group", "dstaddr_prefix"]
    assert rows[0][3:] == (None, None, None, None, "S3", "us-east-1", "us-east-1",
                           "52.216.0.0/15")
    assert rows[1][3:] == ("EC2", "us-east-1", "us-east-1", "2600:1f18::/33",
                           None, None, None, None)
    assert rows[2][3:7] == (None,) * 4 and rows[2][7] == "S3"


def test_repeated_rows_are_all_returned(ranges: Ranges) -> None:
    values: list[str | None] = ["52.216.58.42", "52.216.58.42", None, None, "bad", "bad"]
    assert run_duckdb(to_sql("duckdb", "t", ["ip"], ranges), values) == expected(values, ranges)


def test_the_regexes_follow_inet_pton() -> None:
    import re
    import socket

    six, four = re.compile(ipv6_regex()), re.compile(ipv4_regex())
    for text in [*ODD_VALID, *INVALID]:
        s = text.strip().lower().split("%")[0] if ":" in text else text.strip()
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in s else socket.AF_INET, s)
            ok = True
        except (OSError, ValueError):
            ok = False
        assert bool((six if ":" in s else four).fullmatch(s)) == ok, text


def test_bad_arguments_are_usage_errors(ranges: Ranges) -> None:
    with pytest.raises(UsageError, match="unknown SQL dialect 'mysql'"):
        to_sql("mysql", "t", ["ip"], ranges)
    with pytest.raises(UsageError, match="at least one address column"):
        to_sql("duckdb", "t", [], ranges)
    with pytest.raises(UsageError, match="named twice"):
        to_sql("duckdb", "t", ["ip", "ip"], ranges)
    with pytest.raises(UsageError, match="cannot read a Parquet file"):
        to_sql("trino", "t", ["ip"], None, ranges_table="x.parquet")


# ---------------------------------------------------------------------- ClickHouse (chdb)
@pytest.fixture(scope="module")
def clickhouse() -> Iterator[Any]:
    from chdb import session

    s = session.Session()
    yield s
    s.close()


def run_clickhouse(s: Any, sql: str, table: Path) -> list[Row]:
    s.query("DROP TABLE IF EXISTS t")
    s.query(f"CREATE TABLE t ENGINE = Memory AS SELECT * FROM file('{table}', Parquet)")
    *before, select = statements(sql)
    for statement in before:
        s.query(statement)
    data = json.loads(s.query(select, "JSONCompact").bytes())["data"]
    return sorted(tuple(int(r[0]) if i == 0 else r[i] for i in range(len(r))) for r in data)


def test_clickhouse_sql_agrees_with_classify_on_every_prefix_boundary(
        clickhouse: Any, ranges: Ranges, boundaries: list[str], tmp_path: Path) -> None:
    values = samples(boundaries)
    got = run_clickhouse(clickhouse, to_sql("clickhouse", "t", ["ip"], ranges),
                         write_table(tmp_path / "t.parquet", values))
    assert got == expected(values, ranges)


def test_clickhouse_sql_reads_the_ranges_parquet_export(
        clickhouse: Any, ranges: Ranges, boundaries: list[str], tmp_path: Path) -> None:
    path = tmp_path / "aws-ranges.parquet"
    path.write_bytes(table_bytes(ranges.to_arrow(), "parquet"))
    values = samples(boundaries, 3000)
    sql = to_sql("clickhouse", "t", ["ip"], None, ranges_table=str(path))
    got = run_clickhouse(clickhouse, sql, write_table(tmp_path / "t.parquet", values))
    assert got == expected(values, ranges)


# ---------------------------------------------------------------------- Spark SQL
# (the ``spark`` fixture: tests/conftest.py)


def test_spark_sql_agrees_with_classify_on_sampled_boundaries(
        spark: Any, ranges: Ranges, boundaries: list[str], tmp_path: Path) -> None:
    """1,500 of the boundaries (fixed seed) plus every odd and invalid form: Spark's planning
    of the generated SQL takes tens of seconds on a small machine, so one query covers all."""
    path = tmp_path / "aws-ranges.parquet"
    path.write_bytes(table_bytes(ranges.to_arrow(), "parquet"))
    values = samples(boundaries, 1500)
    spark.read.parquet(str(write_table(tmp_path / "t.parquet", values))) \
        .createOrReplaceTempView("t")
    *before, select = statements(to_sql("spark", "t", ["ip"], None, ranges_table=str(path)))
    assert not before
    got = sorted(tuple(r) for r in spark.sql(select).collect())
    assert got == expected(values, ranges)


# ---------------------------------------------------------------------- parse-only dialects
@pytest.mark.parametrize("name", ["trino", "athena", "snowflake", "bigquery"])
def test_sql_for_services_not_run_here_parses_in_its_dialect(name: str, ranges: Ranges) -> None:
    import sqlglot
    from sqlglot import exp

    read = {"athena": "athena", "trino": "trino", "snowflake": "snowflake",
            "bigquery": "bigquery"}[name]
    for sql in (to_sql(name, "flow_logs", ["srcaddr", "dstaddr"], ranges),
                to_sql(name, "flow_logs", ["dstaddr"], None, ranges_table="aws_ranges")):
        parsed = [p for p in sqlglot.parse(sql, read=read) if p is not None]
        assert isinstance(parsed[-1], exp.Select)
        assert not list(parsed[-1].find_all(exp.Between))
        assert "dstaddr_network_border_group" in parsed[-1].named_selects


def test_every_dialect_is_an_equi_join_without_between(ranges: Ranges) -> None:
    small = ranges.filter(service=["S3"], region=["us-east-1"])
    for name in DIALECTS:
        sql = to_sql(name, "t", ["ip"], small)
        assert " BETWEEN " not in sql.upper()
        assert "r.k0 = x.k0 AND r.k1 = x.k1 AND r.k2 = x.k2 AND r.k3 = x.k3" in sql


# ---------------------------------------------------------------------- the CLI
def generated_addresses(count: int) -> list[str]:
    """Deterministic addresses: mostly inside AWS-heavy /8s, some IPv6 and invalid ones."""
    rng = random.Random(count)
    out = []
    for i in range(count):
        if i % 50 == 0:
            out.append(f"2600:1f18:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}")
        elif i % 997 == 0:
            out.append("not-an-ip")
        else:
            out.append(f"{rng.choice((3, 13, 15, 18, 52, 54, 99))}.{rng.getrandbits(8)}."
                       f"{rng.getrandbits(8)}.{rng.getrandbits(8)}")
    return out


def test_cli_sql_runs_unmodified_in_duckdb_and_agrees_with_classify(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], ranges: Ranges) -> None:
    """200,000 generated rows here; benchmarks/bench_scale.py checks 1M the same way."""
    out = tmp_path / "classify.sql"
    assert main(["sql", "--dialect", "duckdb", "--table", "flows", "--column", "dstaddr",
                 "--ranges", str(NEWEST), "-o", str(out), "--quiet"]) == 0
    values = generated_addresses(200_000)
    con = duckdb.connect()
    con.register("gen", pa.table({"n": pa.array(range(len(values)), pa.int64()),
                                  "dstaddr": pa.array(values)}))
    con.execute("CREATE TABLE flows AS SELECT * FROM gen")
    rows = sorted(con.execute(out.read_text()).fetchall())  # the file as written
    assert rows == expected(values, ranges)


def test_cli_sql_json_lists_the_statements(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "--dialect", "clickhouse", "--table", "t", "--column", "ip",
                 "--ranges", str(NEWEST), "--json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dialect"] == "clickhouse" and doc["columns"] == ["ip"]
    assert doc["statements"][0] == "SET max_query_size = 16777216"
    assert doc["statements"][-1].startswith("WITH awsip_ranges AS")


def test_cli_sql_unknown_dialect_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "--dialect", "mysql", "--table", "t", "--column", "ip"]) == 2
    assert "mysql" in capsys.readouterr().err


def test_clickhouse_ip_trie_dictionary_agrees_with_classify(
        clickhouse: Any, ranges: Ranges, boundaries: list[str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "--dialect", "clickhouse", "--clickhouse-dictionary", "--table", "t",
                 "--column", "ip", "--ranges", str(NEWEST), "--quiet"]) == 0
    sql = capsys.readouterr().out
    assert "LAYOUT(IP_TRIE)" in sql and "awsip_lengths" not in sql
    values = samples(boundaries)
    got = run_clickhouse(clickhouse, sql, write_table(tmp_path / "t.parquet", values))
    assert got == expected(values, ranges)


def test_names_that_need_quoting_are_quoted(ranges: Ranges) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE \"my flows\" AS SELECT * FROM (VALUES ('52.216.58.42', 1)) "
                "v(\"dst addr\", \"Bytes\")")
    result = con.execute(to_sql("duckdb", '"my flows"', ["dst addr"], ranges))
    assert [d[0] for d in result.description] == [
        "dst addr", "Bytes", "dst addr_service", "dst addr_region",
        "dst addr_network_border_group", "dst addr_prefix"]
    assert result.fetchall() == [("52.216.58.42", 1, "S3", "us-east-1", "us-east-1",
                                  "52.216.0.0/15")]


def test_athena_sql_with_the_ranges_inside_warns_it_is_over_athenas_query_limit(
        ranges: Ranges) -> None:
    with pytest.warns(UserWarning, match="over Athena's limit of 262,144.*--ranges-table"):
        inline = to_sql("athena", "flow_logs", ["dstaddr"], ranges)
    assert len(inline.encode()) > 262_144
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        short = to_sql("athena", "flow_logs", ["dstaddr"], None, ranges_table="aws_ranges")
        to_sql("trino", "flow_logs", ["dstaddr"], ranges)  # Trino itself sets no such limit
    assert len(short.encode()) < 262_144
