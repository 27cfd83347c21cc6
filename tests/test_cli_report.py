"""``awsip report``: formats, options and errors, run in-process on the walkthrough's files."""

from __future__ import annotations

import csv
import functools
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
from awsip.cli import common
from awsip.ranges import Ranges

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
        run: Run, logs: Path) -> None:
    status, out, err = run(str(logs), "--nat-ip", walk.NAT_IP, "--json")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["vpc_region"] == "us-east-1"
    assert doc["nat"]["by_service"][0]["service"] == "S3"
    assert doc["nat"]["by_service"][0]["share"] > 0.98
    assert [d["day"] for d in doc["nat"]["by_day"]] == ["2026-03-21", "2026-03-22"]
    kinds = [r["kind"] for r in doc["recommendations"]]
    assert kinds[0] == "s3-gateway-endpoint" and "cross-region" in kinds
    assert len(doc["groups"]) == doc["groups_total"]  # json: every group unless --top


def test_nat_eni_and_nat_ip_agree(run: Run, logs: Path) -> None:
    by_ip = json.loads(run(str(logs), "--nat-ip", walk.NAT_IP, "--json")[1])["nat"]
    by_eni = json.loads(run(str(logs), "--nat-eni", walk.NAT_ENI, "--format", "json")[1])["nat"]
    assert by_ip["bytes"] == by_eni["bytes"] > 0


def test_price_and_gb_options_change_the_cost(run: Run, logs: Path) -> None:
    base = json.loads(run(str(logs), "--nat-ip", walk.NAT_IP, "--json")[1])["nat"]
    other = json.loads(run(str(logs), "--nat-ip", walk.NAT_IP, "--json", "--price-per-gb",
                           "0.09", "--gb-bytes", "1000000000")[1])["nat"]
    assert base["cost_usd"] == pytest.approx(base["bytes"] / 2**30 * 0.045, abs=1e-4)
    assert other["cost_usd"] == pytest.approx(base["bytes"] / 1e9 * 0.09, abs=1e-4)


def test_table_is_the_default_and_fits_80_columns(run: Run, logs: Path) -> None:
    status, out, _ = run(str(logs), "--nat-ip", walk.NAT_IP, "--by", "service,region,peer")
    assert status == 0
    assert max(map(len, out.splitlines())) <= 80
    assert "flow records" in out.splitlines()[0]
    assert "Add an S3 gateway VPC endpoint in us-east-1" in out.replace("\n", " ").replace(
        "  ", " ")


def test_csv_and_markdown(run: Run, logs: Path) -> None:
    status, out, _ = run(str(logs), "--format", "csv", "--by", "service,day", "--top", "3")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3
    assert set(rows[0]) >= {"service", "day", "bytes", "packets", "flows", "share"}
    status, out, _ = run(str(logs), "--format", "markdown", "--nat-ip", walk.NAT_IP)
    assert status == 0 and out.startswith("# awsip report") and "## Recommendations" in out


def test_since_until_and_vpc_region_options(run: Run, logs: Path) -> None:
    whole = json.loads(run(str(logs), "--json", "--by", "day")[1])
    day1 = json.loads(run(str(logs), "--json", "--by", "day", "--since", "2026-03-21",
                          "--until", "2026-03-22T00:00:00Z")[1])
    assert [g["day"] for g in day1["groups"]] == ["2026-03-21"]
    assert day1["bytes"] == next(g["bytes"] for g in whole["groups"] if g["day"] == "2026-03-21")
    west = json.loads(run(str(logs), "--json", "--nat-ip", walk.NAT_IP, "--vpc-region",
                          "us-west-2")[1])
    kinds = {(r["kind"], r["region"]) for r in west["recommendations"]}
    assert ("s3-gateway-endpoint", "us-west-2") in kinds
    assert ("cross-region", "us-east-1") in kinds


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
    assert {g["service"] for g in json.loads(out)["groups"]} >= {"S3", "PRIVATE"}


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
