"""Ranges: one publication of ip-ranges.json as a value, its primary service rule, what changed
between two publications (:mod:`.diff`) and its exports (:mod:`.export`)."""

from __future__ import annotations

from . import diff, export
from .diff import RangesDiff
from .model import Entry, Origin, Publication, Ranges, SourceKind, parse_create_date

__all__ = ["Entry", "Origin", "Publication", "Ranges", "RangesDiff", "SourceKind", "diff",
           "export", "parse_create_date"]
