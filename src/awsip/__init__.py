"""awsip: which AWS service and region owns an IP address.

Quick start::

    >>> import awsip
    >>> awsip.lookup("52.216.58.42").service
    'S3'

The common case is one function (:func:`lookup`); :func:`load_ranges` gives a :class:`Ranges`
value for everything else. The bulk APIs (:func:`classify`, :func:`read_flow_logs`,
:func:`enrich_flow_logs`, :func:`summarize`, :func:`report`) are the functions of their own
modules, imported on first use, so ``import awsip`` and single lookups never load numpy or pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AwsipError,
    FetchError,
    FlowLogError,
    InvalidAddressError,
    RangesError,
    UsageError,
)
from .lookup import Match
from .ranges import Entry, Origin, Ranges
from .source import default_ranges, load_ranges

if TYPE_CHECKING:
    from .advise import report
    from .aggregate import summarize
    from .bulk import classify
    from .enrich import enrich_flow_logs
    from .flowlogs import read_flow_logs

__version__ = "0.1.0"

#: Public functions that need numpy/pyarrow, by the module that defines them.
_LAZY = {
    "classify": ".bulk",
    "read_flow_logs": ".flowlogs",
    "enrich_flow_logs": ".enrich",
    "summarize": ".aggregate",
    "report": ".advise",
}


def __getattr__(name: str) -> Any:
    """Import a heavy public function on first use (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'awsip' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def lookup(ip: object, ranges: Ranges | None = None) -> Match:
    """Look up one address in ``ranges`` (default: :func:`default_ranges`)."""
    return (ranges or default_ranges()).lookup(ip)


__all__ = [
    "AwsipError",
    "Entry",
    "FetchError",
    "FlowLogError",
    "InvalidAddressError",
    "Match",
    "Origin",
    "Ranges",
    "RangesError",
    "UsageError",
    "__version__",
    "classify",
    "default_ranges",
    "enrich_flow_logs",
    "load_ranges",
    "lookup",
    "read_flow_logs",
    "report",
    "summarize",
]
