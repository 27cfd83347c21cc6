"""Settings of the ranges loader: arguments first, then ``AWSIP_*`` environment variables,
then defaults. Each function resolves one setting and names the variable when its value is bad.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from ..errors import UsageError

#: AWS's publication.
DEFAULT_URL = "https://ip-ranges.amazonaws.com/ip-ranges.json"
#: How long a cached copy is used without asking the server (``AWSIP_MAX_AGE``, seconds).
DEFAULT_MAX_AGE = timedelta(hours=12)
#: (connect, read) timeouts in seconds (``AWSIP_TIMEOUT`` sets both).
DEFAULT_TIMEOUT = (10.0, 30.0)
#: After a failed refresh, the cached copy is used (with a warning) without retrying for this
#: long (or ``max_age``, if shorter), so a dead network costs one timeout, not one per call.
RETRY_AFTER = timedelta(minutes=5)
#: Downloads larger than this are abandoned (the real document is about 2.6 MB).
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
#: How many publications the history keeps unless told otherwise (``AWSIP_HISTORY``).
DEFAULT_HISTORY = 30


def cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory: ``cache_dir``, else ``AWSIP_CACHE_DIR``, else
    ``platformdirs.user_cache_dir("awsip")`` (e.g. ``~/.cache/awsip`` on Linux,
    ``~/Library/Caches/awsip`` on macOS, ``%LOCALAPPDATA%\\awsip\\Cache`` on Windows)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("AWSIP_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("awsip", appauthor=False))


def _env_number(name: str) -> float | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{name}={text!r} is not a number of seconds") from None
    if value < 0:
        raise UsageError(f"{name}={text!r} must not be negative")
    return value


def offline(offline: bool | None) -> bool:
    """``offline`` if given, else ``AWSIP_OFFLINE``."""
    if offline is not None:
        return offline
    text = os.environ.get("AWSIP_OFFLINE", "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"AWSIP_OFFLINE={text!r}: use 1 (offline) or 0")


def max_age(max_age: timedelta | float | None) -> timedelta:
    """``max_age`` (timedelta or seconds) if given, else ``AWSIP_MAX_AGE``, else 12 hours."""
    if max_age is None:
        seconds = _env_number("AWSIP_MAX_AGE")
        return DEFAULT_MAX_AGE if seconds is None else timedelta(seconds=seconds)
    return max_age if isinstance(max_age, timedelta) else timedelta(seconds=max_age)


def timeout(timeout: float | tuple[float, float] | None) -> tuple[float, float]:
    """(connect, read) seconds: ``timeout`` if given, else ``AWSIP_TIMEOUT``, else (10, 30)."""
    if timeout is None:
        seconds = _env_number("AWSIP_TIMEOUT")
        return DEFAULT_TIMEOUT if seconds is None else (seconds, seconds)
    if isinstance(timeout, tuple):
        return (float(timeout[0]), float(timeout[1]))
    return (float(timeout), float(timeout))


def history_keep(history: int | None) -> int:
    """Publications the history keeps: ``history``, else ``AWSIP_HISTORY``, else 30."""
    if history is not None:
        return history
    text = os.environ.get("AWSIP_HISTORY", "").strip()
    if not text:
        return DEFAULT_HISTORY
    if not text.isdigit():
        raise UsageError(f"AWSIP_HISTORY={text!r} is not a whole number of publications")
    return int(text)


def default_url() -> str:
    """AWS's URL, or ``AWSIP_URL`` when set."""
    return os.environ.get("AWSIP_URL") or DEFAULT_URL


__all__ = ["DEFAULT_HISTORY", "DEFAULT_MAX_AGE", "DEFAULT_TIMEOUT", "DEFAULT_URL",
           "MAX_DOCUMENT_BYTES", "RETRY_AFTER", "cache_dir", "default_url", "history_keep",
           "max_age", "offline", "timeout"]
