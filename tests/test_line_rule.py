"""One rule per line: whether a text line is read, and what it yields, depends only on that
line and the header in force, never on the lines around it (issue 15).

The property test builds files of valid and mutated lines and checks that reading the whole
file gives, line for line, what reading each line alone (with the same header) gives, and that
every line is accounted for. The regression tests pin the rule's individual decisions.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awsip
from awsip import Ranges
from awsip.classification.engine import classify
from awsip.flowlogs.fields import DEFAULT_FIELDS, FIELDS
from flowlog_factory import T0, line, nodata, record, skipdata
from oracle import load_document

_TMP = Path(tempfile.mkdtemp(prefix="awsip-line-rule-"))
_HEADER = " ".join(DEFAULT_FIELDS)
_CUSTOM = ("srcaddr", "dstaddr", "bytes", "start", "end", "log-status", "srcport", "action")


def _read(data: bytes, name: str, **kw: Any) -> tuple[list[dict[str, Any]], Any]:
    path = _TMP / name
    path.write_bytes(data)
    reader = awsip.read_flow_logs(path, progress=False, **kw)
    rows = reader.read_all().to_pylist()
    return rows, reader.stats


def _accounted(stats: Any) -> int:
    return (stats.header_lines + stats.blank_lines + stats.skipped + stats.records
            + stats.outside_window)


# --------------------------------------------------------------------------- the property

_VALID = st.sampled_from([
    line(record()),
    line(record(srcaddr="2600:1f18::5", dstaddr="::ffff:10.0.0.1", bytes=2**63 - 1)),
    line(record(srcport=65535, dstport=0, packets=0, bytes=0)),
    line(record(protocol=2_147_483_647)),
    line(nodata(T0, T0 + 60)),
    line(skipdata(T0 * 1000, T0 * 1000 + 59_000)),  # milliseconds
    line(record(start=T0 * 1000, end=T0 * 1000 + 60_000)),
    line(record(action="REJECT", srcaddr="-")),
])

_PIECES = [b" ", b"  ", b"\t", b"\r", b"-", b"x", b"0x10", b"+", b"0", b"9", b"a", b":", b".",
           b"\xef\xbb\xbf", b"\xff", b"\x00", b"99999999999999999999", b"2147483648",
           b"100000000000000", b"999.216.58.42", b"NODATA", b"SKIPDATA", b"\x0b", b"e"]


_NUMERIC = [i for i, f in enumerate(DEFAULT_FIELDS) if FIELDS[f].kind != "string"]
_NUMBERS = [b"0x10", b"-8400", b"-0", b"+5", b"\t65464", b"65464\t", b"1234567890",
            b"2147483647", b"2147483648", b"1234567890123456789", b"9223372036854775808",
            b"00000000000000000001", b"1e3", b"5.0", b"1512564058000", b"100000000000000", b"-"]


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    text = draw(_VALID).encode()
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "field", "number"]))
        piece = draw(st.sampled_from(_PIECES))
        if op == "insert":
            text = text[:where] + piece + text[where:]
        elif op == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 4)):]
        elif op == "replace":
            text = text[:where] + piece + text[where + len(piece):]
        elif op == "field":  # one whole field replaced
            toks = text.split(b" ")
            toks[draw(st.integers(0, len(toks) - 1))] = piece
            text = b" ".join(toks)
        else:  # a number field written another way
            toks = text.split(b" ")
            where = draw(st.sampled_from(_NUMERIC))
            if where < len(toks):
                toks[where] = draw(st.sampled_from(_NUMBERS))
            text = b" ".join(toks)
    return text.replace(b"\n", b"")


_LINES = st.lists(st.one_of(_VALID.map(str.encode), _mutated(), st.sampled_from([b"", b" \t"])),
                  min_size=1, max_size=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_LINES, header=st.booleans(), crlf=st.booleans(),
       subset=st.sampled_from([None, ("srcaddr", "bytes", "log_status", "start")]))
def test_a_lines_fate_is_the_same_in_the_whole_file_as_alone(
        lines: list[bytes], header: bool, crlf: bool, subset: tuple[str, ...] | None) -> None:
    end = b"\r\n" if crlf else b"\n"
    head = (_HEADER.encode() + end) if header else b""
    kw: dict[str, Any] = {"columns": subset}
    whole, stats = _read(head + end.join(lines) + end, "whole.log", **kw)
    # the same lines after one that no rule accepts: the block cannot take the fast path
    dirty, dirty_stats = _read(head + end.join([b"not a record", *lines]) + end, "dirty.log",
                               **kw)
    alone: list[dict[str, Any]] = []
    skipped = 0
    for i, one in enumerate(lines):
        rows, one_stats = _read(head + one + end, f"line{i}.log", **kw)
        assert len(rows) <= 1
        alone += rows
        skipped += one_stats.skipped
    assert whole == alone == dirty
    assert stats.skipped == skipped == dirty_stats.skipped - 1
    assert stats.lines == len(lines) + header == _accounted(stats)


@settings(max_examples=25, deadline=None)
@given(lines=_LINES, repeat=st.integers(200, 400))
def test_a_lines_fate_does_not_depend_on_the_block_it_falls_in(lines: list[bytes],
                                                               repeat: int) -> None:
    """Files past 16 KiB go through the fast path and bisection; the answer is the same as
    each line read alone."""
    body = b"\n".join(lines * repeat) + b"\n"
    whole, stats = _read(body, "big.log")
    alone: list[dict[str, Any]] = []
    for i, one in enumerate(lines):
        rows, _ = _read(one + b"\n", f"big{i}.log")
        alone += rows
    assert whole == alone * repeat
    assert stats.lines == len(lines) * repeat == _accounted(stats)


# --------------------------------------------------------------------------- the rule


def _one(text: str | bytes, **kw: Any) -> tuple[list[dict[str, Any]], Any]:
    data = text.encode() if isinstance(text, str) else text
    return _read(data + b"\n", "one.log", **kw)


@pytest.mark.parametrize("value", ["0x10", "-8400", "+5", "-0", "1e3", "5.0", "１２"])
def test_a_count_that_is_not_plain_decimal_digits_skips_the_line(value: str) -> None:
    rows, stats = _one(line(record(bytes=value)))
    assert rows == [] and stats.skipped == 1
    assert "bytes is not a number" in stats.skipped_lines[0].reason


def test_numbers_up_to_the_types_largest_value_are_read_and_one_more_is_skipped() -> None:
    rows, _ = _one(line(record(protocol=2**31 - 1, bytes=2**63 - 1)))
    assert rows[0]["protocol"] == 2**31 - 1 and rows[0]["bytes"] == 2**63 - 1
    for over in ({"protocol": 2**31}, {"bytes": 2**63}):
        rows, stats = _one(line(record(**over)))
        assert rows == [] and stats.skipped == 1


def test_runs_of_spaces_and_tabs_separate_fields_and_edge_spaces_are_ignored() -> None:
    fields = line(record()).split(" ")
    text = "  " + "\t ".join(fields[:5]) + "   " + " ".join(fields[5:]) + " \t"
    rows, stats = _one(text)
    expected, _ = _one(line(record()))
    assert rows == expected and stats.skipped == 0


def test_a_lone_carriage_return_skips_only_its_line_and_crlf_ends_lines() -> None:
    good = line(record()).encode()
    bad = line(record(action="ACC\rEPT")).encode()
    rows, stats = _read(b"\r\n".join([good, bad, good]) + b"\r\n", "cr.log")
    assert len(rows) == 2 and stats.skipped == 1
    assert "carriage return" in stats.skipped_lines[0].reason
    assert stats.skipped_lines[0].line == 2


def test_millisecond_times_are_read_as_seconds_and_times_past_them_skip_the_line() -> None:
    rows, stats = _one(line(skipdata(1512564058000, 1512564059000)))
    assert rows[0]["start"].timestamp() == 1512564058
    assert rows[0]["end"].timestamp() == 1512564059
    assert stats.skipdata == 1 and stats.skipdata_span is not None
    rows, stats = _one(line(nodata(10**14, 10**14 + 60)))
    assert rows == [] and stats.skipped == 1
    assert "not a time" in stats.skipped_lines[0].reason


def test_a_byte_order_mark_before_the_header_is_removed() -> None:
    fields = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport",
              "dstport", "protocol", "bytes", "packets", "start", "end", "action", "log-status")
    rec = record(packets=21, bytes=2_997_000)
    data = b"\xef\xbb\xbf" + " ".join(fields).encode() + b"\n" + line(rec, fields).encode()
    rows, stats = _one(data)
    assert rows[0]["bytes"] == 2_997_000 and rows[0]["packets"] == 21
    assert stats.header_lines == 1


def test_a_header_longer_than_64_kib_is_read_whole() -> None:
    fields = DEFAULT_FIELDS
    pad = " " * 70_000
    data = (" ".join(fields) + pad).encode() + b"\n" + line(record()).encode()
    rows, stats = _one(data)
    assert len(rows) == 1 and stats.header_lines == 1 and stats.skipped == 0


def test_a_double_space_in_a_column_not_read_still_counts_fields_by_the_rule() -> None:
    """A line missing a field but holding a doubled space has the right count only to a
    single-space splitter; the rule counts runs, so it is skipped even when the column that
    would be empty is not read."""
    toks = line(record()).split(" ")
    text = " ".join(toks[:12]) + "  " + toks[13]  # 'action' dropped, two spaces instead
    rows, stats = _one(text, columns=["srcaddr", "bytes"])
    assert rows == [] and stats.skipped == 1


def test_custom_format_header_lines_decide_the_columns_of_every_line() -> None:
    rec = record()
    data = (" ".join(_CUSTOM) + "\n" + line(rec, _CUSTOM)).encode()
    rows, _ = _one(data)
    assert rows[0]["bytes"] == 4000 and rows[0]["srcport"] == 49152


def test_a_nodata_time_past_year_9999_in_a_given_table_is_counted_without_a_crash() -> None:
    import pyarrow as pa

    ts = pa.timestamp("s", tz="UTC")
    table = pa.table({"start": pa.array([10**15], ts), "end": pa.array([10**15 + 60], ts),
                      "log_status": ["NODATA"], "srcaddr": ["-"], "dstaddr": ["-"],
                      "bytes": pa.array([None], pa.int64())})
    summary = awsip.summarize(table, ranges=_ranges())  # given ranges: no download tried
    assert summary.num_rows == 0


@functools.cache
def _ranges() -> Ranges:
    return Ranges.from_json(load_document())


@pytest.mark.parametrize(("field", "value"), [
    ("srcaddr", "999.216.58.42"), ("dstaddr", "10.0.0.256"), ("srcaddr", "01.2.3.4"),
    ("dstaddr", "1.2.3"), ("srcaddr", "2600:1f18::5::1"), ("dstaddr", "10.0.0.1/32"),
    ("srcaddr", "::"), ("dstaddr", "fe80::1%eth0")])
def test_an_address_field_is_read_exactly_when_classify_calls_it_valid(field: str,
                                                                        value: str) -> None:
    """One address rule: the reader keeps a record whose address awsip.classify marks valid
    and skips the others with the file, the line and the value."""
    valid = classify([value], _ranges()).column("valid")[0].as_py()
    good = line(record())
    rows, stats = _read(("\n".join([good, line(record(**{field: value})), good]) + "\n"
                         ).encode(), "addr.log")
    if valid:
        assert [r[field] for r in rows] == [record()[field], value, record()[field]]
        assert stats.skipped == 0
    else:
        assert [r[field] for r in rows] == [record()[field]] * 2
        assert [(s.file, s.line, s.reason) for s in stats.skipped_lines] == [
            (str(_TMP / "addr.log"), 2, f"{field} is not an IP address: {value!r}")]
    assert valid == (value in ("::", "fe80::1%eth0"))  # the cases above that are addresses


def test_a_bad_address_in_a_big_file_skips_only_its_line() -> None:
    """The vectorised check of the fast path finds it in a block of thousands of lines."""
    good = line(record(srcaddr="2600:1f18::5")).encode()
    lines = [good] * 3000
    lines[1234] = line(record(dstaddr="999.216.58.42")).encode()
    rows, stats = _read(b"\n".join(lines) + b"\n", "big-addr.log")
    assert len(rows) == 2999 and {r["dstaddr"] for r in rows} == {"52.216.58.42"}
    assert [(s.line, s.reason) for s in stats.skipped_lines] == [
        (1235, "dstaddr is not an IP address: '999.216.58.42'")]


_ADDRESS_TEXTS = st.one_of(
    st.sampled_from(["10.0.1.5", "999.216.58.42", "01.2.3.4", "1.2.3", "2600:1f18::5", "::",
                     "::ffff:10.0.0.1", "fe80::1%eth0", " 10.0.0.1", "10.0.0.1/32", "", "-",
                     "2600::1::2", "1.2.3.4.5", "255.255.255.255", "256.0.0.1"]),
    st.text(alphabet="0123456789abcdefABCDEF:.%/ x", max_size=40))


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.one_of(_ADDRESS_TEXTS, st.none()), min_size=1, max_size=40),
       repeat=st.sampled_from([1, 300]))
def test_the_readers_address_check_refuses_exactly_what_classify_calls_invalid(
        texts: list[str | None], repeat: int) -> None:
    """One rule: ``invalid_addresses`` (the fast path; with ``repeat`` its distinct-values
    route) and ``classify``'s ``valid`` never disagree; nulls (``-`` in a line) are fine."""
    import pyarrow as pa

    from awsip.addr.columns import invalid_addresses

    values = pa.array(texts * repeat, pa.string())
    valid = classify(values, _ranges()).column("valid").to_pylist()
    refused = invalid_addresses(values).tolist()
    assert refused == [t is not None and not ok for t, ok in zip(texts * repeat, valid,
                                                                 strict=True)]


