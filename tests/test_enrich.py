"""awsip.enrich_flow_logs: flow-log records with src_/dst_ labels from the bulk engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import awsip
import flowlog_factory as ff
from awsip import FlowLogError, Ranges, UsageError, enrich_flow_logs
from awsip.classification.enrich import LABELS, enrich_batch

#: (srcaddr, dstaddr) pairs: S3, EC2 IPv6, the internet, private, IPv4-mapped IPv6, not AWS v6.
PAIRS = [("10.0.1.5", "52.216.58.42"), ("2600:1f18::1", "10.0.1.5"),
         ("10.0.1.5", "8.8.8.8"), ("192.168.1.1", "10.0.2.7"),
         ("::ffff:3.5.16.209", "10.0.1.5"), ("10.0.1.5", "2001:db8::1")]



def flow_file(tmp_path: Path, name: str = "a.log.gz", repeat: int = 1) -> Path:
    recs: list[dict[str, Any]] = [ff.record(srcaddr=s, dstaddr=d) for s, d in PAIRS] * repeat
    recs.insert(2, ff.nodata(ff.T0, ff.T0 + 60))
    return ff.write(tmp_path / name, ff.text(recs))


def rows_of(enriched: Any) -> list[dict[str, Any]]:
    return [row for batch in enriched for row in batch.to_pylist()]


def expected_labels(ranges: Ranges, address: str | None, prefix: str) -> dict[str, Any]:
    if address is None:
        return {prefix + name: None for name in LABELS}
    m = ranges.lookup(address)
    return {prefix + "aws": m.aws, prefix + "service": m.service, prefix + "region": m.region,
            prefix + "network_border_group": m.network_border_group, prefix + "prefix": m.prefix}


def test_labels_equal_ranges_lookup_for_both_addresses(tmp_path: Path, ranges: Ranges) -> None:
    rows = rows_of(enrich_flow_logs(str(flow_file(tmp_path)), ranges, progress=False))
    assert len(rows) == len(PAIRS) + 1
    for row in rows:
        for column, prefix in (("srcaddr", "src_"), ("dstaddr", "dst_")):
            got = {k: row[k] for k in row if k.startswith(prefix)}
            assert got == expected_labels(ranges, row[column], prefix)


def test_known_peers_get_the_expected_service(tmp_path: Path, ranges: Ranges) -> None:
    rows = rows_of(enrich_flow_logs(str(flow_file(tmp_path)), ranges, progress=False))
    s3 = next(r for r in rows if r["dstaddr"] == "52.216.58.42")
    assert (s3["dst_aws"], s3["dst_service"], s3["dst_region"]) == (True, "S3", "us-east-1")
    assert s3["src_aws"] is False and s3["src_service"] is None  # a private address
    ec2 = next(r for r in rows if r["srcaddr"] == "2600:1f18::1")
    assert ec2["src_aws"] is True and ec2["src_service"] == ranges.lookup("2600:1f18::1").service
    internet = next(r for r in rows if r["dstaddr"] == "8.8.8.8")
    assert internet["dst_aws"] is False and internet["dst_prefix"] is None


def test_nodata_rows_keep_null_addresses_and_get_null_labels(tmp_path: Path,
                                                             ranges: Ranges) -> None:
    rows = rows_of(enrich_flow_logs(str(flow_file(tmp_path)), ranges, progress=False))
    nodata = [r for r in rows if r["log_status"] == "NODATA"]
    assert len(nodata) == 1
    row = nodata[0]
    assert row["srcaddr"] is None and row["dstaddr"] is None
    assert all(row[p + n] is None for p in ("src_", "dst_") for n in LABELS)


def test_reader_columns_come_through_unchanged_before_the_labels(tmp_path: Path,
                                                                 ranges: Ranges) -> None:
    path = str(flow_file(tmp_path))
    plain = awsip.read_flow_logs(path, progress=False).read_all()
    enriched = pa.Table.from_batches(list(enrich_flow_logs(path, ranges, progress=False)))
    added = [p + n for p in ("src_", "dst_") for n in LABELS]
    assert enriched.column_names == plain.column_names + added
    assert enriched.select(plain.column_names).equals(plain)
    assert enriched.schema.field("dst_service").type == pa.dictionary(pa.int16(), pa.string())


def test_stats_are_the_readers_totals(tmp_path: Path, ranges: Ranges) -> None:
    flow_file(tmp_path / "logs", "a.log.gz")
    flow_file(tmp_path / "logs", "b.log.gz")
    enriched = enrich_flow_logs(str(tmp_path / "logs"), ranges, progress=False)
    rows = rows_of(enriched)
    assert enriched.stats is not None
    per_file = len(PAIRS) + 1  # the pairs and one NODATA record
    assert len(rows) == 2 * per_file
    assert (enriched.stats.files, enriched.stats.records, enriched.stats.nodata,
            enriched.stats.skipped) == (2, 2 * per_file, 2, 0)


def test_each_distinct_address_of_a_batch_is_classified_once(
        tmp_path: Path, ranges: Ranges, monkeypatch: pytest.MonkeyPatch) -> None:
    import awsip.classification.enrich

    seen: list[int] = []
    real = awsip.classification.enrich.classify

    def counting(ips: Any, r: Any = None) -> pa.Table:
        seen.append(len(ips))
        return real(ips, r)

    monkeypatch.setattr(awsip.classification.enrich, "classify", counting)
    rows = rows_of(enrich_flow_logs(str(flow_file(tmp_path, repeat=50)), ranges,
                                    progress=False))
    distinct = {a for s, d in PAIRS for a in (s, d)}
    assert len(rows) == 50 * len(PAIRS) + 1
    assert seen == [len(distinct)]


def test_tables_batches_and_readers_are_accepted(tmp_path: Path, ranges: Ranges) -> None:
    path = str(flow_file(tmp_path))
    table = awsip.read_flow_logs(path, progress=False).read_all()
    from_table = rows_of(enrich_flow_logs(table, ranges))
    from_batches = rows_of(enrich_flow_logs(iter(table.to_batches()), ranges))
    reader = awsip.read_flow_logs(path, progress=False)
    enriched = enrich_flow_logs(reader, ranges)
    from_reader = rows_of(enriched)
    assert from_table == from_batches == from_reader
    assert enriched.stats is reader.stats
    assert enrich_flow_logs(table, ranges).reader is None


def test_reader_options_with_data_already_read_are_refused(ranges: Ranges) -> None:
    table = pa.table({"srcaddr": ["10.0.0.1"], "dstaddr": ["52.216.58.42"]})
    with pytest.raises(UsageError):
        enrich_flow_logs(table, ranges, strict=True)


def test_only_the_address_columns_present_are_labelled(ranges: Ranges) -> None:
    batch = pa.record_batch({"dstaddr": ["52.216.58.42", None]})
    out = enrich_batch(batch, ranges)
    assert out.schema.names == ["dstaddr", *("dst_" + n for n in LABELS)]
    assert out.column("dst_service").to_pylist() == ["S3", None]
    with pytest.raises(UsageError):
        enrich_batch(pa.record_batch({"bytes": [1]}), ranges)


def test_truncated_gzip_raises_from_the_iteration(tmp_path: Path, ranges: Ranges) -> None:
    path = ff.truncate(flow_file(tmp_path, repeat=400), 0.5)
    enriched = enrich_flow_logs(str(path), ranges, progress=False)
    with pytest.raises(FlowLogError, match="truncated"):
        rows_of(enriched)


@pytest.mark.filterwarnings("ignore::awsip.errors.BundledRangesWarning")
def test_top_level_wrapper_defaults_to_the_bundled_ranges(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSIP_OFFLINE", "1")
    rows = rows_of(awsip.enrich_flow_logs(str(flow_file(tmp_path)), progress=False))
    s3 = next(r for r in rows if r["dstaddr"] == "52.216.58.42")
    assert s3["dst_service"] == awsip.default_ranges().lookup("52.216.58.42").service


def test_import_awsip_does_not_import_pyarrow_until_enrich_is_used() -> None:
    code = ("import sys, awsip; assert 'enrich_flow_logs' in dir(awsip); "
            "print(any(m.startswith(('pyarrow', 'numpy')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
