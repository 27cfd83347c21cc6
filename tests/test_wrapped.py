"""Flow-log records wrapped in JSON: CloudWatch Logs subscription payloads as Firehose writes
them to S3 (gzip'd DATA_MESSAGE objects, concatenated), and JSON Lines with a ``message``."""

from __future__ import annotations

import functools
import gzip
import itertools
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awsip
from awsip import cli
from awsip.cli import common
from awsip.errors import FlowLogError
from awsip.flowlogs import reader as reader_mod
from awsip.flowlogs.wrapped import JSON_LINES, SUBSCRIPTION, sniff_json
from flowlog_factory import T0, line, nodata, record, write

GROUP = "/vpc/flowlogs"
MS = T0 * 1000 + 123  # an event time with milliseconds


def payload(messages: list[Any], stream: str = "eni-0a1b2c3d4e5f60718-all",
            group: str = GROUP, t: int = MS, kind: str = "DATA_MESSAGE") -> bytes:
    """One subscription payload, compact like CloudWatch Logs writes it."""
    events = [{"id": f"3195310660696698337880902507980421114328961542429{i:04d}",
               "timestamp": t + i, "message": m} for i, m in enumerate(messages)]
    return json.dumps({"messageType": kind, "owner": "123456789012", "logGroup": group,
                       "logStream": stream, "subscriptionFilters": ["to-firehose"],
                       "logEvents": events}, separators=(",", ":")).encode()


CONTROL = json.dumps({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs",
                      "logGroup": "", "logStream": "", "subscriptionFilters": [],
                      "logEvents": [{"id": "", "timestamp": MS, "message":
                                     "CWL CONTROL MESSAGE: Checking health of destination "
                                     "Firehose."}]}).encode()


def firehose(path: Path, *payloads: bytes) -> Path:
    """What Firehose writes to S3: each record (one payload) its own gzip member."""
    path.write_bytes(b"".join(gzip.compress(p) for p in payloads))
    return path


def read(path: Path, **kw: Any) -> tuple[pa.Table, awsip.FlowLogStats]:
    reader = awsip.read_flow_logs(path, progress=False, **kw)
    return reader.read_all(), reader.stats


def when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def invariant(stats: awsip.FlowLogStats) -> None:
    assert stats.lines == (stats.header_lines + stats.blank_lines + stats.skipped
                           + stats.records + stats.outside_window)


# ---------------------------------------------------------------- subscription payloads


def test_one_gzipped_data_message_gives_its_records_with_group_stream_and_event_time(
        tmp_path: Path) -> None:
    path = firehose(tmp_path / "one.gz", payload([
        line(record(srcaddr="10.0.1.5", dstaddr="52.216.58.42", bytes=4000)),
        line(record(srcaddr="3.5.16.209", dstaddr="10.0.1.9", bytes=77, action="REJECT"))]))
    table, stats = read(path)
    assert table.column("srcaddr").to_pylist() == ["10.0.1.5", "3.5.16.209"]
    assert table.column("dstaddr").to_pylist() == ["52.216.58.42", "10.0.1.9"]
    assert table.column("bytes").to_pylist() == [4000, 77]
    assert table.column("action").to_pylist() == ["ACCEPT", "REJECT"]
    assert table.column("log_group").to_pylist() == [GROUP, GROUP]
    assert table.column("log_stream").to_pylist() == ["eni-0a1b2c3d4e5f60718-all"] * 2
    assert table.schema.field("event_time").type == pa.timestamp("ms", tz="UTC")
    assert table.column("event_time").to_pylist() == [when(MS), when(MS + 1)]
    assert table.column_names[-3:] == ["log_group", "log_stream", "event_time"]
    assert (stats.records, stats.lines, stats.skipped, stats.control_messages) == (2, 2, 0, 0)


