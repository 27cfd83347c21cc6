"""``awsip report``: formats, options and errors, run in-process on the walkthrough's files."""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from awsip import cli
from awsip import loading as source
from awsip.advice.prices import cost
from awsip.cli import common
from awsip.ranges import Ranges
from awsip.units import human_bytes, usd
from walkthrough_truth import Truth, count

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import nat_walkthrough as walk

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-walk")
    walk.generate(root, days=2, scale=0.01)
    return root / "AWSLogs"


@functools.lru_cache(maxsize=1)
def _ranges() -> Ranges:
    return source.load_bundled()


@pytest.fixture(scope="module")
def truth(logs: Path) -> Truth:
    """The walkthrough's figures counted without awsip's reader or engine."""
    return count(logs, _ranges())


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    # Import every sub-command module before patching, so none binds the patched function.
    cli.build_parser()
    # Parse the ranges once for the module, not once per command (the --ranges option itself
    # is exercised by test_ranges_option_reads_the_named_publication).
    monkeypatch.setattr(common, "ranges_from_args", lambda args: _ranges())

    def _run(*args: str) -> tuple[int, str, str]:
        status = cli.main(["report", *args, "--offline", "--quiet"])
        out, err = capsys.readouterr()
        return status, out, err

    return _run


def test_json_output_attributes_nat_bytes_and_recommends_the_s3_endpoint(
        run: Run, logs: Path, truth: Truth) -> None:
    status, out, err = run(str(logs), "--nat-ip", walk.NAT_IP, "--json")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["vpc_region"] == "us-east-1"
    assert (doc["records"], doc["nodata"], doc["files"], doc["bytes"]) == (
        truth.records, truth.nodata, truth.files, truth.all_bytes)
    nat = doc["nat"]
    assert (nat["bytes"], nat["bytes_in"], nat["bytes_out"]) == (truth.nat, truth.nat_in,
                                                                 truth.nat_out)
    assert [(r["service"], r["region"], r["bytes"], r["share"]) for r in nat["by_service"]] == [
        (s, reg, b, pytest.approx(b / truth.nat))
        for (s, reg), b in sorted(truth.nat_by.items(), key=lambda kv: -kv[1])]
    assert nat["by_service"][0]["service"] == "S3" and nat["by_service"][0]["share"] > 0.98
    assert [(d["day"], d["bytes"]) for d in nat["by_day"]] == sorted(truth.nat_by_day.items())
    kinds = [r["kind"] for r in doc["recommendations"]]
    assert kinds[0] == "s3-gateway-endpoint" and "cross-region-interface-endpoint" in kinds
    assert doc["recommendations"][0]["bytes"] == truth.nat_by[("S3", "us-east-1")]
    # json: every group unless --top
    assert {(g["service"], g["region"]): (g["bytes"], g["packets"], g["flows"])
            for g in doc["groups"]} == {k: (t.bytes, t.packets, t.flows)
                                        for k, t in truth.group_by(("service", "region")).items()}
    assert doc["groups_total"] == len(doc["groups"])


def test_nat_eni_and_nat_ip_agree(run: Run, logs: Path, truth: Truth) -> None:
    by_ip = json.loads(run(str(logs), "--nat-ip", walk.NAT_IP, "--json")[1])["nat"]
    by_eni = json.loads(run(str(logs), "--nat-eni", walk.NAT_ENI, "--format", "json")[1])["nat"]
    assert by_ip["bytes"] == by_eni["bytes"] == truth.nat
    assert by_ip["by_service"] == by_eni["by_service"]


def test_price_and_gb_options_change_the_cost(run: Run, logs: Path, truth: Truth) -> None:
    base = json.loads(run(str(logs), "--nat-ip", walk.NAT_IP, "--json")[1])["nat"]
    other = json.loads(run(str(logs), "--nat-ip", walk.NAT_IP, "--json", "--price-per-gb",
                           "0.09", "--gb-bytes", "1000000000")[1])["nat"]
    assert base["cost_usd"] == pytest.approx(truth.nat / 2**30 * 0.045, abs=1e-4)
    assert (other["price_per_gb"], other["gb_bytes"]) == (0.09, 10**9)
    assert other["cost_usd"] == pytest.approx(truth.nat / 1e9 * 0.09, abs=1e-4)


