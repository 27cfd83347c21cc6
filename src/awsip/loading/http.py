"""One HTTP GET of ip-ranges.json, conditional when a cached copy exists, with every failure
turned into a :class:`~awsip.errors.FetchError` that says what to do.

Through :mod:`requests` (imported only here, only when fetching): TLS verified, the environment's
proxies and CA bundle honoured, ``User-Agent: awsip/<version>``.

Defences:

* **Redirects stay on https.** Redirects are followed by hand (at most :data:`MAX_REDIRECTS`);
  one that leaves ``https`` for another scheme is refused with a :class:`FetchError` naming both
  addresses, so a downgrade never replaces verified data.
* **A total deadline.** The whole download (connect, headers and body) must finish within
  connect + read timeout (``AWSIP_TIMEOUT``; 10 + 30 s by default). The exchange runs in a
  worker thread the caller stops waiting for at the deadline (whatever phase it is in, even a
  server trickling its headers); the worker reads the body one socket read at a time and checks
  the clock after each, so a server that drips a byte a second is abandoned and the worker ends
  too. A server that accepts and never answers is abandoned by the read timeout.
* **A word while waiting.** When the wait exceeds :data:`WAIT_NOTICE_AFTER` seconds and stderr is
  a terminal, a timer thread prints one line naming the URL (and, when the caller asks for it,
  that ``--offline`` skips it).
* **A CA bundle that does not exist** (``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``) is a one-line
  :class:`FetchError` naming the variable, before any connection.
* ``offline_hint``: only callers whose users can work offline (``load_ranges``) get
  "use --offline" in messages; ``awsip update`` has no such option and gets neutral advice.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from ..errors import FetchError

if TYPE_CHECKING:
    import requests

#: Seconds of waiting before the one-line notice on a terminal's stderr.
WAIT_NOTICE_AFTER = 2.0
#: Redirects followed before giving up.
MAX_REDIRECTS = 5
_READ_SIZE = 64 * 1024
#: Seconds past the deadline the caller waits for the worker to report its own error.
_GRACE = 0.25
_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str


def _stderr_is_terminal() -> bool:
    """True when stderr is a terminal (the waiting notice is for people, not logs)."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def download(url: str, *, etag: str | None, last_modified: str | None,
             timeout: tuple[float, float], max_bytes: int, offline_hint: bool = True,
             is_terminal: Callable[[], bool] | None = None) -> Response:
    """One (conditional) GET; raise :class:`FetchError` saying what went wrong and what to do.

    The whole exchange must end within ``timeout[0] + timeout[1]`` seconds. ``offline_hint``:
    suggest ``--offline`` in messages (False for callers without that option).
    ``is_terminal``: whether to print the waiting notice (default: stderr is a terminal).
    """
    _check_ca_bundle()
    deadline = time.monotonic() + timeout[0] + timeout[1]
    notice = _wait_notice(url, offline_hint, is_terminal or _stderr_is_terminal)
    outcome: list[Response | BaseException] = []
    done = threading.Event()

    def attempt() -> None:
        try:
            outcome.append(_attempt(url, etag=etag, last_modified=last_modified,
                                    timeout=timeout, deadline=deadline, max_bytes=max_bytes,
                                    offline_hint=offline_hint))
        except BaseException as exc:  # handed to the waiting thread, which raises it
            outcome.append(exc)
        finally:
            done.set()

    # The exchange runs in a worker so that no phase (connect, a server trickling its headers,
    # the body) can outlast the deadline; the worker checks the clock too and ends by itself.
    worker = threading.Thread(target=attempt, name="awsip-download", daemon=True)
    try:
        worker.start()
        if not done.wait(max(0.0, deadline - time.monotonic()) + _GRACE):
            raise _deadline_error(url, timeout, offline_hint)
    finally:
        notice.cancel()
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _attempt(url: str, *, etag: str | None, last_modified: str | None,
             timeout: tuple[float, float], deadline: float, max_bytes: int,
             offline_hint: bool) -> Response:
    """The exchange itself (in the worker thread); every failure a :class:`FetchError`."""
    import requests

    headers = _headers(requests.__version__, etag, last_modified)
    try:
        # trust_env (the default): proxies and the CA bundle come from the environment.
        with requests.Session() as session:
            return _get(session, url, headers, timeout=timeout, deadline=deadline,
                        etag=etag, last_modified=last_modified, max_bytes=max_bytes,
                        offline_hint=offline_hint)
    except requests.exceptions.RequestException as exc:
        raise _fetch_error(url, exc, timeout, offline_hint) from None
    except OSError as exc:  # e.g. a CA bundle that cannot be read
        raise FetchError(f"{url}: request failed ({exc})") from None


