"""awsip.spark in Spark local mode (local[2]): the same answers as the local engine.

One SparkSession serves the whole file (starting one costs seconds). Workers run this Python
(``spark.pyspark.python``). Skipped, with the reason, only when no Java runtime is present.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import awsip
from awsip import Ranges
from awsip import spark as awsip_spark
from awsip.engines.spark import to_arrow
from awsip.errors import FlowLogError, UsageError
from awsip.flowlogs.fields import FIELDS
from flowlog_factory import T0, hive_key, nodata, record, s3_key, text, write, write_parquet
from oracle import INVESTIGATION, Doc, boundary_addresses

TS = pa.timestamp("s", tz="UTC")
NAT_ENI, NAT_IP, HOST_ENI, HOST = "eni-0a7c0e5f", "10.0.0.144", "eni-0b0c", "10.0.1.23"
#: A version 5 format, written without a header line (the reader needs it as log_format).
V5 = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
      "protocol", "packets", "bytes", "start", "end", "action", "log-status", "vpc-id",
      "region", "flow-direction")
V5_FORMAT = " ".join(f"${{{f}}}" for f in V5)


def as_seconds(table: pa.Table) -> pa.Table:
    """Spark's timestamps (microseconds) as the reader's (seconds), strings as plain strings."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(TS))
        elif pa.types.is_large_string(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.string()))
    return table.replace_schema_metadata(None)


# ---------------------------------------------------------------------- classify_columns
def _samples(doc: Doc) -> list[Any]:
    """Every prefix boundary of the publication (first and last address of each prefix, and
    the addresses just outside), a fixed fifth of the IPv4 ones in v4-mapped form,
    investigation addresses, invalid text and nulls."""
    picked = boundary_addresses(doc)
    mapped = [f"::ffff:{a}" for a in picked if ":" not in a][::5]
    invalid = ["", "300.1.1.1", "01.2.3.4", "52.216.0.0/15", "::ffff:1.2.3", "text", " 1.2.3.4"]
    return picked + mapped + INVESTIGATION + invalid + [None] * 3


def test_classify_columns_equals_awsip_classify_row_for_row(spark: Any, ranges: Ranges,
                                                            doc: Doc) -> None:
    values = _samples(doc)
    assert any(v and ":" in v and "ffff" not in v for v in values)  # plain IPv6 is in
    reversed_ = list(reversed(values))
    # rows with an explicit schema: createDataFrame(pyarrow.Table) is Spark 4 only
    df = spark.createDataFrame(list(zip(range(len(values)), values, reversed_, strict=True)),
                               "n long, src string, dst string")
    got = as_seconds(to_arrow(awsip_spark.classify_columns(df, ["src", "dst"], ranges=ranges)
                              .orderBy("n")))
    assert got.column("src").to_pylist() == values
    for column, inputs in (("src", values), ("dst", reversed_)):
        want = awsip.classify(inputs, ranges=ranges)
        for suffix in ("aws", "service", "region", "network_border_group", "prefix"):
            expected = want.column(suffix)
            if pa.types.is_dictionary(expected.type):
                expected = expected.cast(pa.string())
            assert got.column(f"{column}_{suffix}").to_pylist() == expected.to_pylist(), suffix
    aws = got.column("src_aws").to_pylist()
    assert True in aws and False in aws and None in aws  # the three answers occur


def test_integer_ipv4_columns_are_classified_like_their_dotted_form(spark: Any,
                                                                    ranges: Ranges) -> None:
    import ipaddress

    ints = [int(ipaddress.ip_address(a)) for a in INVESTIGATION] + [0, 2**32 - 1, -1, 2**32]
    df = spark.createDataFrame(list(enumerate(ints)), "n long, ip long")
    got = to_arrow(awsip_spark.classify_columns(df, "ip", ranges=ranges).orderBy("n"))
    want = awsip.classify(pa.array(ints, pa.int64()), ranges=ranges)
    assert got.column("ip_service").to_pylist() == want.column("service").cast(
        pa.string()).to_pylist()
    assert got.column("ip_aws").to_pylist() == want.column("aws").to_pylist()
    assert got.column("ip_service").to_pylist()[:len(INVESTIGATION)] == ["S3"] * len(
        INVESTIGATION)


