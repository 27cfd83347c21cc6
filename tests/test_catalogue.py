"""The field catalogue (through version 11), tag decoding, record versions and INCOMPLETEDATA.

Field names, versions and Parquet types: "Flow log records", Amazon VPC User Guide,
https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html (see
``awsip/flowlogs/fields.py`` for what was read where).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from awsip.flowlogs import DEFAULT_FIELDS, FIELDS, read_flow_logs, traffic_only
from awsip.flowlogs.fields import (
    NEWEST_VERSION,
    TAG_COLUMNS,
    TAG_FIELDS,
    field_table_markdown,
)
from awsip.flowlogs.formats import header_fields, parse_format
from awsip.flowlogs.options import ReaderOptions
from awsip.flowlogs.reader import FlowLogStats, account
from awsip.flowlogs.tags import decode_tag_columns, percent_decode
from flowlog_factory import T0, line, record, skipdata, text, write

DOC = Path(__file__).parent.parent / "docs" / "flowlogs.md"
_V9_TO_V11 = ("resource-id", "encryption-status", "instance-tag", "instance-tag-2",
              "interface-tag", "interface-tag-2", "asg-tag", "asg-tag-2", "interface-type",
              "next-hop-interface-id", "next-hop-subnet-id", "next-hop-az-id", "next-hop-vpc-id",
              "next-hop-interface-type")


def test_doc_field_table_is_the_catalogue() -> None:
    doc = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- fields:begin.*?-->\n(.*?)<!-- fields:end -->", doc, re.S)
    assert found, "docs/flowlogs.md lost its generated field table markers"
    assert found.group(1) == field_table_markdown(), (
        "docs/flowlogs.md's field table differs from the catalogue; regenerate it with "
        "python -c 'from awsip.flowlogs.fields import field_table_markdown as t; print(t())'")


def test_catalogue_reaches_version_11_with_each_field_at_its_version() -> None:
    assert NEWEST_VERSION == 11
    assert {n: FIELDS[n].version for n in _V9_TO_V11} == {
        "resource-id": 9, "encryption-status": 10, **{n: 11 for n in _V9_TO_V11[2:]}}
    assert FIELDS["encryption-status"].kind == "int32"
    assert {FIELDS[n].kind for n in _V9_TO_V11 if n != "encryption-status"} == {"string"}
    assert {"instance-tag", "instance-tag-2", "interface-tag", "interface-tag-2",
                          "asg-tag", "asg-tag-2"} == TAG_FIELDS
    assert {n.replace("-", "_") for n in TAG_FIELDS} == TAG_COLUMNS
    assert all(FIELDS[n].tag for n in TAG_FIELDS) and not FIELDS["srcaddr"].tag


def test_parquet_types_are_awss_names_for_each_kind() -> None:
    assert FIELDS["version"].parquet_type == "INT_32"
    assert FIELDS["bytes"].parquet_type == "INT_64"
    assert FIELDS["start"].parquet_type == "INT_64"  # Unix seconds, typed as timestamps here
    assert FIELDS["srcaddr"].parquet_type == "STRING"
    assert FIELDS["packets-lost-blackhole"].parquet_type == "INT_64"


def test_new_fields_are_accepted_in_format_strings_and_header_lines() -> None:
    spec = " ".join(f"${{{n}}}" for n in ("version", *_V9_TO_V11))
    assert parse_format(spec) == ("version", *_V9_TO_V11)
    assert header_fields(" ".join(("version", *_V9_TO_V11)).encode()) == ("version", *_V9_TO_V11)


@pytest.mark.parametrize("version", [*range(2, NEWEST_VERSION + 1), NEWEST_VERSION + 1, 99])
def test_records_of_every_version_are_read(tmp_path: Path, version: int) -> None:
    """The version field is data: records of versions not yet known are read too."""
    path = write(tmp_path / "v.log", text([record(version=version)]), gz=False)
    reader = read_flow_logs(path, progress=False)
    (got,) = reader.read_all().to_pylist()
    assert got["version"] == version and got["bytes"] == 4000
    assert reader.stats.skipped == 0


def test_percent_decoding_rule() -> None:
    values = pa.array(["my%20app", None, "plain", "%E6%97%A5%E6%9C%AC", "100%", "a%2", "%zz%41",
                       "%ff", "50%25off", "%4", "", "-%2D-"])
    assert percent_decode(values).to_pylist() == [
        "my app", None, "plain", "日本", "100%", "a%2", "%zzA",
        "%ff",  # not UTF-8 once decoded: kept as written
        "50%off", "%4", "", "---"]


def test_an_escape_is_never_taken_across_two_values() -> None:
    # "a%2" then "0b": the bytes are contiguous in the Arrow buffer, the escape is not
    assert percent_decode(pa.array(["a%2", "0b", "%", "41"])).to_pylist() == \
        ["a%2", "0b", "%", "41"]


def test_decoding_sliced_and_chunked_arrays_keeps_nulls_in_place() -> None:
    base = pa.array(["x%20y", None, "%41%42", None, "c%3Dd"])
    assert percent_decode(base.slice(1)).to_pylist() == [None, "AB", None, "c=d"]
    chunked = pa.chunked_array([base.slice(0, 2), base.slice(2)])
    got = percent_decode(chunked)
    assert got.to_pylist() == ["x y", None, "AB", None, "c=d"] and got.null_count == 2


def test_only_tag_columns_are_decoded() -> None:
    table = pa.table({"instance_tag": ["a%20b"], "vpc_id": ["vpc%20x"]})
    got = decode_tag_columns(table).to_pylist()
    assert got == [{"instance_tag": "a b", "vpc_id": "vpc%20x"}]


def _incomplete(start: int, end: int) -> dict[str, object]:
    return record(start=start, end=end, log_status="INCOMPLETEDATA")


def test_incompletedata_is_counted_like_skipdata_with_its_window(tmp_path: Path) -> None:
    recs = [record(), _incomplete(T0 + 60, T0 + 120), skipdata(T0, T0 + 60),
            _incomplete(T0 + 300, T0 + 360)]
    reader = read_flow_logs(write(tmp_path / "cwan.log.gz", text(recs)), progress=False)
    table = reader.read_all()
    s = reader.stats
    assert (s.records, s.incomplete, s.skipdata, s.nodata) == (4, 2, 1, 0)
    assert s.incomplete_span == (datetime.fromtimestamp(T0 + 60, timezone.utc),
                                 datetime.fromtimestamp(T0 + 360, timezone.utc))
    assert s.lines == s.header_lines + s.blank_lines + s.skipped + s.records + s.outside_window
    assert table.column("log_status").to_pylist().count("INCOMPLETEDATA") == 2
    assert traffic_only(table).num_rows == 1  # like SKIPDATA: not counted as traffic


def test_incompletedata_in_tables_given_directly_is_counted() -> None:
    table = pa.table({"log_status": ["OK", "INCOMPLETEDATA"],
                      "start": pa.array([T0, T0 + 5], pa.timestamp("s", tz="UTC")),
                      "end": pa.array([T0 + 60, T0 + 65], pa.timestamp("s", tz="UTC"))})
    stats = FlowLogStats()
    account(table, stats, ReaderOptions())
    assert (stats.records, stats.incomplete) == (2, 1)


def test_tags_decoded_by_default_and_kept_as_written_on_request(tmp_path: Path) -> None:
    fields = (*DEFAULT_FIELDS, "instance-tag", "asg-tag-2")
    rec = record(version=11, instance_tag="Team%20Blue", asg_tag_2="a%2Fb")
    path = write(tmp_path / "t.log", (" ".join(fields) + "\n" + line(rec, fields) + "\n")
                 .encode(), gz=False)
    (got,) = read_flow_logs(path, progress=False).read_all().to_pylist()
    assert (got["instance_tag"], got["asg_tag_2"]) == ("Team Blue", "a/b")
    (raw,) = read_flow_logs(path, progress=False, decode_tags=False).read_all().to_pylist()
    assert (raw["instance_tag"], raw["asg_tag_2"]) == ("Team%20Blue", "a%2Fb")


def test_tag_columns_of_other_string_types_are_decoded_to_string() -> None:
    table = pa.table({"asg_tag": pa.array(["a%20b", None], pa.large_string()),
                      "interface_tag": pa.array(["x%2Fy", "x%2Fy"]).dictionary_encode()})
    got = decode_tag_columns(table)
    assert got.schema.field("asg_tag").type == pa.string()
    assert got.to_pylist() == [{"asg_tag": "a b", "interface_tag": "x/y"},
                               {"asg_tag": None, "interface_tag": "x/y"}]
