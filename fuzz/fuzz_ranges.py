#!/usr/bin/env python3
"""Fuzz the ranges loader: bytes -> an ip-ranges.json download (plain and gzip'd) and a file.

The loader's own steps (decode, validate, plausibility against the bundled snapshot) and
``awsip.load_ranges(path)``. Allowed: a consistent ``Ranges``, or a ``RangesError``; small
publications are also looked up by the scalar index, the bulk engine and the oracle of
tests/oracle.py, which must agree. Run: see fuzz/README.md.
"""

from __future__ import annotations

import common

with common.instrumented():
    import checks


def TestOneInput(data: bytes) -> None:
    """One fuzzed ip-ranges.json document."""
    checks.check_ranges(data)


if __name__ == "__main__":
    checks.reference()  # parsed once before fuzzing starts
    common.main(TestOneInput)
