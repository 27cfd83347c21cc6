"""`awsip lookup` as a user runs it: output shapes, exit status, stdin, offline fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from awsip.cli import main
from oracle import INVESTIGATION, NEWEST, Oracle, load_document


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["lookup", "--ranges", str(NEWEST), *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_has_one_object_per_input_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--json", *INVESTIGATION, "8.8.8.8")
    rows = json.loads(out)
    assert status == 0
    assert [r["ip"] for r in rows] == [*INVESTIGATION, "8.8.8.8"]
    oracle = Oracle(load_document(NEWEST))
    for row in rows[:-1]:
        assert (row["aws"], row["service"], row["region"]) == (True, "S3", "us-east-1")
        assert set(row) == {"ip", "aws", "prefix", "service", "services", "region",
                            "network_border_group", "matches"}
        want = oracle.enumerate(row["ip"])
        assert (row["prefix"], row["service"], row["region"], row["network_border_group"]) == (
            want.prefix, want.service, want.region, want.network_border_group)
        assert row["services"][0] == row["service"]
        assert sorted(row["services"]) == sorted(want.services)
        assert [(m["prefix"], m["service"], m["region"], m["network_border_group"])
                for m in row["matches"]] == list(want.matches)
    assert rows[-1] == {"ip": "8.8.8.8", "aws": False, "prefix": None, "service": None,
                        "services": [], "region": None, "network_border_group": None,
                        "matches": []}


def test_invalid_input_is_named_on_stderr_others_still_answered(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--json", "52.216.58.42", "300.1.1.1", "8.8.8.8")
    rows = json.loads(out)
    assert status == 1
    message = "'300.1.1.1' is not an IPv4 or IPv6 address"
    assert err == f"awsip: {message}\n"
    assert [r["aws"] for r in rows] == [True, False, False]
    assert rows[0]["service"] == "S3"
    nothing = {"aws": False, "prefix": None, "service": None, "services": [], "region": None,
               "network_border_group": None, "matches": []}
    assert rows[1:] == [{"ip": "300.1.1.1", **nothing, "error": message},
                        {"ip": "8.8.8.8", **nothing}]


def test_table_output_shows_service_and_region(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "16.15.207.229", "10.0.0.144")
    lines = out.splitlines()
    assert status == 0
    assert lines[0].split()[:3] == ["IP", "SERVICE", "REGION"]
    assert lines[1].split()[:4] == ["16.15.207.229", "S3", "us-east-1", "us-east-1"]
    assert "EC2,AMAZON" in lines[1]
    assert lines[2].split() == ["10.0.0.144", "not", "AWS"]


def test_dash_reads_addresses_from_stdin(capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO("52.216.58.42\n\n# comment\n8.8.8.8\n"))
    status, out, _ = run(capsys, "--json", "-")
    assert status == 0
    assert [r["ip"] for r in json.loads(out)] == ["52.216.58.42", "8.8.8.8"]


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["lookup"])
    assert info.value.code == 2


@pytest.mark.parametrize("offline", ["1", ""])
def test_python_m_awsip_answers_with_no_network_and_an_empty_cache(tmp_path: Path,
                                                                   offline: str) -> None:
    """The README's first command: no network, no cache, the bundled snapshot answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWSIP_")}
    env.update(AWSIP_CACHE_DIR=str(tmp_path / "cache"), AWSIP_OFFLINE=offline,
               # The network is unreachable: every request goes to a dead proxy on loopback.
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9", NO_PROXY="")
    proc = subprocess.run([sys.executable, "-m", "awsip", "lookup", "52.216.58.42", "--json"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)[0]
    assert (row["service"], row["region"]) == ("S3", "us-east-1")
    assert "bundled" in proc.stderr


def test_at_picks_the_publication_in_force_from_the_history(
        capsys: pytest.CaptureFixture[str]) -> None:
    """64.73.195.0/24 moved from us-east-1 (2026-03-27) to us-west-1 (2026-08-22)."""
    older = NEWEST.with_name("ip-ranges-2026-03-27.json.gz")
    assert main(["update", "--ranges", str(older)]) == 0
    assert main(["update", "--ranges", str(NEWEST)]) == 0
    capsys.readouterr()
    regions = []
    for when in ("2026-04-01T00:00", "2026-09-01"):
        assert main(["lookup", "--json", "--at", when, "64.73.195.1"]) == 0
        regions.append(json.loads(capsys.readouterr().out)[0]["region"])
    assert regions == ["us-east-1", "us-west-1"]
    assert main(["lookup", "--at", "2020-01-01", "64.73.195.1"]) == 1
    assert "does not reach back" in capsys.readouterr().err


def test_at_and_ranges_together_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lookup", "--ranges", str(NEWEST), "--at", "2026-04-01", "1.2.3.4"]) == 2
    assert "--at" in capsys.readouterr().err


def test_lookup_command_does_not_import_heavy_modules() -> None:
    """Start-up stays light: no numpy, pyarrow, pandas or requests on the lookup path."""
    code = ("import sys, io, contextlib\n"
            "from awsip.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['lookup', '--ranges', {str(NEWEST)!r}, '52.216.58.42'])\n"
            "print(sorted({m.split('.')[0] for m in sys.modules}"
            " & {'numpy', 'pyarrow', 'pandas', 'requests'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.strip() == "[]"
