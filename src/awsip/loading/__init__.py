"""Where ip-ranges.json comes from: the network (:mod:`.http`), the on-disk cache
(:mod:`.cache`) and its history (:mod:`.history`), a file, or the snapshot bundled in the
package; the rules of :func:`load_ranges` are in :mod:`.load`, its settings in :mod:`.settings`.

The rest of awsip never fetches: it is given a :class:`~awsip.ranges.Ranges`.
"""

from __future__ import annotations

from .history import HistoryItem, parse_history_key
from .load import (
    CacheInfo,
    Publication,
    UpdateResult,
    cache_info,
    default_ranges,
    list_history,
    load_bundled,
    load_file,
    load_history_entry,
    load_ranges,
    reset_default,
    update,
)
from .settings import (
    DEFAULT_MAX_AGE,
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    MAX_DOCUMENT_BYTES,
    RETRY_AFTER,
    cache_dir,
)

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "MAX_DOCUMENT_BYTES",
    "RETRY_AFTER",
    "CacheInfo",
    "HistoryItem",
    "Publication",
    "UpdateResult",
    "cache_dir",
    "cache_info",
    "default_ranges",
    "list_history",
    "load_bundled",
    "load_file",
    "load_history_entry",
    "load_ranges",
    "parse_history_key",
    "reset_default",
    "update",
]
