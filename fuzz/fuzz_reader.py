#!/usr/bin/env python3
"""Fuzz the flow-log reader: bytes -> a file -> ``awsip.read_flow_logs(path).read_all()``.

Each input is read three times (default options; ``log_format=``; ``strict=True``). Allowed:
a Table, or an ``awsip.AwsipError``. For plain text the counts must add up to the input's
lines (see ``checks.line_accounting``). Run: see fuzz/README.md.
"""

from __future__ import annotations

import common

with common.instrumented():
    import checks


def TestOneInput(data: bytes) -> None:
    """One fuzzed flow-log file."""
    checks.check_reader(data)


if __name__ == "__main__":
    common.main(TestOneInput)