_FILE = st.tuples(_LINES, st.booleans(), st.sampled_from(["default", "custom"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(_FILE, min_size=2, max_size=6), group_bytes=st.sampled_from([64, 1 << 20]))
def test_small_files_read_together_give_each_files_records_and_counts_as_alone(
        files: list[tuple[list[bytes], bool, str]], group_bytes: int) -> None:
    # Small files of one format are parsed several at a time (reader._Group); what each file
    # gives, and every count, is what reading it alone gives, whatever its lines.
    from unittest import mock

    from awsip.flowlogs import reader as reader_module
    from awsip.flowlogs.reader import FlowLogStats

    folder = Path(tempfile.mkdtemp(prefix="together-", dir=_TMP))
    paths = []
    for k, (lines, header, fmt) in enumerate(files):
        if fmt == "custom":  # a custom format needs its header; its lines: another format's
            head = " ".join(_CUSTOM).encode() + b"\n"
        else:
            head = (_HEADER.encode() + b"\n") if header else b""
        path = folder / f"f{k:02d}.log"
        path.write_bytes(head + b"\n".join(lines) + b"\n")
        paths.append(path)
    with mock.patch.object(reader_module, "GROUP_BYTES", group_bytes):
        together = awsip.read_flow_logs(folder, progress=False)
        got = [t.to_pylist() for t in together.tables()]
    want, total = [], FlowLogStats()
    for path in paths:
        alone = awsip.read_flow_logs(path, progress=False)
        want += [t.to_pylist() for t in alone.tables()]
        total.add(alone.stats)
    assert [r for t in got for r in t] == [r for t in want for r in t]
    assert together.stats == total
    assert together.files == [str(p) for p in paths]


def test_clean_small_files_are_parsed_in_one_call_and_each_keeps_its_name_and_lines(
        tmp_path: Path) -> None:
    from unittest import mock

    from awsip.flowlogs import reader as reader_module

    for k in range(5):
        recs = [line(record(bytes=10 * k + i)) for i in range(3)]
        (tmp_path / f"f{k}.log").write_text(_HEADER + "\n" + "\n".join(recs) + "\n")
    (tmp_path / "f2.log").write_text(_HEADER + "\n" + line(record(bytes=20)) + "\nnot one\n")
    made: list[Any] = []
    grouped = reader_module._grouped

    def spy(units: Any) -> Any:
        for unit in grouped(units):
            made.append(unit)
            yield unit

    with mock.patch.object(reader_module, "_grouped", spy):
        reader = awsip.read_flow_logs(tmp_path, progress=False)
        tables = list(reader.tables())
    groups = [u for u in made if isinstance(u, reader_module._Group)]
    assert [len(g.files) for g in groups] == [5]  # the bad line: f2 then parsed alone
    names = [t.schema.metadata[b"awsip.file"].decode().rsplit("/", 1)[1] for t in tables]
    assert names == ["f0.log", "f1.log", "f2.log", "f3.log", "f4.log"]
    assert [t.column("bytes").to_pylist() for t in tables] == [
        [0, 1, 2], [10, 11, 12], [20], [30, 31, 32], [40, 41, 42]]
    assert [(s.file.rsplit("/", 1)[1], s.line) for s in reader.stats.skipped_lines] == [
        ("f2.log", 3)]