def test_table_is_the_default_and_fits_80_columns(run: Run, logs: Path, truth: Truth) -> None:
    status, out, _ = run(str(logs), "--nat-ip", walk.NAT_IP, "--by", "service,region,peer")
    assert status == 0
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[0].startswith(f"{truth.records:,} flow records "
                               f"({truth.records - truth.nodata:,} traffic, {truth.nodata:,} "
                               "NODATA")
    nat = next(line for line in lines if line.startswith("NAT gateway"))
    assert nat.startswith(f"NAT gateway {walk.NAT_IP}: {human_bytes(truth.nat)} processed "
                          f"(counted once: {human_bytes(truth.nat_in)} in,")
    assert "Add an S3 gateway VPC endpoint in us-east-1" in out.replace("\n", " ").replace(
        "  ", " ")
    peers = truth.group_by(("service", "region", "peer"))
    total = sum(t.bytes for t in peers.values())
    head = lines.index("SERVICE   REGION     PEER               BYTES  SHARE  FLOWS")
    assert [line.split() for line in lines[head + 1:]] == [
        [s, reg or "-", peer, *human_bytes(t.bytes).split(), f"{t.bytes / total * 100:.1f}%",
         f"{t.flows:,}"] for (s, reg, peer), t in sorted(peers.items(),
                                                         key=lambda kv: -kv[1].bytes)]


def test_csv_lists_the_top_groups_with_their_counted_bytes(run: Run, logs: Path,
                                                            truth: Truth) -> None:
    status, out, _ = run(str(logs), "--format", "csv", "--by", "service,day", "--top", "3")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    groups = truth.group_by(("service", "day"))
    total = sum(t.bytes for t in groups.values())
    assert list(rows[0]) == ["service", "day", "bytes", "packets", "flows", "first_seen",
                             "last_seen", "share"]
    assert [(r["service"], r["day"], int(r["bytes"]), int(r["packets"]), int(r["flows"]),
             float(r["share"])) for r in rows] == [
        (s, day, t.bytes, t.packets, t.flows, pytest.approx(t.bytes / total))
        for (s, day), t in sorted(groups.items(), key=lambda kv: -kv[1].bytes)[:3]]


def test_markdown_states_the_counted_nat_bytes_and_the_advice(run: Run, logs: Path,
                                                              truth: Truth) -> None:
    status, out, _ = run(str(logs), "--format", "markdown", "--nat-ip", walk.NAT_IP)
    assert status == 0
    lines = out.splitlines()
    assert lines[:2] == ["# awsip report", ""]
    at = lines.index("## NAT gateway")
    assert lines[at + 2].startswith(f"{walk.NAT_IP}: **{human_bytes(truth.nat)}** processed "
                                    f"(counted once), estimated **{usd(cost(truth.nat))}**")
    nat_rows = sorted(truth.nat_by.items(), key=lambda kv: -kv[1])
    assert lines[at + 6:at + 6 + len(nat_rows)] == [
        f"| {s} | {reg or '-'} | {human_bytes(b)} | {b / truth.nat * 100:.1f}% | "
        f"{usd(cost(b))} |" for (s, reg), b in nat_rows]
    advice = lines.index("## Recommendations")
    s3 = truth.nat_by[("S3", "us-east-1")]
    assert lines[advice + 2].startswith(
        f"- Add an S3 gateway VPC endpoint in us-east-1 (free) and route the private subnets "
        f"to it: {human_bytes(s3)} ({usd(cost(s3))}) would not have crossed the NAT")


def test_since_until_and_vpc_region_options(run: Run, logs: Path, truth: Truth) -> None:
    whole = json.loads(run(str(logs), "--json", "--by", "day")[1])
    day1 = json.loads(run(str(logs), "--json", "--by", "day", "--since", "2026-03-21",
                          "--until", "2026-03-22T00:00:00Z")[1])
    assert [g["day"] for g in day1["groups"]] == ["2026-03-21"]
    assert day1["bytes"] == next(g["bytes"] for g in whole["groups"] if g["day"] == "2026-03-21")
    assert {g["day"]: g["bytes"] for g in whole["groups"]} == {
        day: t.bytes for (day,), t in truth.group_by(("day",)).items()}
    west = json.loads(run(str(logs), "--json", "--nat-ip", walk.NAT_IP, "--vpc-region",
                          "us-west-2")[1])
    kinds = {(r["kind"], r["region"]) for r in west["recommendations"]}
    assert ("s3-gateway-endpoint", "us-west-2") in kinds
    assert ("cross-region-interface-endpoint", "us-east-1") in kinds


