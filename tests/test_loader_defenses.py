"""The loader's defences (issue 11, "Trust at the edges"): redirects that leave https, a total
deadline per download, a word while waiting, plausibility checks before anything is replaced,
files that are not files, damaged history entries, and messages that fit the command.

Every network test talks to a real server on 127.0.0.1 started here or by the conftest.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from awsip import loading
from awsip.errors import (
    AwsipError,
    BundledRangesWarning,
    FetchError,
    HistoryError,
    RangesError,
    RangesWarning,
)
from awsip.loading import http, plausibility
from awsip.loading.cache import Cache
from awsip.ranges import Ranges
from conftest import RangesServer, Reply, document, sync_token

OLD, NEW = "2026-03-27", "2026-08-22T151705"


def _doc(stamp: str = NEW) -> dict[str, Any]:
    return json.loads(document(stamp))


def _bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def _cached_token(cache: Path, url: str) -> str | None:
    meta = Cache(cache).slot(url).read_meta()
    return None if meta is None else meta.sync_token


def _one_warning(record: list[warnings.WarningMessage], kind: type[Warning]) -> str:
    texts = [str(w.message) for w in record if issubclass(w.category, kind)]
    assert len(texts) == 1, texts
    assert "\n" not in texts[0]
    return texts[0]


# --------------------------------------------------------------------------- 1. redirects
def test_a_redirect_from_https_to_http_is_refused_and_the_bundled_copy_answers(
        tls_ranges_server: RangesServer, ranges_server: RangesServer,
        self_signed_cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(self_signed_cert[0]))
    monkeypatch.setenv("AWSIP_URL", tls_ranges_server.url)
    ranges_server.serve(Reply(document(OLD)))
    tls_ranges_server.serve(Reply(b"", 301, headers={"Location": ranges_server.url}))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = loading.load_ranges()
    text = _one_warning(record, BundledRangesWarning)
    assert f"to {ranges_server.url}, which leaves https; not followed" in text
    assert got.origin.kind == "bundled"
    assert ranges_server.requests == []  # the http URL was never asked
    with pytest.raises(FetchError, match="leaves https"):
        loading.update(tls_ranges_server.url)


def test_a_redirect_that_stays_on_https_is_followed(
        tls_ranges_server: RangesServer, self_signed_cert: tuple[Path, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(self_signed_cert[0]))
    moved = tls_ranges_server.url + "?moved"
    tls_ranges_server.serve(Reply(b"", 302, headers={"Location": moved}),
                            Reply(document(OLD)))
    got = loading.load_ranges(tls_ranges_server.url)
    assert got.sync_token == sync_token(OLD)
    assert [r.path for r in tls_ranges_server.requests] == ["/ip-ranges.json",
                                                            "/ip-ranges.json?moved"]


# --------------------------------------------------------------------------- 2. deadline
class _TrickleServer:
    """Serves the whole document while ``mode`` is "full"; in mode "body" it sends the headers
    and then the body one byte per 0.05 s, in mode "headers" it sends the status line and then
    a header one byte per 0.05 s (until the client goes away or ``stop``)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.mode = "full"
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/ip-ranges.json"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            head = (f"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(self.body)}\r\n\r\n").encode()
            try:
                if self.mode == "full":
                    conn.sendall(head + self.body)
                    return
                drip = self.body
                if self.mode == "headers":
                    conn.sendall(b"HTTP/1.0 200 OK\r\nX-Padding: ")
                    drip = b"a" * 60_000
                else:
                    conn.sendall(head)
                for byte in drip:
                    if self._stop.wait(0.05):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()


@pytest.fixture
def trickle_server() -> Iterator[_TrickleServer]:
    server = _TrickleServer(document(OLD))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A URL whose server accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/ip-ranges.json"
    finally:
        sock.close()