def _check_ca_bundle() -> None:
    """A CA bundle named in the environment must exist (requests raises a bare OSError)."""
    for name in _CA_VARIABLES:
        value = os.environ.get(name)
        if value and not os.path.exists(value):
            raise FetchError(f"{name}={value!r}: no such file; point it at an existing CA "
                             "certificate bundle, or unset it")


def _wait_notice(url: str, offline_hint: bool, is_terminal: Callable[[], bool]
                 ) -> threading.Timer:
    """A started timer printing one line on stderr if the download is still waiting."""
    skip = "; --offline (or AWSIP_OFFLINE=1) skips it" if offline_hint else ""

    def say() -> None:
        if is_terminal():
            with contextlib.suppress(OSError, ValueError, AttributeError):
                print(f"awsip: waiting for {url}{skip}", file=sys.stderr, flush=True)

    timer = threading.Timer(WAIT_NOTICE_AFTER, say)
    timer.daemon = True
    timer.start()
    return timer


def _get(session: requests.Session, url: str, headers: dict[str, str], *,
         timeout: tuple[float, float], deadline: float, etag: str | None,
         last_modified: str | None, max_bytes: int, offline_hint: bool) -> Response:
    """GET ``url``, following redirects by hand so that none leaves https."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        with session.get(current, headers=headers, timeout=_remaining(url, timeout, deadline,
                                                                      offline_hint),
                         stream=True, verify=True, allow_redirects=False) as resp:
            if resp.is_redirect and resp.headers.get("Location"):
                target = urljoin(current, resp.headers["Location"])
                if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
                    raise FetchError(f"{url}: redirected from {current} to {target}, which "
                                     "leaves https; not followed")
                current = target
                continue
            return _response(url, resp, etag=etag, last_modified=last_modified,
                             max_bytes=max_bytes, deadline=deadline, timeout=timeout,
                             offline_hint=offline_hint)
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects; is this the right URL?")


def _remaining(url: str, timeout: tuple[float, float], deadline: float,
               offline_hint: bool) -> tuple[float, float]:
    """The (connect, read) timeouts, capped by what is left of the total deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _deadline_error(url, timeout, offline_hint)
    return (min(timeout[0], left), min(timeout[1], left))


def _deadline_error(url: str, timeout: tuple[float, float], offline_hint: bool) -> FetchError:
    total = timeout[0] + timeout[1]
    advice = "raise AWSIP_TIMEOUT" + (" or use --offline" if offline_hint else "")
    return FetchError(f"{url}: download not finished within {total:g} s (connect + read "
                      f"timeout) and abandoned; {advice}")


def _headers(requests_version: str, etag: str | None, last_modified: str | None
             ) -> dict[str, str]:
    """The request headers: who is asking, for JSON, conditional on the cached copy's validators."""
    from ..version import __version__

    headers = {
        "User-Agent": f"awsip/{__version__} (+https://pypi.org/project/awsip/) "
                      f"python-requests/{requests_version}",
        "Accept": "application/json",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _response(url: str, resp: requests.Response, *, etag: str | None, last_modified: str | None,
              max_bytes: int, deadline: float, timeout: tuple[float, float],
              offline_hint: bool) -> Response:
    """A 304 (keeping the validators sent when the server omits them) or a whole 200 body."""
    if resp.status_code == 304:
        return Response(304, b"", resp.headers.get("ETag") or etag,
                        resp.headers.get("Last-Modified") or last_modified, "")
    if resp.status_code != 200:
        raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason}; the server "
                         "did not return the document, try again later")
    body = _body(url, resp, max_bytes, deadline, timeout, offline_hint)
    return Response(200, body, resp.headers.get("ETag"), resp.headers.get("Last-Modified"),
                    resp.headers.get("Content-Type", ""))