def test_classify_columns_refuses_missing_or_non_address_columns(spark: Any,
                                                                 ranges: Ranges) -> None:
    df = spark.createDataFrame([("1.2.3.4", 1.5)], "ip string, x double")
    with pytest.raises(UsageError, match="no column 'nope'"):
        awsip_spark.classify_columns(df, "nope", ranges=ranges)
    with pytest.raises(UsageError, match="'x' is double"):
        awsip_spark.classify_columns(df, "x", ranges=ranges)
    labelled = awsip_spark.classify_columns(df, "ip", ranges=ranges)
    with pytest.raises(UsageError, match="already has ip_aws"):
        awsip_spark.classify_columns(labelled, "ip", ranges=ranges)


# ---------------------------------------------------------------------- flow logs
def _traffic(n: int, seed: int) -> list[dict[str, Any]]:
    """Records between hosts and public peers (S3, EC2, internet, IPv6), NAT legs and all."""
    rng = random.Random(seed)
    peers = [*INVESTIGATION, "3.5.16.209", "13.248.118.1", "8.8.8.8", "2600:1f18::1",
             "1.1.1.1", "35.180.0.10"]
    out: list[dict[str, Any]] = []
    for i in range(n):
        peer, up, down = rng.choice(peers), rng.randint(0, 5000), rng.randint(0, 90000)
        start = T0 + rng.randint(0, 3 * 86400)
        when = {"start": start, "end": start + 60, "packets": rng.randint(1, 50)}
        if i % 3 == 0:  # one connection through the NAT: every leg AWS logs
            legs = [(NAT_ENI, HOST, NAT_IP, up), (NAT_ENI, NAT_IP, peer, up),
                    (NAT_ENI, peer, NAT_IP, down), (NAT_ENI, NAT_IP, HOST, down),
                    (HOST_ENI, HOST, peer, up), (HOST_ENI, peer, HOST, down)]
            out += [record(interface_id=e, srcaddr=s, dstaddr=d, bytes=b, **when)
                    for e, s, d, b in legs]
        else:
            out.append(record(srcaddr=f"10.0.{i % 7}.{i % 200 + 1}", dstaddr=peer, bytes=up,
                              dstport=rng.choice([443, 80, 22]),
                              action=rng.choice(["ACCEPT", "REJECT"]), **when))
    return out


