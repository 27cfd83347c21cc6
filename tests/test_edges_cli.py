"""Trust at the edges, on the command line: a failed or refused command leaves existing outputs
byte for byte as they were and creates none; bad arguments and inputs are one readable line
with the documented exit status (docs/errors.md), never a traceback."""

from __future__ import annotations

import errno
import io
import json
import os
import sys
from pathlib import Path

import pytest

import flowlog_factory as ff
from awsip import fileio
from awsip.cli import EXIT_DATA, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main

NEWEST = str(Path(__file__).parent / "data" / "ip-ranges-2026-08-22T151705.json.gz")
OLD_BYTES = b"the previous output\n"
NAT_IP = "10.0.0.144"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main([*argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def existing(path: Path) -> Path:
    path.write_bytes(OLD_BYTES)
    return path


def assert_untouched(folder: Path, kept: Path | None = None) -> None:
    """``kept`` still holds the old bytes and nothing else appeared in ``folder``."""
    if kept is not None:
        assert kept.read_bytes() == OLD_BYTES
    names = sorted(p.name for p in folder.iterdir())
    assert names == ([kept.name] if kept is not None else []), names


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    rows = [ff.record(interface_id="eni-0a1b2c3d4e5f60718", srcaddr=NAT_IP,
                      dstaddr="52.216.58.42", bytes=1000 + i) for i in range(3)]
    folder = tmp_path / "logs"
    ff.write(folder / "a.log", ff.text(rows, header=False), gz=False)
    return folder


# ------------------------------------------------------------------ 1. outputs
def test_a_misspelt_region_is_a_usage_error_that_keeps_the_output_and_suggests(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = existing(tmp_path / "allow.txt")
    status, printed, err = run(capsys, "ranges", "-s", "S3", "-r", "us-east1", "-4", "-o",
                               str(out), "--ranges", NEWEST)
    assert status == EXIT_USAGE and printed == ""
    assert "'us-east1'" in err and "did you mean us-east-1?" in err
    assert_untouched(tmp_path, out)


def test_names_are_checked_case_insensitively_for_every_filter(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(capsys, "ranges", "-s", "s3", "-r", "US-EAST-1", "--nbg", "us-east-1",
                         "--ranges", NEWEST)
    assert status == EXIT_OK and out
    status, _, err = run(capsys, "ranges", "-s", "S33", "--nbg", "us-west-2-lax1",
                         "--ranges", NEWEST)
    assert status == EXIT_USAGE
    assert "no service 'S33'" in err and "did you mean S3?" in err
    assert "no network border group 'us-west-2-lax1'" in err and "us-west-2-lax-1" in err


def test_service_comma_list_is_or_and_filters_are_and(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    from awsip.loading import load_ranges

    ranges = load_ranges(NEWEST)
    _, out, _ = run(capsys, "ranges", "--service", "S3,DYNAMODB", "-r", "eu-west-1",
                    "--ranges", NEWEST, "--json")
    rows = json.loads(out)
    want = {(e.prefix, e.service) for e in ranges.entries
            if e.service in ("S3", "DYNAMODB") and e.region == "eu-west-1"}
    assert {(r["prefix"], r["service"]) for r in rows} == want
    assert {r["service"] for r in rows} == {"S3", "DYNAMODB"}
    help_text = capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["ranges", "--help"])
    help_text = capsys.readouterr().out
    assert "OR-ed" in " ".join(help_text.split()) and "AND-ed" in " ".join(help_text.split())


def test_no_match_exits_1_and_writes_nothing(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    out = existing(tmp_path / "x.txt")
    # both names exist, but CLOUDFRONT is GLOBAL, never af-south-1
    status, _, err = run(capsys, "ranges", "-s", "CLOUDFRONT", "-r", "af-south-1", "-o", str(out),
                         "--ranges", NEWEST)
    assert status == EXIT_DATA and "no entries match" in err
    assert_untouched(tmp_path, out)


@pytest.mark.parametrize("target, reason", [
    ("missing/y.parquet", "No such file or directory"),
    ("adir", "Is a directory"),
])
def test_an_unwritable_output_is_one_line_exit_1(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 target: str, reason: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    for argv in (["ranges", "-s", "S3", "-o", target, "--ranges", NEWEST],
                 ["lookup", "52.216.58.42", "-o", target, "--ranges", NEWEST],
                 ["info", "-o", target, "--ranges", NEWEST]):
        status, _, err = run(capsys, *argv)
        assert status == EXIT_DATA, argv
        assert err.strip().splitlines()[-1] == f"awsip: error: cannot write {target!r}: {reason}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir"]
    assert list((tmp_path / "adir").iterdir()) == []


def test_a_full_disk_keeps_the_old_output_and_leaves_no_temporary_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = existing(tmp_path / "s3.txt")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fileio.os, "fsync", full)
    status, _, err = run(capsys, "ranges", "-s", "S3", "-o", str(out), "--ranges", NEWEST)
    assert status == EXIT_DATA
    assert f"cannot write {str(out)!r}: {os.strerror(errno.ENOSPC)}" in err
    assert_untouched(tmp_path, out)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions that bind the user (not root)")
def test_a_read_only_directory_is_permission_denied(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    out = existing(folder / "s3.txt")
    folder.chmod(0o555)
    try:
        status, _, err = run(capsys, "ranges", "-s", "S3", "-o", str(out), "--ranges", NEWEST)
    finally:
        folder.chmod(0o755)
    assert status == EXIT_DATA and f"cannot write {str(out)!r}: Permission denied" in err
    assert_untouched(folder, out)


class _ClosedPipe(io.TextIOBase):
    """A stdout whose reader went away: every write is EPIPE."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    @property
    def buffer(self) -> _ClosedPipe:
        return self

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")


@pytest.mark.parametrize("extra", [[], ["--json"], ["--output-format", "parquet"]])
def test_stdout_closed_early_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    extra: list[str]) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    status = main(["ranges", "-s", "S3", "--ranges", NEWEST, *extra])
    err = capsys.readouterr().err
    assert status == EXIT_DATA
    assert err == "awsip: error: cannot write to stdout: Broken pipe\n"


def test_output_errors_are_still_oserrors_for_callers_that_tolerate_them(tmp_path: Path
                                                                         ) -> None:
    with pytest.raises(OSError) as caught:
        fileio.atomic_write(tmp_path / "nope" / "x", b"1", mkdir=False)
    assert isinstance(caught.value, fileio.OutputError)
    assert caught.value.errno == errno.ENOENT


def test_new_output_files_get_the_umask_mode(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    out = tmp_path / "s3.txt"
    assert run(capsys, "ranges", "-s", "S3", "-o", str(out), "--ranges", NEWEST)[0] == EXIT_OK
    if os.name == "posix":
        assert out.stat().st_mode & 0o777 == fileio.file_mode()


def test_interrupted_output_keeps_the_old_file(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = existing(tmp_path / "s3.txt")

    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fileio.os, "fsync", interrupt)
    status, _, err = run(capsys, "ranges", "-s", "S3", "-o", str(out), "--ranges", NEWEST)
    assert status == EXIT_INTERRUPTED and "interrupted" in err
    assert_untouched(tmp_path, out)


def test_report_checks_by_nat_plot_and_output_before_reading(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, logs: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import awsip.api

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the flow logs were read")

    monkeypatch.setattr(awsip.api, "report", no_reading)
    out = existing(tmp_path / "r.json")
    for extra, status_wanted, text in (
            (["--by", "colour"], EXIT_USAGE, "cannot group by 'colour'"),
            (["--nat-ip", "8.8.8.8"], EXIT_USAGE, "'8.8.8.8'"),
            (["--plot", str(tmp_path / "missing" / "p.png")], EXIT_DATA, "cannot write"),
            (["-o", str(tmp_path / "missing" / "r.json")], EXIT_DATA, "cannot write")):
        if extra[0] == "--plot":
            pytest.importorskip("matplotlib")
        status, _, err = run(capsys, "report", str(logs), "--ranges", NEWEST, "-q", *extra)
        assert status == status_wanted and text in err, (extra, err)
    assert out.read_bytes() == OLD_BYTES


def test_plot_without_matplotlib_is_reported_before_anything_is_written(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, logs: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = existing(tmp_path / "r.json")
    status, _, err = run(capsys, "report", str(logs), "--ranges", NEWEST, "-q", "-o", str(out),
                         "--plot", str(tmp_path / "p.svg"))
    assert status == EXIT_USAGE and "awsip[plot]" in err
    assert out.read_bytes() == OLD_BYTES and not (tmp_path / "p.svg").exists()


def test_classify_strict_failure_keeps_the_output(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    ips = tmp_path / "in" / "ips.txt"
    ips.parent.mkdir()
    ips.write_text("52.216.58.42\nnope\n")
    folder = tmp_path / "out"
    folder.mkdir()
    out = existing(folder / "o.csv")
    status, _, err = run(capsys, "classify", str(ips), "--strict", "-o", str(out),
                         "--ranges", NEWEST)
    assert status == EXIT_DATA and "not written" in err
    assert_untouched(folder, out)


# ------------------------------------------------------------------ 2. NAT arguments
@pytest.mark.parametrize("option, value, text", [
    ("--nat-ip", "8.8.8.8", "private address"),
    ("--nat-ip", "8.8.8.8", "describe-nat-gateways"),
    ("--nat-ip", "10.0.0.0/24", "CIDR"),
    ("--nat-ip", "10.0.0.300", "not an IPv4 or IPv6 address"),
    ("--nat-eni", "eni-xyz", "not an ENI id"),
    ("--nat-eni", "10.0.0.5", "not an ENI id"),
])
def test_bad_nat_values_are_usage_errors_naming_the_value(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, logs: Path, option: str,
        value: str, text: str) -> None:
    out = existing(tmp_path / "r.txt")
    status, printed, err = run(capsys, "report", str(logs), "--ranges", NEWEST, "-q",
                               option, value, "-o", str(out))
    assert status == EXIT_USAGE and printed == ""
    assert repr(value) in err and text in err
    assert out.read_bytes() == OLD_BYTES


def test_a_nat_identifier_no_record_mentions_is_a_warning_naming_it(
        capsys: pytest.CaptureFixture[str], logs: Path) -> None:
    status, _, err = run(capsys, "report", str(logs), "--ranges", NEWEST, "-q", "--nat-ip",
                         NAT_IP, "--nat-eni", "eni-0123abcd", "--nat-ip", "10.9.9.9")
    assert status == EXIT_OK
    assert "warning" in err and "'eni-0123abcd'" in err and "'10.9.9.9'" in err
    assert repr(NAT_IP) not in err


# ------------------------------------------------------------------ 3. inputs
def test_an_empty_directory_is_an_error_naming_it(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    empty = tmp_path / "emptydir"
    empty.mkdir()
    for command in (["report", str(empty)], ["classify", "--flow-logs", str(empty)]):
        status, _, err = run(capsys, *command, "--ranges", NEWEST, "-q")
        assert status == EXIT_DATA and "no flow-log file found" in err and "emptydir" in err


def test_all_lines_unreadable_quotes_the_first_and_suggests_a_log_format(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.log"
    bad.write_text("a b c d e f g h i j k l m n\nx y z\n")
    folder = tmp_path / "out"
    folder.mkdir()
    out = existing(folder / "o.csv")
    for command in (["report", str(bad)], ["classify", str(bad), "-o", str(out)]):
        status, _, err = run(capsys, *command, "--ranges", NEWEST, "-q")
        assert status == EXIT_DATA, err
        assert "'a b c d e f g h i j k l m n'" in err
        assert "--log-format '${version} ${account-id} ${interface-id}" in err
        assert "version 2 default" in err
    assert_untouched(folder, out)


def test_classify_csv_picks_the_obvious_address_column(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("name,IP_Address\nbucket,52.216.58.42\nhome,192.168.1.1\n")
    status, out, _ = run(capsys, "classify", str(data), "--ranges", NEWEST, "-q")
    assert status == EXIT_OK
    lines = out.splitlines()
    assert len(lines) == 3 and lines[1].startswith('"52.216.58.42",true,true')


def test_classify_csv_without_an_obvious_column_lists_the_columns(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("when,who\n1,52.216.58.42\n")
    status, out, err = run(capsys, "classify", str(data), "--ranges", NEWEST)
    assert status == EXIT_USAGE and out == ""
    assert "'when', 'who'" in err and "--column" in err


def test_a_missing_input_is_exit_1_on_every_command(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.txt")
    for command in (["classify", missing], ["classify", "--flow-logs", missing],
                    ["report", missing]):
        status, _, err = run(capsys, *command, "--ranges", NEWEST, "-q")
        assert status == EXIT_DATA and "nope.txt" in err, command


def test_the_errors_table_matches_the_exit_codes() -> None:
    text = (Path(__file__).parents[1] / "docs" / "errors.md").read_text()
    for code in (EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERRUPTED):
        assert f"| {code} |" in text


# ------------------------------------------------------------------ 4. quiet
@pytest.mark.parametrize("how", ["flag", "env"])
@pytest.mark.parametrize("command", [["lookup", "52.216.58.42"], ["ranges", "-s", "S3"],
                                     ["info"]])
def test_quiet_silences_the_bundled_snapshot_warning(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, how: str,
        command: list[str]) -> None:
    status, _, err = run(capsys, *command, "--offline")
    assert status == EXIT_OK and "bundled snapshot" in err
    if how == "flag":
        status, _, err = run(capsys, *command, "--offline", "--quiet")
    else:
        monkeypatch.setenv("AWSIP_QUIET", "1")
        status, _, err = run(capsys, *command, "--offline")
    assert status == EXIT_OK and err == ""


def test_quiet_exists_on_every_command_that_loads_ranges() -> None:
    import argparse

    from awsip.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for command in ("lookup", "classify", "report", "ranges", "info", "diff", "update"):
        options = {s for a in sub.choices[command]._actions for s in a.option_strings}
        assert "--quiet" in options, command


def test_quiet_does_not_hide_errors(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "ranges", "-s", "S4", "--offline", "--quiet")
    assert status == EXIT_USAGE and "no service 'S4'" in err and "bundled" not in err


# ------------------------------------------------------------------ 6. escaping
def _hostile_ranges(tmp_path: Path) -> Path:
    doc = {"syncToken": "1", "createDate": "2026-08-22-15-17-05",
           "prefixes": [{"ip_prefix": "52.216.0.0/15", "region": "us-east-1\x1b[31m",
                         "service": "S3\x1b]0;pwned\x07", "network_border_group": "us-east-1"}],
           "ipv6_prefixes": []}
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc))
    return path


def test_control_characters_from_the_server_are_escaped_in_text_outputs(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    hostile = str(_hostile_ranges(tmp_path))
    rows = [ff.record(srcaddr=NAT_IP, dstaddr="52.216.58.42")]
    logs = ff.write(tmp_path / "l.log", ff.text(rows, header=False), gz=False)
    outputs = [run(capsys, "lookup", "52.216.58.42", "--ranges", hostile),
               run(capsys, "report", str(logs), "--ranges", hostile, "-q"),
               run(capsys, "report", str(logs), "--ranges", hostile, "-q", "--output-format",
                   "markdown", "--nat-ip", NAT_IP),
               run(capsys, "ranges", "-s", "S4", "--ranges", hostile)]
    for _status, out, err in outputs:
        assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b" in outputs[0][1] and "\\x1b" in outputs[1][1] and "\\x1b" in outputs[2][1]
