"""One vocabulary across library and command line: ``log_format``/``--log-format``, ``-o FILE``,
``--output-format``, ``--json``, the reader's options everywhere, and the old spellings still
working for one release with a warning."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

import awsip
import flowlog_factory as ff
from awsip.cli import COMMANDS, build_parser, main
from awsip.flowlogs import ReaderOptions

NEWEST = str(Path(__file__).parent / "data" / "ip-ranges-2026-08-22T151705.json.gz")
#: Commands that print results, and so take -o, --output-format and --json.
PRINTING = ("lookup", "classify", "report", "ranges", "sql", "diff", "history", "info",
            "update")
#: Commands that read flow logs, and so take the reader's options.
READING = ("classify", "report")


def _options(command: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser = sub.choices[command]
    return {s for action in parser._actions for s in action.option_strings}


def test_every_command_that_prints_results_takes_output_options() -> None:
    assert set(PRINTING) == set(COMMANDS)
    for command in PRINTING:
        assert {"-o", "--output-format", "--json"} <= _options(command), command


def test_every_command_that_reads_flow_logs_takes_the_reader_options() -> None:
    wanted = {"--log-format", "--since", "--until", "--s3-region", "--s3-endpoint", "--quiet"}
    for command in READING:
        assert wanted <= _options(command), command


def _two_hours(tmp_path: Path) -> Path:
    fields = ("version", "srcaddr", "dstaddr", "bytes", "start", "end")
    rows = [ff.record(srcaddr="10.0.0.5", dstaddr="52.216.58.42", bytes=100 + h,
                      start=ff.T0 + 3600 * h, end=ff.T0 + 3600 * h + 60) for h in range(2)]
    return ff.write(tmp_path / "custom.log", ff.text(rows, fields, header=False), gz=False)


def test_log_format_and_its_old_spelling_read_the_same(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    path = _two_hours(tmp_path)
    fmt = "${version} ${srcaddr} ${dstaddr} ${bytes} ${start} ${end}"
    new, old = tmp_path / "new.jsonl", tmp_path / "old.jsonl"
    assert main(["classify", str(path), "--flow-logs", "--log-format", fmt, "-o", str(new),
                 "--ranges", NEWEST, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["classify", str(path), "--flow-logs", "--format-string", fmt, "-o", str(old),
                 "--ranges", NEWEST, "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "--format-string is deprecated; use --log-format" in err
    rows = [json.loads(line) for line in new.read_text().splitlines()]
    assert [r["bytes"] for r in rows] == [100, 101]
    assert old.read_text() == new.read_text()


def test_format_keyword_still_works_with_a_deprecation_warning(tmp_path: Path) -> None:
    path = _two_hours(tmp_path)
    fmt = "version srcaddr dstaddr bytes start end"
    with pytest.warns(DeprecationWarning, match="log_format"):
        old = awsip.read_flow_logs(str(path), format=fmt, progress=False).read_all()
    new = awsip.read_flow_logs(str(path), log_format=fmt, progress=False).read_all()
    assert old.to_pylist() == new.to_pylist() and new.column("bytes").to_pylist() == [100, 101]


def test_the_time_window_means_the_same_in_every_function(tmp_path: Path) -> None:
    path = str(_two_hours(tmp_path))
    ranges = awsip.load_ranges(NEWEST)
    second_hour = datetime.fromtimestamp(ff.T0 + 3600, tz=timezone.utc)
    fmt = "version srcaddr dstaddr bytes start end"
    options = ReaderOptions(log_format=fmt, since=second_hour, progress=False)
    reader = awsip.read_flow_logs(path, options)
    assert reader.read_all().column("bytes").to_pylist() == [101]
    assert (reader.stats.records, reader.stats.outside_window) == (1, 1)
    summary = awsip.summarize(path, by=[], ranges=ranges, options=options)
    assert summary.column("bytes").to_pylist() == [101]
    same = awsip.summarize(path, by=[], ranges=ranges, log_format=fmt, progress=False,
                           since=second_hour.isoformat())
    assert same.to_pylist() == summary.to_pylist()
    report = awsip.report(path, ranges=ranges, options=options)
    assert (report.bytes, report.records) == (101, 1)
    enriched = awsip.enrich_flow_logs(path, ranges, options)
    assert [b.num_rows for b in enriched] == [1]


def test_output_format_comes_from_the_suffix_or_the_option(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    out = tmp_path / "answer.json"
    assert main(["lookup", "52.216.58.42", "--ranges", NEWEST, "-o", str(out)]) == 0
    assert json.loads(out.read_text())[0]["service"] == "S3"
    assert main(["lookup", "52.216.58.42", "--ranges", NEWEST, "--output-format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(out.read_text())
    assert main(["lookup", "52.216.58.42", "--ranges", NEWEST, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(out.read_text())


def test_old_format_option_is_the_output_format_with_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ranges", "--ranges", NEWEST, "-s", "S3", "-r", "us-east-1", "-4",
                 "--output-format", "json"]) == 0
    new = capsys.readouterr()
    assert main(["ranges", "--ranges", NEWEST, "-s", "S3", "-r", "us-east-1", "-4",
                 "--format", "json"]) == 0
    old = capsys.readouterr()
    assert old.out == new.out and {e["service"] for e in json.loads(new.out)} == {"S3"}
    assert "--format is deprecated; use --output-format" in old.err


def test_json_times_are_utc_with_z_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    older = str(Path(NEWEST).with_name("ip-ranges-2026-08-22T115705.json.gz"))
    assert main(["diff", older, NEWEST, "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["new"]["create_date"] == "2026-08-22T15:17:05Z"
    assert main(["info", "--ranges", NEWEST, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["create_date"] == "2026-08-22T15:17:05Z" and "sync_token" in info


def test_write_table_writes_by_suffix_atomically(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    table = awsip.classify(["52.216.58.42", "8.8.8.8"], awsip.load_ranges(NEWEST))
    assert awsip.write_table(table, tmp_path / "t.parquet") == 2
    assert pq.read_table(tmp_path / "t.parquet").column("service").to_pylist() == ["S3", None]
    assert awsip.write_table(table, tmp_path / "t.jsonl") == 2
    rows = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert [r["aws"] for r in rows] == [True, False]
    with pytest.raises(awsip.UsageError, match="suffix"):
        awsip.write_table(table, tmp_path / "t.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.jsonl", "t.parquet"]


def test_strict_on_report_stops_at_the_first_bad_line(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    good = ff.line(ff.record(), ff.DEFAULT_FIELDS)
    path = ff.write(tmp_path / "x.log", (good + "\n2 1 eni-1 oops\n").encode(), gz=False)
    assert main(["report", str(path), "--ranges", NEWEST, "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 1
    assert main(["report", str(path), "--ranges", NEWEST, "--quiet", "--strict"]) == 1
    assert "line 2" in capsys.readouterr().err