def _v5(rec: dict[str, Any], i: int) -> dict[str, Any]:
    return {**rec, "vpc-id": "vpc-0a1b", "region": "us-east-1",
            "flow-direction": "egress" if i % 2 else "ingress"}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bucket of deliveries: gzip text with the header line (bad lines in it), headerless
    gzip text in a version 5 format, plain text, and Parquet."""
    root = tmp_path_factory.mktemp("bucket")
    one = [*_traffic(300, 1), nodata(T0, T0 + 600)]
    lines: list[Any] = [*one[:100], "2 123 eni-1 10.0.0.1 1.2.3.4 1 2 6 1 40 1 2 ACCEPT OK x",
                        "not a flow log line", *one[100:],
                        "2 123 eni-2 10.0.0.1 1.2.3.4 x 2 6 1 40 1 2 ACCEPT OK"]
    write(s3_key(root, stamp="20260327T0135Z"), text(lines))
    two = [_v5(r, i) for i, r in enumerate(_traffic(200, 2))]
    write(s3_key(root, stamp="20260327T0140Z"), text([*two, "too few fields"], V5,
                                                     header=False))
    write(s3_key(root, stamp="20260327T0145Z").with_suffix(""), text(_traffic(150, 3)),
          gz=False)
    write_parquet(hive_key(root), _traffic(250, 4))
    return root


@pytest.fixture(scope="module")
def spark_logs(spark: Any, logs: Path) -> Any:
    return awsip_spark.read_flow_logs(spark, str(logs), log_format=V5_FORMAT)


@pytest.fixture(scope="module")
def records(logs: Path) -> pa.Table:
    """The same files read by the local reader, every field checked (as Spark reads them:
    ``awsip.summarize(path)`` reads only the fields it needs, so a line whose unused field
    is bad counts there and not here)."""
    return awsip.read_flow_logs(str(logs), log_format=V5_FORMAT).read_all()


def test_flow_logs_read_by_spark_equal_the_local_reader(spark_logs: Any, logs: Path) -> None:
    local = awsip.read_flow_logs(str(logs), log_format=V5_FORMAT)
    want = local.read_all()
    got = as_seconds(to_arrow(spark_logs.df))
    assert got.column_names == want.column_names
    assert {f.name: f.type for f in got.schema} == {f.name: f.type for f in want.schema}
    assert got.equals(want.cast(got.schema))
    assert {"vpc_id", "region", "flow_direction"} <= set(got.column_names)  # from the v5 file
    assert pc.sum(pc.is_null(got.column("region"))).as_py() > 0  # null in the other files
    types = {f.name: FIELDS[f.name.replace("_", "-")].kind for f in got.schema}
    assert types["start"] == "timestamp" and types["srcport"] == "int32"


def test_spark_reader_counts_equal_the_local_reader_before_and_after_an_action(
        spark_logs: Any, logs: Path) -> None:
    local = awsip.read_flow_logs(str(logs), log_format=V5_FORMAT)
    local.read_all()
    want = dataclasses.asdict(local.stats)
    assert want["skipped"] == 4 and want["nodata"] == 1 and want["files"] == 4
    fresh = awsip_spark.read_flow_logs(spark_logs.df.sparkSession, str(logs),
                                       log_format=V5_FORMAT)
    assert dataclasses.asdict(fresh.stats()) == want  # no action yet: read for the counts
    fresh.df.count()
    fresh.df.count()  # a second action does not count twice
    assert dataclasses.asdict(fresh.stats()) == want
    reasons = [s.line for s in fresh.stats().skipped_lines]
    assert reasons == [s.line for s in local.stats.skipped_lines]


def test_summaries_in_spark_equal_awsip_summarize_group_for_group(
        spark_logs: Any, records: pa.Table, ranges: Ranges) -> None:
    for by in (["service", "region"], ["peer", "direction", "port", "action", "day"], []):
        want = awsip.summarize(records, by=by, ranges=ranges)
        got = as_seconds(to_arrow(awsip_spark.summarize(spark_logs.df, by=by, ranges=ranges)))
        assert got.column_names == want.column_names, by
        assert got.to_pylist() == want.cast(got.schema).to_pylist(), by
        assert want.num_rows >= 1


def test_nat_report_in_spark_equals_the_local_report(spark_logs: Any, records: pa.Table,
                                                     ranges: Ranges) -> None:
    local = awsip.report(records, ranges=ranges, nat_ips=[NAT_IP], nat_enis=[NAT_ENI])
    got = awsip_spark.nat_report(spark_logs.df, nat_ips=[NAT_IP], nat_enis=[NAT_ENI],
                                 ranges=ranges)
    assert local.nat is not None and local.nat.bytes > 0 and got.nat is not None
    # the whole NAT section: the local report's code finishes it (tests/test_spark_report.py
    # compares whole reports on whole-VPC logs)
    want_nat, got_nat = local.nat.to_dict(), got.nat.to_dict()
    assert got_nat == want_nat
    assert got_nat["by_service"] and got_nat["by_day"] and got_nat["gateways"]
    assert got.vpc_region == local.vpc_region
    assert got.monthly_factor == local.monthly_factor
    assert [r.to_dict() for r in got.recommendations] == [
        r.to_dict() for r in local.recommendations]
    assert got.recommendations  # S3 in the VPC's region: a gateway endpoint is advised


def test_nat_report_in_spark_prices_the_vpc_region_like_the_local_report(
        spark_logs: Any, records: pa.Table, ranges: Ranges) -> None:
    kw: dict[str, Any] = {"nat_ips": [NAT_IP], "nat_enis": [NAT_ENI], "ranges": ranges,
                          "vpc_region": "ap-southeast-1"}
    local = awsip.report(records, **kw)
    got = awsip_spark.nat_report(spark_logs.df, **kw)
    assert local.nat is not None and got.nat is not None
    want_nat, got_nat = local.nat.to_dict(), got.nat.to_dict()
    keys = ("price_per_gb", "price_source", "cost_usd", "region")
    assert {k: got_nat[k] for k in keys} == {k: want_nat[k] for k in keys}
    # Singapore's NAT price is not us-east-1's (docs/prices.md)
    assert got.nat.price_per_gb != awsip.report(
        records, **{**kw, "vpc_region": "us-east-1"}).nat.price_per_gb  # type: ignore[union-attr]
    assert [r.to_dict() for r in got.recommendations] == [
        r.to_dict() for r in local.recommendations]


def test_nat_identifiers_no_record_mentions_are_warned(spark_logs: Any, ranges: Ranges) -> None:
    with pytest.warns(UserWarning, match="eni-0fff"):
        got = awsip_spark.nat_report(spark_logs.df, nat_enis=["eni-0fff"], ranges=ranges)
    assert got.nat is not None and got.nat.bytes == 0 and got.unmatched == ["eni-0fff"]


def test_a_bad_line_under_strict_comes_back_as_flowlogerror_naming_file_and_line(
        spark: Any, logs: Path, spark_logs: Any) -> None:
    strict = awsip_spark.read_flow_logs(spark, str(logs), log_format=V5_FORMAT, strict=True,
                                        schema=spark_logs.df.schema)  # no schema job
    assert strict.df.schema == spark_logs.df.schema
    # two files hold a bad line; whichever task fails first names its file and line
    first_bad = r"(20260327T0135Z.*line 102: expected 14|20260327T0140Z.*line 536: expected 17)"
    with pytest.raises(FlowLogError, match=first_bad):
        strict.stats()
    with pytest.raises(FlowLogError, match=first_bad), awsip_spark.awsip_errors():
        strict.df.count()


def test_the_index_is_shipped_once_and_read_once_per_worker_process(
        spark: Any, ranges: Ranges, monkeypatch: pytest.MonkeyPatch) -> None:
    from awsip.engines import spark as engine
    from awsip.index.bulk import BulkIndex

    shipped = engine.ship_index(spark, ranges)
    assert engine.ship_index(spark, ranges) is shipped
    reads: list[Path] = []
    real = BulkIndex.load

    def counting(path: Path, key: str) -> BulkIndex | None:
        reads.append(path)
        return real(path, key)

    monkeypatch.setattr(BulkIndex, "load", counting)
    monkeypatch.delitem(engine._INDEXES, shipped.digest)  # as in a fresh worker process
    first = shipped.load()
    assert shipped.load() is first and len(reads) == 1  # the second batch reads nothing
    assert reads[0].name == shipped.name
    assert first.columns["service"].dictionary.equals(
        BulkIndex(ranges).columns["service"].dictionary)


def test_s3_objects_are_read_by_the_workers_like_the_local_reader(
        spark: Any, tmp_path: Path, moto_endpoint: str, aws_test_credentials: None) -> None:
    """moto's S3 server on 127.0.0.1; a key that is the prefix of another key is read once."""
    boto3 = pytest.importorskip("boto3")
    endpoint = moto_endpoint
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="logs")
    key = str(s3_key(Path(""), stamp="20260327T0135Z"))
    body = write(tmp_path / "a.gz", text(_traffic(40, 5))).read_bytes()
    s3.put_object(Bucket="logs", Key=key, Body=body)
    s3.put_object(Bucket="logs", Key=key + ".copy", Body=body)  # the key is its prefix
    parquet = write_parquet(tmp_path / "b.parquet", _traffic(30, 6))
    s3.put_object(Bucket="logs", Key=str(hive_key(Path(""))), Body=parquet.read_bytes())
    where = {"region": "us-east-1", "endpoint_override": endpoint}
    local = awsip.read_flow_logs("s3://logs/AWSLogs/", progress=False, **where)
    want = local.read_all()
    got = awsip_spark.read_flow_logs(spark, "s3://logs/AWSLogs/", **where)
    table = as_seconds(to_arrow(got.df))
    assert table.equals(want.cast(table.schema))
    # both text objects once each, and the Parquet one
    assert want.num_rows == 2 * len(_traffic(40, 5)) + len(_traffic(30, 6))
    assert dataclasses.asdict(got.stats()) == dataclasses.asdict(local.stats)


def test_reading_only_some_fields_equals_the_local_reader_and_awsip_summarize_of_the_path(
        spark: Any, logs: Path, spark_logs: Any, ranges: Ranges) -> None:
    from awsip.traffic.peers import columns_needed

    need = sorted(columns_needed(["service", "region"]))
    part = awsip_spark.read_flow_logs(spark, str(logs), log_format=V5_FORMAT, columns=need)
    local = awsip.read_flow_logs(str(logs), log_format=V5_FORMAT, columns=need)
    want = local.read_all()
    got = as_seconds(to_arrow(part.df))
    assert set(got.column_names) <= set(need) and got.equals(want.cast(got.schema))
    assert dataclasses.asdict(part.stats()) == dataclasses.asdict(local.stats)
    # the line whose srcport is 'x' is a record when srcport is not read
    assert part.stats().skipped == spark_logs.stats().skipped - 1
    by = ["service", "region"]
    summary = awsip.summarize(str(logs), by=by, ranges=ranges, log_format=V5_FORMAT)
    got_summary = as_seconds(to_arrow(awsip_spark.summarize(part.df, by=by, ranges=ranges)))
    assert got_summary.to_pylist() == summary.cast(got_summary.schema).to_pylist()