def _body(url: str, resp: requests.Response, max_bytes: int, deadline: float,
          timeout: tuple[float, float], offline_hint: bool) -> bytes:
    """The streamed body, abandoned past ``max_bytes`` (announced or read) or past the deadline,
    and checked against the announced length when not content-encoded (a short read is an
    error, not data)."""
    declared = resp.headers.get("Content-Length", "")
    encoded = resp.headers.get("Content-Encoding", "identity") != "identity"
    if declared.isdigit() and int(declared) > max_bytes and not encoded:
        raise FetchError(f"{url}: the server announces {int(declared):,} bytes, more "
                         f"than the {max_bytes:,}-byte limit; is this the right URL?")
    body = bytearray()
    for chunk in _chunks(resp):
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(f"{url}: download exceeded the {max_bytes:,}-byte limit "
                             "and was abandoned; is this the right URL?")
        if time.monotonic() > deadline:
            raise _deadline_error(url, timeout, offline_hint)
    if declared.isdigit() and not encoded and len(body) != int(declared):
        raise FetchError(f"{url}: download cut short ({len(body):,} of "
                         f"{int(declared):,} bytes); try again")
    return bytes(body)


def _chunks(resp: requests.Response) -> Iterator[bytes]:
    """The decoded body, one socket read at a time (so the caller sees the clock between
    reads), with urllib3's errors as the requests exceptions :func:`_fetch_error` knows."""
    from requests import exceptions as rex
    from urllib3 import exceptions as uex

    raw = resp.raw
    # urllib3 >= 2 returns what one socket read gave; 1.26 (requests 2.28's) has no read1, and
    # its read(n) waits for n bytes: the caller's total deadline still holds, as it waits in
    # another thread (see download).
    read = getattr(raw, "read1", None) or raw.read
    while True:
        try:
            chunk = read(_READ_SIZE, decode_content=True)
        except uex.SSLError as exc:
            raise rex.SSLError(exc) from None
        except (uex.ReadTimeoutError, uex.TimeoutError) as exc:
            raise rex.ConnectionError(exc) from None
        except uex.DecodeError as exc:
            raise rex.ContentDecodingError(exc) from None
        except (uex.ProtocolError, uex.HTTPError) as exc:
            raise rex.ChunkedEncodingError(exc) from None
        if not chunk:
            return
        yield chunk


def _fetch_error(url: str, exc: requests.RequestException,
                 timeout: tuple[float, float], offline_hint: bool = True) -> FetchError:
    """The :class:`FetchError` for a failed request, saying what to do about it.

    The tests are in this order because the classes overlap: SSLError, ProxyError and
    ConnectTimeout are all ConnectionErrors, and ConnectTimeout is also a Timeout.
    """
    from requests import exceptions as rex

    offline = ", or use --offline" if offline_hint else ""
    if isinstance(exc, rex.SSLError):
        return FetchError(f"{url}: TLS verification failed ({_short(exc)}); behind an "
                          "intercepting proxy, point REQUESTS_CA_BUNDLE at its CA certificate")
    if isinstance(exc, rex.ProxyError):
        return FetchError(f"{url}: the proxy failed ({_short(exc)}); check HTTPS_PROXY / "
                          f"NO_PROXY{offline}")
    if isinstance(exc, rex.Timeout):
        return FetchError(f"{url}: no answer within {timeout[0]:g} s (connect) / "
                          f"{timeout[1]:g} s (read); raise AWSIP_TIMEOUT"
                          f"{offline.replace(', or', ' or')}")
    if isinstance(exc, rex.ConnectionError):
        if "IncompleteRead" in str(exc):  # urllib3 reports a short body this way on some paths
            return FetchError(f"{url}: download cut short ({exc}); try again")
        return FetchError(f"{url}: cannot connect ({_short(exc)}); check the network or proxy "
                          f"settings{offline}")
    if isinstance(exc, (rex.ChunkedEncodingError, rex.ContentDecodingError)):
        return FetchError(f"{url}: download cut short ({_short(exc)}); try again")
    return FetchError(f"{url}: request failed ({_short(exc)})")


def _short(exc: BaseException) -> str:
    """The root cause of a requests/urllib3 error, without the retry and pool wrapping."""
    cause: object = exc
    for _ in range(4):
        inner = cause.args[0] if isinstance(cause, Exception) and cause.args else None
        reason = getattr(inner, "reason", None) or getattr(cause, "reason", None)
        if isinstance(reason, Exception) and reason is not cause:
            cause = reason
        elif isinstance(cause, Exception) and len(cause.args) > 1 and isinstance(
                cause.args[-1], Exception):
            cause = cause.args[-1]  # ProxyError('Unable to connect to proxy', <the cause>)
        else:
            break
    text = str(cause)
    if text.startswith(("HTTPConnection(", "HTTPSConnection(", "<urllib3")) and "): " in text:
        text = text.split("): ", 1)[1]
    return text if len(text) <= 200 else text[:200] + "..."



__all__ = ["Response", "download"]