def test_concatenated_members_with_a_control_message_read_in_order(tmp_path: Path) -> None:
    path = firehose(tmp_path / "many.gz", CONTROL,
                    payload([line(record(bytes=1)), line(nodata(T0, T0 + 60))], stream="a"),
                    payload([line(record(bytes=3))], stream="b", group="/other", t=MS + 5000))
    table, stats = read(path)
    assert table.column("bytes").to_pylist() == [1, None, 3]
    assert table.column("log_status").to_pylist() == ["OK", "NODATA", "OK"]
    assert table.column("log_stream").to_pylist() == ["a", "a", "b"]
    assert table.column("log_group").to_pylist() == [GROUP, GROUP, "/other"]
    assert table.column("event_time").to_pylist() == [when(MS), when(MS + 1), when(MS + 5000)]
    assert (stats.control_messages, stats.records, stats.nodata, stats.lines) == (1, 3, 1, 3)
    invariant(stats)


@pytest.mark.parametrize("sep", [b"", b"\n", b"\r\n  "])
def test_payloads_concatenated_in_one_stream_with_or_without_separators(
        tmp_path: Path, sep: bytes) -> None:
    data = sep.join([payload([line(record(bytes=1))]), CONTROL,
                     payload([line(record(bytes=2)), line(record(bytes=3))])]) + sep
    for gz in (True, False):
        table, stats = read(write(tmp_path / f"p{gz}.json", data, gz=gz))
        assert table.column("bytes").to_pylist() == [1, 2, 3]
        assert stats.control_messages == 1


