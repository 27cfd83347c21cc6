"""Placeholder: bundled snapshot only (the full loader replaces this)."""

from __future__ import annotations

import gzip
from importlib import resources

from .ranges import Origin, Ranges

_default: Ranges | None = None


def load_bundled() -> Ranges:
    data = gzip.decompress(resources.files("awsip").joinpath("data/ip-ranges.json.gz").read_bytes())
    return Ranges.from_json(data, origin=Origin("bundled", "awsip/data/ip-ranges.json.gz"))


def load_ranges(source: str | None = None) -> Ranges:
    return load_bundled()


def default_ranges() -> Ranges:
    global _default
    if _default is None:
        _default = load_ranges()
    return _default
