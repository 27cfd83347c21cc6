"""Indexes over one :class:`~awsip.ranges.Ranges`: the scalar longest-prefix lookup
(:mod:`.scalar`, pytricia) and the bulk interval table (:mod:`.bulk`, numpy) with its vectorized
address parsers (:mod:`.parse`). Only :mod:`.scalar` is imported here: the others need numpy."""

from __future__ import annotations

from .scalar import Match, ScalarIndex

__all__ = ["Match", "ScalarIndex"]
