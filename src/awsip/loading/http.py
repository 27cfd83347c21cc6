"""One HTTP GET of ip-ranges.json, conditional when a cached copy exists, with every failure
turned into a :class:`~awsip.errors.FetchError` that says what to do.

Through :mod:`requests` (imported only here, only when fetching): TLS verified, the environment's
proxies and CA bundle honoured, ``User-Agent: awsip/<version>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import FetchError

if TYPE_CHECKING:
    import requests


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str


def download(url: str, *, etag: str | None, last_modified: str | None,
              timeout: tuple[float, float], max_bytes: int) -> Response:
    """One (conditional) GET; raise :class:`FetchError` saying what went wrong and what to do."""
    import requests

    headers = _headers(requests.__version__, etag, last_modified)
    try:
        # trust_env (the default): proxies and the CA bundle come from the environment.
        with requests.Session() as session, session.get(
                url, headers=headers, timeout=timeout, stream=True, verify=True) as resp:
            return _response(url, resp, etag=etag, last_modified=last_modified,
                             max_bytes=max_bytes)
    except requests.exceptions.RequestException as exc:
        raise _fetch_error(url, exc, timeout) from None


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
              max_bytes: int) -> Response:
    """A 304 (keeping the validators sent when the server omits them) or a whole 200 body."""
    if resp.status_code == 304:
        return Response(304, b"", resp.headers.get("ETag") or etag,
                         resp.headers.get("Last-Modified") or last_modified, "")
    if resp.status_code != 200:
        raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason}; the server "
                         "did not return the document, try again later")
    body = _body(url, resp, max_bytes)
    return Response(200, body, resp.headers.get("ETag"), resp.headers.get("Last-Modified"),
                    resp.headers.get("Content-Type", ""))


def _body(url: str, resp: requests.Response, max_bytes: int) -> bytes:
    """The streamed body, abandoned past ``max_bytes`` (announced or read) and checked against
    the announced length when not content-encoded (a short read is an error, not data)."""
    declared = resp.headers.get("Content-Length", "")
    encoded = resp.headers.get("Content-Encoding", "identity") != "identity"
    if declared.isdigit() and int(declared) > max_bytes and not encoded:
        raise FetchError(f"{url}: the server announces {int(declared):,} bytes, more "
                         f"than the {max_bytes:,}-byte limit; is this the right URL?")
    body = bytearray()
    for chunk in resp.iter_content(64 * 1024):
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(f"{url}: download exceeded the {max_bytes:,}-byte limit "
                             "and was abandoned; is this the right URL?")
    if declared.isdigit() and not encoded and len(body) != int(declared):
        raise FetchError(f"{url}: download cut short ({len(body):,} of "
                         f"{int(declared):,} bytes); try again")
    return bytes(body)


def _fetch_error(url: str, exc: requests.RequestException,
                 timeout: tuple[float, float]) -> FetchError:
    """The :class:`FetchError` for a failed request, saying what to do about it.

    The tests are in this order because the classes overlap: SSLError, ProxyError and
    ConnectTimeout are all ConnectionErrors, and ConnectTimeout is also a Timeout.
    """
    from requests import exceptions as rex

    if isinstance(exc, rex.SSLError):
        return FetchError(f"{url}: TLS verification failed ({_short(exc)}); behind an "
                          "intercepting proxy, point REQUESTS_CA_BUNDLE at its CA certificate")
    if isinstance(exc, rex.ProxyError):
        return FetchError(f"{url}: the proxy failed ({_short(exc)}); check HTTPS_PROXY / "
                          "NO_PROXY, or use --offline")
    if isinstance(exc, rex.Timeout):
        return FetchError(f"{url}: no answer within {timeout[0]:g} s (connect) / "
                          f"{timeout[1]:g} s (read); raise AWSIP_TIMEOUT or use --offline")
    if isinstance(exc, rex.ConnectionError):
        if "IncompleteRead" in str(exc):  # urllib3 reports a short body this way on some paths
            return FetchError(f"{url}: download cut short ({exc}); try again")
        return FetchError(f"{url}: cannot connect ({_short(exc)}); check the network or proxy "
                          "settings, or use --offline")
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
