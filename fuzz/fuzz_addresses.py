#!/usr/bin/env python3
"""Fuzz the address parsers: the scalar parser (``awsip.lookup``) and the bulk parser
(``awsip.classify``) on the same strings must agree on validity, value and classification.

The input's lines (or NUL-separated pieces, when it starts with NUL) are the strings; its
bytes, read as 64-bit integers, are also classified as integer input. Allowed exceptions:
``InvalidAddressError`` from the scalar side; the bulk side marks the row invalid. Every bulk
path is tried (direct, unique-first, the numpy IPv6 parser). Run: see fuzz/README.md.
"""

from __future__ import annotations

import common

with common.instrumented():
    import checks


def TestOneInput(data: bytes) -> None:
    """One fuzzed list of addresses."""
    checks.check_addresses(data)


if __name__ == "__main__":
    checks.fixed_ranges()  # parsed once before fuzzing starts
    common.main(TestOneInput)