@pytest.mark.parametrize("mode", ["body", "headers"])
def test_a_server_that_trickles_is_abandoned_at_the_total_deadline_and_the_cache_answers(
        mode: str, trickle_server: _TrickleServer, cache_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = loading.load_ranges(trickle_server.url)
    assert first.origin.kind == "network"
    trickle_server.mode = mode
    monkeypatch.setenv("AWSIP_TIMEOUT", "0.5")  # each byte arrives well within the read timeout
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = loading.load_ranges(trickle_server.url, max_age=0)
    text = _one_warning(record, RangesWarning)
    assert "download not finished within 1 s (connect + read timeout) and abandoned" in text
    assert "using the cached copy" in text
    assert got.origin.kind == "cache" and got.sync_token == sync_token(OLD)
    assert _cached_token(cache_path, trickle_server.url) == sync_token(OLD)


def test_a_server_that_never_answers_is_abandoned_by_the_timeout(
        silent_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSIP_URL", silent_server)
    monkeypatch.setenv("AWSIP_TIMEOUT", "0.3")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = loading.load_ranges()
    assert "no answer within 0.3 s" in _one_warning(record, BundledRangesWarning)
    assert got.origin.kind == "bundled"


# --------------------------------------------------------------------------- 3. waiting notice
@pytest.mark.parametrize("terminal", [True, False])
def test_a_long_wait_says_what_awsip_waits_for_on_a_terminal(
        terminal: bool, ranges_server: RangesServer, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "WAIT_NOTICE_AFTER", 0.05)
    monkeypatch.setattr(http, "_stderr_is_terminal", lambda: terminal)
    ranges_server.serve(Reply(document(OLD), delay=0.6))
    loading.load_ranges(ranges_server.url)
    err = capsys.readouterr().err
    if terminal:
        assert err == (f"awsip: waiting for {ranges_server.url}; --offline "
                       "(or AWSIP_OFFLINE=1) skips it\n")
    else:
        assert err == ""


def test_the_waiting_notice_of_update_does_not_offer_offline(
        ranges_server: RangesServer, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "WAIT_NOTICE_AFTER", 0.05)
    monkeypatch.setattr(http, "_stderr_is_terminal", lambda: True)
    ranges_server.serve(Reply(document(OLD), delay=0.6))
    loading.update(ranges_server.url)
    assert capsys.readouterr().err == f"awsip: waiting for {ranges_server.url}\n"


def test_a_quick_answer_prints_nothing(ranges_server: RangesServer,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "_stderr_is_terminal", lambda: True)
    ranges_server.serve(Reply(document(OLD)))
    loading.load_ranges(ranges_server.url)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- 4. plausibility
@pytest.mark.parametrize("token", ["¹²³", "1" * 5000, "12a", "", "1" * 21, -5, 10 ** 25,
                                   int("9" * 4000)])
def test_an_insane_sync_token_is_a_ranges_error(token: object) -> None:
    doc = _doc()
    doc["syncToken"] = token
    with pytest.raises(RangesError, match="syncToken") as caught:
        Ranges.from_json(_bytes(doc))
    assert type(caught.value) is RangesError


def test_a_sync_token_too_long_for_int_conversion_in_the_json_is_a_ranges_error() -> None:
    raw = b'{"syncToken": ' + b"7" * 5000 + b', "createDate": "2026-01-01-00-00-00"}'
    with pytest.raises(RangesError) as caught:
        Ranges.from_json(raw)
    assert type(caught.value) is RangesError


@pytest.mark.parametrize("raw", [b"[" * 200_000, b'{"a": ' * 200_000])
def test_deeply_nested_json_is_a_ranges_error_not_a_recursion_error(raw: bytes) -> None:
    with pytest.raises(RangesError, match="nested too deeply"):
        Ranges.from_json(raw)


def test_the_plausibility_rules_as_pure_functions(ranges: Ranges) -> None:
    now = datetime.now(timezone.utc)
    assert plausibility.problems(ranges, ranges, now=now) == []
    doc = _doc()
    doc["createDate"] = (now + timedelta(days=3)).strftime("%Y-%m-%d-%H-%M-%S")
    assert "lies in the future" in plausibility.problems(Ranges.from_json(doc), ranges,
                                                         now=now)[0]
    doc["createDate"] = (now + timedelta(hours=12)).strftime("%Y-%m-%d-%H-%M-%S")
    assert plausibility.problems(Ranges.from_json(doc), ranges, now=now) == []
    huge = _doc()
    huge["prefixes"].append({"ip_prefix": "0.0.0.0/0", "region": "GLOBAL", "service": "AMAZON",
                             "network_border_group": "GLOBAL"})
    wide = Ranges.from_json(huge)
    assert "0.0.0.0/0 (AMAZON) is shorter than /8" in plausibility.prefix_problem(wide, ranges)
    assert plausibility.prefix_problem(wide, wide) is None  # already current: accepted
    assert plausibility.prefix_problem(wide, None) is not None
    few = _doc()
    few["ipv6_prefixes"] = few["ipv6_prefixes"][:len(few["ipv6_prefixes"]) // 5]
    text = plausibility.count_problem(Ranges.from_json(few), ranges)
    assert text is not None and "IPv6 prefixes where the current publication" in text
    assert plausibility.count_problem(Ranges.from_json(few), None) is None
    assert plausibility.older_than(ranges, str(int(ranges.sync_token) + 1)) is not None
    assert plausibility.older_than(ranges, ranges.sync_token) is None
    assert plausibility.sync_token_problem("¹²³") is not None


def _with_ipv6_default_route(doc: dict[str, Any]) -> dict[str, Any]:
    doc["ipv6_prefixes"].append({"ipv6_prefix": "::/0", "region": "GLOBAL", "service": "AMAZON",
                                 "network_border_group": "GLOBAL"})
    return doc


def _future(doc: dict[str, Any]) -> dict[str, Any]:
    doc["createDate"] = "2099-01-01-00-00-00"
    return doc


def _tenth_of_ipv4(doc: dict[str, Any]) -> dict[str, Any]:
    doc["prefixes"] = doc["prefixes"][::10]
    return doc


def _newer(doc: dict[str, Any]) -> dict[str, Any]:
    doc["syncToken"] = str(int(doc["syncToken"]) + 60)
    return doc


@pytest.mark.parametrize(("spoil", "reason"), [
    (lambda d: _with_ipv6_default_route(_newer(d)), "prefix ::/0 (AMAZON) is shorter than /10"),
    (lambda d: _future(_newer(d)), "createDate 2099-01-01 00:00:00 UTC lies in the future"),
    (lambda d: _tenth_of_ipv4(_newer(d)), "1,067 IPv4 prefixes where the current publication"),
])
def test_an_implausible_download_never_replaces_the_cached_copy(
        spoil: Any, reason: str, ranges_server: RangesServer, cache_path: Path) -> None:
    ranges_server.serve(Reply(document(NEW)))
    loading.load_ranges(ranges_server.url)
    ranges_server.serve(Reply(_bytes(spoil(_doc(NEW)))))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = loading.load_ranges(ranges_server.url, max_age=0)
    text = _one_warning(record, RangesWarning)
    assert f"{ranges_server.url}: rejected: {reason}" in text
    assert got.origin.kind == "cache" and got.sync_token == sync_token(NEW)
    assert _cached_token(cache_path, ranges_server.url) == sync_token(NEW)
    with pytest.raises(RangesError, match="rejected"):
        loading.update(ranges_server.url)


def test_on_a_cold_cache_the_bundled_snapshot_is_the_reference(
        ranges_server: RangesServer, monkeypatch: pytest.MonkeyPatch, cache_path: Path) -> None:
    monkeypatch.setenv("AWSIP_URL", ranges_server.url)
    ranges_server.serve(Reply(_bytes(_tenth_of_ipv4(_doc(NEW)))))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = loading.load_ranges()
    assert "IPv4 prefixes where the current publication" in _one_warning(
        record, BundledRangesWarning)
    assert got.origin.kind == "bundled"
    assert _cached_token(cache_path, ranges_server.url) is None


def test_a_deeply_nested_download_is_a_warning_and_the_cache_keeps_its_copy(
        ranges_server: RangesServer, cache_path: Path) -> None:
    ranges_server.serve(Reply(document(OLD)))
    loading.load_ranges(ranges_server.url)
    ranges_server.serve(Reply(b"[" * 200_000))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = loading.load_ranges(ranges_server.url, max_age=0)
    assert "nested too deeply" in _one_warning(record, RangesWarning)
    assert got.sync_token == sync_token(OLD)


def test_a_publication_older_than_the_history_is_not_adopted_on_a_cold_cache(
        ranges_server: RangesServer, publication: Any, cache_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    loading.update(str(publication(NEW)))  # the history now holds NEW; no current copy
    monkeypatch.setenv("AWSIP_URL", ranges_server.url)
    ranges_server.serve(Reply(document(OLD)))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = loading.load_ranges()
    text = _one_warning(record, BundledRangesWarning)
    assert (f"syncToken {sync_token(OLD)}" in text
            and f"older than {sync_token(NEW)}, the newest already seen" in text)
    assert got.origin.kind == "bundled"
    assert _cached_token(cache_path, ranges_server.url) is None
    with pytest.raises(RangesError, match="newest already seen"):
        loading.update(ranges_server.url)


# --------------------------------------------------------------------------- 5. files, CA bundle
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "ranges.json"
    os.mkfifo(fifo)
    with pytest.raises(FetchError, match="not a regular file"):
        loading.load_ranges(str(fifo))


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused() -> None:
    with pytest.raises(FetchError, match="/dev/zero: not a regular file"):
        loading.load_ranges("/dev/zero")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="a directory"):
        loading.load_file(tmp_path)
    with pytest.raises(FetchError, match="a directory"):
        loading.update(str(tmp_path))


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(loading.MAX_DOCUMENT_BYTES + 1)  # sparse: nothing to read
    with pytest.raises(RangesError, match="more than the 67,108,864-byte limit"):
        loading.load_ranges(str(big))


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_missing_ca_bundle_is_a_one_line_fetch_error_naming_it(
        variable: str, ranges_server: RangesServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    missing = tmp_path / "no-such-ca.pem"
    monkeypatch.setenv(variable, str(missing))
    ranges_server.serve(Reply(document(OLD)))
    with pytest.raises(FetchError) as caught:
        loading.load_ranges(ranges_server.url)
    assert f"{variable}='{missing}': no such file" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert ranges_server.requests == []


# --------------------------------------------------------------------------- 6. history
@pytest.fixture
def kept(publication: Any, cache_path: Path) -> dict[str, Path]:
    """Two publications imported into the history: syncToken -> data file."""
    for stamp in (OLD, NEW):
        loading.update(str(publication(stamp)))
    return {i.sync_token: i.path for i in loading.list_history()}


def _damage(path: Path, how: str) -> None:
    if how == "truncated gzip":
        path.write_bytes(path.read_bytes()[:5000])
    elif how == "garbled json":
        path.write_bytes(gzip.compress(b'{"syncToken": "' + path.name.split(".")[0].encode()
                                       + b'", "createDate": ['))
    elif how == "a directory":
        path.unlink()
        path.mkdir()
    elif how == "garbled meta":
        path.with_name(path.name.replace(".json.gz", ".meta.json")).write_text("{oops")


@pytest.mark.parametrize("how", ["truncated gzip", "garbled json", "a directory",
                                 "garbled meta"])
def test_a_damaged_history_entry_is_reported_moved_aside_and_never_used(
        how: str, kept: dict[str, Path], cache_path: Path) -> None:
    token = sync_token(OLD)
    _damage(kept[token], how)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        listed = [i.sync_token for i in loading.list_history()]
    text = _one_warning(record, RangesWarning)
    assert f"history entry {token} in" in text and "moved aside" in text
    assert listed == [sync_token(NEW)]
    damaged = cache_path / "history" / "damaged"
    assert sorted(p.name for p in damaged.iterdir()) == [f"{token}.json.gz",
                                                         f"{token}.meta.json"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [i.sync_token for i in loading.list_history()] == [sync_token(NEW)]
        with pytest.raises(HistoryError, match=f"syncToken {token} is not in the history"):
            loading.load_history_entry(token)


def test_a_history_entry_damaged_inside_is_moved_aside_when_loaded(
        kept: dict[str, Path], cache_path: Path) -> None:
    token = sync_token(OLD)
    doc = _doc(OLD)
    doc["prefixes"][3]["ip_prefix"] = "not a prefix"
    kept[token].write_bytes(gzip.compress(_bytes(doc)))
    with pytest.warns(RangesWarning, match="damaged"), \
            pytest.raises(HistoryError, match="moved aside"):
        loading.load_history_entry(token)
    assert not kept[token].exists()
    assert (cache_path / "history" / "damaged" / f"{token}.json.gz").exists()
    assert [i.sync_token for i in loading.list_history()] == [sync_token(NEW)]


# --------------------------------------------------------------------------- 7. messages
def test_update_never_suggests_an_option_it_does_not_have(
        ranges_server: RangesServer, silent_server: str, cache_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = ranges_server.url
    ranges_server.stop()  # connection refused from now on
    with pytest.raises(FetchError) as refused:
        loading.update(url)
    monkeypatch.setenv("AWSIP_TIMEOUT", "0.3")
    with pytest.raises(FetchError) as timed_out:
        loading.update(silent_server)
    for caught in (refused, timed_out):
        assert "offline" not in str(caught.value)
    with pytest.warns(RangesWarning, match="use --offline"):
        monkeypatch.setenv("AWSIP_URL", url)  # the commands that load ranges have --offline
        loading.load_ranges(cache_dir=cache_path / "elsewhere")


def test_the_cli_update_error_names_no_missing_option(
        ranges_server: RangesServer, capsys: pytest.CaptureFixture[str]) -> None:
    from awsip.cli import main

    url = ranges_server.url
    ranges_server.stop()
    status = main(["update", "--ranges", url])
    err = capsys.readouterr().err
    assert status != 0 and "cannot connect" in err
    assert "--offline" not in err


def test_every_defence_fails_as_an_awsip_error() -> None:
    for raw in (b"[" * 100_000, b'{"syncToken": "\xc2\xb9\xc2\xb2"}', b"\xff\xfe",
                b'{"syncToken": ' + b"1" * 5000 + b"}"):
        with pytest.raises(AwsipError):
            Ranges.from_json(raw)


def test_the_waiting_notice_timer_is_gone_after_the_download(
        ranges_server: RangesServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ranges_server.serve(Reply(document(OLD)))
    loading.load_ranges(ranges_server.url)
    deadline = time.monotonic() + 10  # generous: the cancelled timer thread winds down
    while any(isinstance(t, threading.Timer) and t.is_alive() for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