def test_plot_writes_a_png(run: Run, logs: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "hourly.png"
    status, _, err = run(str(logs), "--plot", str(target))
    assert status == 0, err
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_names_the_extra(run: Run, logs: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, _, err = run(str(logs), "--plot", str(tmp_path / "x.svg"))
    assert status == 2 and "awsip[plot]" in err


@pytest.mark.parametrize("args, message", [
    (["--by", "colour"], "cannot group by 'colour'"),
    (["--plot", "out.pdf"], "must end in .png or .svg"),
    (["--since", "last tuesday"], "ISO-8601"),
    (["--top", "-1"], "--top"),
    (["--vpc-cidr", "10.0.0.0/33"], "vpc_cidrs"),
])
def test_usage_errors_exit_2_with_a_message(run: Run, logs: Path, args: list[str],
                                            message: str) -> None:
    status, out, err = run(str(logs), *args)
    assert status == 2 and message in err and out == ""


def test_missing_input_exits_1(run: Run, tmp_path: Path) -> None:
    status, _, err = run(str(tmp_path / "nope"))
    assert status == 1 and "nope" in err


def test_ranges_option_reads_the_named_publication(
        logs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    old = Path(__file__).parent / "data" / "ip-ranges-2025-03-10T135318.json.gz"
    status = cli.main(["report", str(logs), "--ranges", str(old), "--offline", "--quiet",
                       "--json", "--by", "service"])
    out, err = capsys.readouterr()
    assert status == 0, err
    by_service = count(logs, Ranges.from_json(gzip.decompress(old.read_bytes()))).group_by(
        ("service",))
    assert {g["service"]: g["bytes"] for g in json.loads(out)["groups"]} == {
        service: t.bytes for (service,), t in by_service.items()}


def run_as_process(logs: Path, command: str, env: dict[str, str] | None = None) -> str:
    """Run ``awsip COMMAND`` as the whole process (``cli.main()`` with no arguments) and give
    what it reports on stderr afterwards: status, pandas imported?, what ``to_pandas()``
    gives, OPENBLAS_NUM_THREADS, numpy.ma imported?"""
    code = ("import os, sys; from awsip import cli; sys.argv = ['awsip', *sys.argv[1:]]; "
            "status = cli.main(); imported = 'pandas' in sys.modules; "
            "ma = 'numpy.ma' in sys.modules; import pyarrow as pa; "
            "frame = pa.table({'a': [1]}).to_pandas(); print(status, imported, "
            "type(frame).__name__, os.environ.get('OPENBLAS_NUM_THREADS'), ma, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, command, str(logs), "--offline",
                          "--quiet", *(["--json"] if command == "report" else ["--flow-logs"])],
                         capture_output=True, text=True, timeout=300, env=env)
    return out.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("command", ["report", "classify"])
def test_the_command_as_a_process_does_not_import_pandas_but_pandas_still_works_after(
        logs: Path, command: str) -> None:
    pytest.importorskip("pandas")  # the point is that it is installed and not imported
    assert run_as_process(logs, command).split()[:3] == ["0", "False", "DataFrame"]


def test_the_report_builds_arrow_arrays_without_importing_numpy_ma(tmp_path: Path) -> None:
    # pa.array(ndarray) imports numpy.ma (~20 ms of every run); awsip.arrowutil avoids it.
    from flowlog_factory import record, text, write

    mixed = [record(dstaddr="52.216.58.42"), record(dstaddr="2600:1f18:4a3:6902:88f1::1234"),
             record(srcaddr="fd00::5", dstaddr="2a05:d000::9"), record(dstaddr="8.8.8.8")]
    path = write(tmp_path / "mixed.gz", text(mixed))
    run_as_process(path, "report")  # builds and stores the bulk index (np.unique imports it)
    assert run_as_process(path, "report").split()[4] == "False"


def test_the_command_as_a_process_runs_openblas_on_one_thread_unless_told_otherwise(
        logs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert run_as_process(logs, "report", dict(os.environ)).split()[3] == "1"
    assert run_as_process(logs, "report", {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
                          ).split()[3] == "2"