def test_payloads_cut_across_read_blocks_give_the_same_records(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payloads = [payload([line(record(bytes=100 * k + i, srcport=1000 + i)) for i in range(30)],
                        stream=f"s{k}-\u00e9") for k in range(20)]  # 2-byte UTF-8, cut too
    path = firehose(tmp_path / "big.gz", *payloads)
    whole, _ = read(path)
    monkeypatch.setattr(reader_mod, "BLOCK_SIZE", 1000)  # ~1/8 of a payload per block
    table, stats = read(path)
    assert table.equals(whole)
    assert table.column("bytes").to_pylist() == [100 * k + i for k in range(20)
                                                 for i in range(30)]
    assert table.column("log_stream").to_pylist()[29:31] == ["s0-\u00e9", "s1-\u00e9"]
    assert stats.lines == stats.records == 600


def test_bad_messages_are_skipped_with_their_event_number_and_the_rest_kept_aligned(
        tmp_path: Path) -> None:
    first = payload([line(record(bytes=1)), line(record(bytes=2, srcport="x")),
                     "not a record", "", line(record(bytes=4))], stream="a")
    doc = json.loads(payload([line(record(bytes=5)), "x", line(record(bytes=7))], stream="b"))
    doc["logEvents"][1]["message"] = 6  # not text
    path = firehose(tmp_path / "bad.gz", first, json.dumps(doc).encode())
    table, stats = read(path)
    assert table.column("bytes").to_pylist() == [1, 4, 5, 7]
    assert table.column("log_stream").to_pylist() == ["a", "a", "b", "b"]
    assert table.column("event_time").to_pylist() == [when(MS), when(MS + 4), when(MS),
                                                      when(MS + 2)]
    where = [(s.line, s.reason.split(":")[0]) for s in stats.skipped_lines]
    assert [w[0] for w in where] == [2, 3, 7]
    assert "srcport" in where[0][1]
    assert where[1:] == [(3, "expected 14 fields, found 3"), (7, "JSON value 2, logEvents[1]")]
    assert "'message' is a number" in stats.skipped_lines[2].reason
    assert (stats.blank_lines, stats.skipped, stats.lines) == (1, 3, 8)
    invariant(stats)


def test_strict_stops_at_the_first_bad_event_naming_file_and_event(tmp_path: Path) -> None:
    path = firehose(tmp_path / "s.gz", payload([line(record()), "2 bad"]))
    with pytest.raises(FlowLogError, match=r"s\.gz, line 2: expected 14 fields"):
        read(path, strict=True)


def test_invalid_json_after_good_payloads_is_an_error_after_their_records(
        tmp_path: Path) -> None:
    good = payload([line(record(bytes=1)), line(record(bytes=2))])
    path = write(tmp_path / "cut.json", good + b'{"messageType":"DATA_MESSAGE","logEvents":[{',
                 gz=True)
    reader = awsip.read_flow_logs(path, progress=False)
    got: list[int] = []
    with pytest.raises(FlowLogError, match=r"cut\.json: JSON value 2 \(from character "
                                           rf"{len(good)} .*not valid JSON"):
        for batch in reader:
            got += batch.column("bytes").to_pylist()
    assert got == [1, 2]
    bad = write(tmp_path / "bad.json", good + b'{"messageType":"DATA_MESSAGE",]}' + good,
                gz=False)
    with pytest.raises(FlowLogError, match=r"bad\.json: JSON value 2 .*not valid JSON"):
        read(bad)


def test_a_payload_that_is_not_an_object_or_without_event_list_is_one_skipped_line(
        tmp_path: Path) -> None:
    odd = json.dumps({"messageType": "DATA_MESSAGE", "logEvents": "none"}).encode()
    path = write(tmp_path / "odd.json", payload([line(record(bytes=1))]) + odd + b"[1, 2]"
                 + payload([line(record(bytes=2))]), gz=False)
    table, stats = read(path)
    assert table.column("bytes").to_pylist() == [1, 2]
    assert [(s.line, s.reason[:40]) for s in stats.skipped_lines] == [
        (2, "JSON value 2: logEvents is a string; exp"),
        (3, "JSON value 3 is a list; expected a Cloud")]
    invariant(stats)


def test_first_message_as_header_sets_the_format_and_log_format_is_used_otherwise(
        tmp_path: Path) -> None:
    fields = ("srcaddr", "dstaddr", "bytes", "tcp-flags", "flow-direction")
    rec = record(bytes=9, tcp_flags=2, flow_direction="egress")
    with_header = firehose(tmp_path / "h.gz", payload([" ".join(fields), line(rec, fields)]))
    table, stats = read(with_header)
    assert table.column("tcp_flags").to_pylist() == [2]
    assert table.column("flow_direction").to_pylist() == ["egress"]
    assert table.column("event_time").to_pylist() == [when(MS + 1)]  # the record's own event
    assert (stats.header_lines, stats.records, stats.lines) == (1, 1, 2)
    plain = firehose(tmp_path / "f.gz", payload([line(rec, fields)]))
    table, _ = read(plain, log_format=" ".join(f"${{{f}}}" for f in fields))
    assert table.column("flow_direction").to_pylist() == ["egress"]


def test_a_line_break_inside_a_message_keeps_it_one_line(tmp_path: Path) -> None:
    broken = line(record(bytes=2)).replace(" 443 ", " 443\n")
    path = firehose(tmp_path / "nl.gz", payload([line(record(bytes=1)), broken,
                                                 line(record(bytes=3)) + "\n"]))
    table, stats = read(path)
    assert table.column("bytes").to_pylist() == [1, 2, 3]
    assert stats.lines == 3


def test_columns_and_time_window_apply_to_wrapped_records(tmp_path: Path) -> None:
    path = firehose(tmp_path / "c.gz", payload([line(record(bytes=1, start=T0)),
                                                line(record(bytes=2, start=T0 + 3600))]))
    table, stats = read(path, columns=["bytes", "log_stream"],
                        since=datetime.fromtimestamp(T0 + 60, tz=timezone.utc))
    assert table.column_names == ["bytes", "start", "log_stream"]  # a window reads start
    assert table.column("bytes").to_pylist() == [2]
    assert stats.outside_window == 1
    invariant(stats)


# ---------------------------------------------------------------- JSON Lines


def test_json_lines_with_message_and_cloudwatch_keys(tmp_path: Path) -> None:
    rows = [{"timestamp": MS + i, "message": line(record(bytes=10 + i)), "logGroup": GROUP,
             "logStream": f"eni-{i}-all", "ingestionTime": MS + 9} for i in range(3)]
    data = "\n".join(json.dumps(r) for r in rows).encode() + b"\n"
    table, stats = read(write(tmp_path / "lines.json.gz", data))
    assert table.column("bytes").to_pylist() == [10, 11, 12]
    assert table.column("srcaddr").to_pylist() == ["10.0.1.5"] * 3
    assert table.column("log_group").to_pylist() == [GROUP] * 3
    assert table.column("log_stream").to_pylist() == ["eni-0-all", "eni-1-all", "eni-2-all"]
    assert table.column("event_time").to_pylist() == [when(MS), when(MS + 1), when(MS + 2)]
    assert stats.lines == stats.records == 3


def test_json_lines_with_only_message_have_no_extra_columns(tmp_path: Path) -> None:
    data = b"".join(json.dumps({"message": line(record(bytes=b))}).encode() + b"\r\n"
                    for b in (5, 6))
    table, _ = read(write(tmp_path / "m.jsonl", data, gz=False))
    assert table.column("bytes").to_pylist() == [5, 6]
    assert not {"log_group", "log_stream", "event_time"} & set(table.column_names)


def test_json_lines_iso_timestamps_and_missing_keys_are_read_or_null(tmp_path: Path) -> None:
    rows = [{"message": line(record(bytes=1)), "timestamp": "2026-03-27T01:38:05.123Z"},
            {"message": line(record(bytes=2))},
            {"message": line(record(bytes=3)), "timestamp": "soon"}]
    data = "\n".join(json.dumps(r) for r in rows).encode()  # no final line end
    table, _ = read(write(tmp_path / "iso.json", data, gz=False))
    assert table.column("event_time").to_pylist() == [when(MS), None, None]


def test_bad_json_lines_are_skipped_with_their_line_numbers(tmp_path: Path) -> None:
    lines = [json.dumps({"message": line(record(bytes=1))}), "{not json", "",
             json.dumps({"message": 7}), json.dumps(["a"]),
             json.dumps({"message": line(record(bytes=6))})]
    table, stats = read(write(tmp_path / "bad.jsonl", "\n".join(lines).encode() + b"\n"))
    assert table.column("bytes").to_pylist() == [1, 6]
    assert [(s.file.endswith("bad.jsonl"), s.line, s.reason[:20])
            for s in stats.skipped_lines] == [
        (True, 2, "not valid JSON: Expe"), (True, 4, "'message' is a numbe"),
        (True, 5, "a JSON line is a lis")]
    assert (stats.blank_lines, stats.lines) == (1, 6)
    invariant(stats)
    with pytest.raises(FlowLogError, match=r"bad\.jsonl, line 2: not valid JSON"):
        read(tmp_path / "bad.jsonl", strict=True)


# ---------------------------------------------------------------- telling formats apart


@pytest.mark.parametrize(("head", "kind"), [
    (b'{"owner":"1","logGroup":"g","messageType":"DATA_MESSAGE","logEvents":[]}', SUBSCRIPTION),
    (b'{"messageType":"DATA_MESSAGE","logEvents":[]}{"messageType":', SUBSCRIPTION),
    (b'{\n  "logEvents": [\n', SUBSCRIPTION),
    (b'{"message": "2 1 eni-1 ..."}\n{"message": "x"}\n', JSON_LINES),
    (b'{"results": [[{"field": "@message", "value": "\\"logEvents\\": 1"}]]}', None),
    (b'{\n  "results": [\n    [{"field": "messageType", "value": "x"}]', None),
    (b'[{"@message": "{\\"logEvents\\": 1}"}]', None),
    (b'{"status": "Complete"}', None),
])
def test_json_kinds_are_told_from_content(head: bytes, kind: str | None) -> None:
    assert sniff_json(head) == kind


def test_logs_insights_json_results_are_still_read_as_results(tmp_path: Path) -> None:
    doc = {"results": [[{"field": "@message", "value": line(record(bytes=8))}]]}
    table, _ = read(write(tmp_path / "q.json", json.dumps(doc).encode(), gz=False))
    assert table.column("bytes").to_pylist() == [8]
    assert "log_group" not in table.column_names


# ---------------------------------------------------------------- summaries and the CLI


@functools.lru_cache(maxsize=1)
def _ranges() -> awsip.Ranges:
    from awsip import loading

    return loading.load_bundled()


def test_summarize_and_report_cli_read_subscription_payloads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    s3, ec2 = "52.216.58.42", "3.80.0.5"  # S3 and EC2 in us-east-1 (see gen_flowlogs)
    path = firehose(tmp_path / "fh.gz", CONTROL,
                    payload([line(record(dstaddr=s3, bytes=1000)),
                             line(record(dstaddr=ec2, bytes=30))]),
                    payload([line(record(dstaddr=s3, bytes=500))]))
    summary = awsip.summarize(path, ranges=_ranges(), progress=False).to_pylist()
    got = {(r["service"], r["region"]): r["bytes"] for r in summary}
    assert got == {("S3", "us-east-1"): 1500, ("EC2", "us-east-1"): 30}
    cli.build_parser()
    monkeypatch.setattr(common, "ranges_from_args", lambda args: _ranges())
    status = cli.main(["report", str(path), "--json", "--offline", "--quiet"])
    out, err = capsys.readouterr()
    assert status == 0, err
    doc = json.loads(out)
    assert (doc["records"], doc["bytes"]) == (3, 1530)
    assert {(g["service"], g["bytes"]) for g in doc["groups"]} == {("S3", 1500), ("EC2", 30)}


def test_json_lines_read_by_arrow_and_by_python_agree(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from awsip.flowlogs import wrapped

    rows = [{"timestamp": MS + i, "message": line(record(bytes=i, srcport=1024 + i)),
             "logGroup": GROUP, "logStream": f"s{i % 3}"} for i in range(200)]
    rows[50]["timestamp"] = -5  # out of range: null
    path = write(tmp_path / "a.jsonl", "\n".join(json.dumps(r) for r in rows).encode() + b"\n")
    arrow, _ = read(path)
    monkeypatch.setattr(wrapped, "_arrow_lines", lambda *a: None)
    python, _ = read(path)
    assert arrow.equals(python)
    assert arrow.column("event_time").to_pylist()[49:52] == [when(MS + 49), None,
                                                             when(MS + 51)]
    assert arrow.column("log_stream").to_pylist()[:4] == ["s0", "s1", "s2", "s0"]


def test_payloads_compressed_twice_by_firehose_are_read(tmp_path: Path) -> None:
    """Firehose's own GZIP compression over the gzip'd payloads CloudWatch Logs sends."""
    inner = b"".join(gzip.compress(p) for p in (CONTROL, payload([line(record(bytes=4))])))
    path = write(tmp_path / "twice.gz", inner, gz=True)
    table, stats = read(path)
    assert table.column("bytes").to_pylist() == [4]
    assert table.column("log_group").to_pylist() == [GROUP]
    assert stats.control_messages == 1


def test_records_keep_their_own_event_columns_around_skipped_events_in_a_big_block(
        tmp_path: Path) -> None:
    messages = [line(record(bytes=i, srcport=1024 + i)) for i in range(3000)]
    for i in (5, 1700, 2999):
        messages[i] = messages[i].replace(" 6 ", " tcp ")  # a protocol that is not a number
    path = firehose(tmp_path / "b.gz", payload(messages[:1500], stream="a"),
                    payload(messages[1500:], stream="b", t=MS + 1500))
    table, stats = read(path)
    good = [i for i in range(3000) if i not in (5, 1700, 2999)]
    assert table.column("bytes").to_pylist() == good
    assert table.column("event_time").to_pylist() == [when(MS + i) for i in good]
    assert table.column("log_stream").to_pylist() == ["a" if i < 1500 else "b" for i in good]
    assert [s.line for s in stats.skipped_lines] == [6, 1701, 3000]


# ---------------------------------------------------------------- property: any mix of events

_EVENT = st.one_of(
    st.just("good"), st.just("good"), st.just("good"), st.just("blank"),
    st.sampled_from(["short", "bad-number", "newline", "cr", "not-text", "bad-json"]))


def _event(kind: str, i: int) -> Any:
    """One event's ``message`` (or, for JSON Lines, ``bad-json``: a line that is not JSON)."""
    good = line(record(bytes=i, srcport=1024 + i % 60000))
    return {"good": good, "blank": "", "short": "2 123456789012",
            "bad-number": good.replace(" 6 ", " six "), "newline": good.replace(" 443 ", " 443\n"),
            "cr": good + "\r", "not-text": [i], "bad-json": None}[kind]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kinds=st.lists(_EVENT, max_size=40), cuts=st.lists(st.integers(1, 40), max_size=6),
       sep=st.sampled_from([b"", b"\n", b" \r\n"]), gz=st.booleans(), lines_file=st.booleans(),
       block=st.sampled_from([200, 1000, 8 << 20]))
def test_every_record_keeps_its_own_event_columns_and_every_event_is_counted(
        tmp_path: Path, kinds: list[str], cuts: list[int], sep: bytes, gz: bool,
        lines_file: bool, block: int) -> None:
    """Records, skips and blanks add up to the events, and each record's event_time and
    log_stream are its own event's (the record's ``bytes`` is its event's number)."""
    events = [_event(k, i) for i, k in enumerate(kinds)]
    bounds = sorted({0, len(events), *(c for c in cuts if c < len(events))})
    stream_of = {i: f"s{p}" for p, (a, b) in enumerate(itertools.pairwise(bounds)) for i in
                 range(a, b)}
    if lines_file:
        rows = [b"{not json" if e is None else json.dumps(
            {"timestamp": MS + i, "message": e, "logStream": stream_of[i]}).encode()
            for i, e in enumerate(events)]
        data = b"".join(r + b"\n" for r in rows)
    else:
        parts = [CONTROL] + [payload([e if e is not None else "x" for e in events[a:b]],
                                     stream=f"s{p}", t=MS + a)
                             for p, (a, b) in enumerate(itertools.pairwise(bounds))]
        data = sep.join(parts)
    path = write(tmp_path / "p.json", data, gz=gz)
    if lines_file and not any(isinstance(e, (str, list)) and e for e in events):
        return  # no line says it is JSON Lines: see test_json_lines_are_told_past_a_bad_first_line
    old = reader_mod.BLOCK_SIZE
    reader_mod.BLOCK_SIZE = block
    try:
        table, stats = read(path)
    finally:
        reader_mod.BLOCK_SIZE = old
    invariant(stats)
    assert stats.lines == len(events)
    assert stats.control_messages == (0 if lines_file else 1)
    good = [i for i, k in enumerate(kinds) if k in ("good", "newline", "cr")]
    assert stats.records == len(good)
    if good:
        assert table.column("bytes").to_pylist() == good
        assert table.column("event_time").to_pylist() == [when(MS + i) for i in good]
        assert table.column("log_stream").to_pylist() == [stream_of[i] for i in good]


def test_json_lines_are_told_past_a_bad_or_blank_first_line(tmp_path: Path) -> None:
    data = b"\n{not json\n" + json.dumps({"message": line(record(bytes=3))}).encode() + b"\n"
    table, stats = read(write(tmp_path / "b.jsonl", data, gz=False))
    assert table.column("bytes").to_pylist() == [3]
    assert [(s.line, s.reason[:14]) for s in stats.skipped_lines] == [(2, "not valid JSON")]
    assert (stats.blank_lines, stats.lines) == (1, 3)
