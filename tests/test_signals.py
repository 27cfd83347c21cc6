"""A command stopped by a signal keeps every existing output as it was and leaves no file."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

NEWEST = str(Path(__file__).parent / "data" / "ip-ranges-2026-08-22T151705.json.gz")

#: Runs `awsip ranges -o OUT` as the whole process; the signal arrives while the output's
#: temporary file is open and half written.
CHILD = """
import contextlib, os, signal, sys, time
import awsip.cli.common as common
real = common.atomic_file
SIGNAL, RANGES, OUT = getattr(signal, sys.argv[1]), sys.argv[2], sys.argv[3]
# Ctrl-C as in a terminal: a process started with SIGINT ignored (a test runner's worker can
# be one) keeps it ignored, and Python then installs no KeyboardInterrupt handler
signal.signal(signal.SIGINT, signal.default_int_handler)

@contextlib.contextmanager
def stopped_halfway(path, **kw):
    with real(path, **kw) as fh:
        fh.write(b"half an allowlist")
        fh.flush()
        os.kill(os.getpid(), SIGNAL)
        time.sleep(10)
        yield fh

common.atomic_file = stopped_halfway
from awsip.cli import main
sys.argv = ["awsip", "ranges", "--ranges", RANGES, "-s", "S3", "-o", OUT]
sys.exit(main())
"""


@pytest.mark.parametrize(("name", "status", "said"), [("SIGTERM", 143, "awsip: terminated"),
                                                      ("SIGINT", 130, "awsip: interrupted")])
def test_a_signal_while_writing_keeps_the_old_output_and_leaves_no_file(
        tmp_path: Path, name: str, status: int, said: str) -> None:
    out = tmp_path / "allow.txt"
    out.write_bytes(b"3.5.0.0/19\n")
    proc = subprocess.run([sys.executable, "-c", CHILD, name, NEWEST, str(out)],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr.strip().splitlines()[-1:]) == (status, [said]), \
        proc.stderr
    assert "Traceback" not in proc.stderr
    assert out.read_bytes() == b"3.5.0.0/19\n"
    assert [p.name for p in tmp_path.iterdir()] == ["allow.txt"]


def test_without_the_handler_sigterm_would_have_left_the_temporary_file(tmp_path: Path) -> None:
    """The test above can fail: with SIGTERM's default action the temporary file stays."""
    out = tmp_path / "allow.txt"
    no_handler = "signal.signal = lambda *args: None\nfrom awsip.cli import main"
    code = CHILD.replace("from awsip.cli import main", no_handler)
    proc = subprocess.run([sys.executable, "-c", code, "SIGTERM", NEWEST, str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGTERM
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] != []
