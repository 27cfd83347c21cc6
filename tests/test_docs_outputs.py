"""The report outputs shown in docs/walkthrough.md are what the commands print today.

Each walkthrough's script writes its logs into a temporary directory; the command the page
shows runs as a user runs it (``python -m awsip ...``, offline, an empty cache: the bundled
snapshot), and its output must be the page's text block under that command, line for line.
A change to the report's wording or figures then fails here until the page is regenerated.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "walkthrough.md").read_text()


def shown_after(command: str) -> str:
    """The text block that follows the page's shell block holding ``command``."""
    at = DOC.index(command)
    block = re.compile(r"```text\n(.*?)```", re.S).search(DOC, at)
    assert block is not None, command
    return block.group(1)


def awsip(args: list[str], cache: Path) -> str:
    env = {**os.environ, "AWSIP_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-m", "awsip", *args, "--offline", "--quiet"],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("empty-cache")


def test_first_walkthrough_report_is_what_the_command_prints(tmp_path: Path,
                                                              cache: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "examples" / "nat_walkthrough.py"),
                    str(tmp_path)], check=True, capture_output=True)
    logs = str(tmp_path / "AWSLogs")
    out = awsip(["report", logs, "--nat-ip", "10.0.0.144"], cache)
    assert out == shown_after("awsip report /tmp/nat-demo/AWSLogs --nat-ip 10.0.0.144\n")
    top = awsip(["report", logs, "--nat-eni", "eni-0a7c0e5f1d2b3c401",
                 "--by", "service,region,peer,direction", "--top", "10"], cache)
    shown = shown_after("--by service,region,peer,direction --top 10")
    assert top.endswith(shown)  # the page shows the table at the end of the output


def test_second_walkthrough_report_is_what_the_command_prints(tmp_path: Path,
                                                               cache: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "examples" / "nat_walkthrough_az.py"),
                    str(tmp_path)], check=True, capture_output=True)
    out = awsip(["report", str(tmp_path / "AWSLogs")], cache)
    assert out == shown_after("python -m awsip report /tmp/nat-az/AWSLogs --offline\n")
