"""Fixtures shared by the whole suite.

* Every test runs with ``AWSIP_CACHE_DIR`` pointing at its own empty temporary directory, with the
  other ``AWSIP_*`` variables unset, and with every proxy variable pointing at a dead port on
  loopback (``NO_PROXY`` exempts 127.0.0.1 and localhost): no test reads or writes the real user
  cache, and a stray fetch of AWS's URL fails at once instead of reaching the internet.
* ``publication``: the path of one of the real, gzipped publications in tests/data.
* ``ranges_server``: a real HTTP server on 127.0.0.1 whose replies a test scripts.
* ``spark``: one local[2] SparkSession per test process (skipped only without Java).
* ``moto_endpoint``: moto's server on 127.0.0.1 (a real S3 / CloudWatch Logs / EC2 API), one per
  test module; ``aws_test_credentials``: test credentials and nothing of the machine's AWS set-up.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from awsip import Ranges

DATA = Path(__file__).parent / "data"

#: Publications in tests/data, oldest first, by the stamp in their file name.
PUBLICATIONS = ("2025-03-10T135318", "2025-03-10T165320", "2026-03-27", "2026-08-22T115705",
                "2026-08-22T151705")

_AWSIP_VARS = ("AWSIP_URL", "AWSIP_OFFLINE", "AWSIP_MAX_AGE", "AWSIP_HISTORY", "AWSIP_TIMEOUT")
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
               "all_proxy")
DEAD_PROXY = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _isolated_awsip_env(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private empty cache dir, no AWSIP_* settings, no way out to the internet."""
    cache = tmp_path_factory.mktemp("awsip-cache")
    monkeypatch.setenv("AWSIP_CACHE_DIR", str(cache))
    for name in _AWSIP_VARS:
        monkeypatch.delenv(name, raising=False)
    for name in _PROXY_VARS:
        monkeypatch.setenv(name, DEAD_PROXY)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost,::1")
    return cache


@pytest.fixture
def cache_path(_isolated_awsip_env: Path) -> Path:
    """The test's private cache directory (also in ``AWSIP_CACHE_DIR``)."""
    return _isolated_awsip_env


@pytest.fixture
def publication() -> Callable[[str], Path]:
    """``publication("2026-03-27")`` -> path of tests/data/ip-ranges-2026-03-27.json.gz."""

    def path(stamp: str) -> Path:
        p = DATA / f"ip-ranges-{stamp}.json.gz"
        if not p.exists():
            raise LookupError(f"no publication {stamp!r} in {DATA}; have {PUBLICATIONS}")
        return p

    return path


def document(stamp: str) -> bytes:
    """The decompressed bytes of a publication in tests/data."""
    return gzip.decompress((DATA / f"ip-ranges-{stamp}.json.gz").read_bytes())


def sync_token(stamp: str) -> str:
    """The syncToken a publication in tests/data carries, read from the document itself."""
    return str(json.loads(document(stamp))["syncToken"])


@dataclass
class Reply:
    """One scripted response. ``truncate_to`` sends only that many body bytes (the declared
    Content-Length stays the full size) and closes; a ``Content-Length`` header of ``""`` sends
    none (the body then ends when the connection closes); ``delay`` sleeps before answering;
    ``conditional`` answers 304 when the request's If-None-Match equals this reply's ETag."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate_to: int | None = None
    conditional: bool = False


@dataclass
class Seen:
    """A request the server received."""

    path: str
    headers: dict[str, str]


class RangesServer:
    """A threaded HTTP/1.0 server on 127.0.0.1 serving scripted :class:`Reply` objects.

    Replies are consumed in order; the last one keeps being served. ``requests`` records what
    arrived. ``stop()`` closes the port, so the same URL then gives "connection refused".
    """

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner._answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_port
        scheme = "http"
        if tls is not None:  # (certificate, key): serve HTTPS
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}/ip-ranges.json"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self._running = True

    def serve(self, *replies: Reply) -> None:
        """Replace the script with ``replies``."""
        with self._lock:
            self.replies = list(replies)

    def _answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(Seen(handler.path, dict(handler.headers.items())))
            if not self.replies:
                reply = Reply(b"no reply scripted", 599)
            elif len(self.replies) > 1:
                reply = self.replies.pop(0)
            else:
                reply = self.replies[0]
        if reply.delay:
            time.sleep(reply.delay)
        headers = dict(reply.headers)
        if reply.conditional and headers.get("ETag") and \
                handler.headers.get("If-None-Match") == headers["ETag"]:
            handler.send_response(304)
            for k, v in headers.items():
                handler.send_header(k, v)
            handler.end_headers()
            return
        handler.send_response(reply.status)
        headers.setdefault("Content-Type", "application/json")
        headers.setdefault("Content-Length", str(len(reply.body)))
        if headers["Content-Length"] == "":  # "" means: send no Content-Length at all
            del headers["Content-Length"]
        for k, v in headers.items():
            handler.send_header(k, v)
        handler.end_headers()
        body = reply.body if reply.truncate_to is None else reply.body[:reply.truncate_to]
        try:
            handler.wfile.write(body)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        handler.close_connection = True

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._httpd.shutdown()
            self._httpd.server_close()


@pytest.fixture
def ranges_server() -> Iterator[RangesServer]:
    """A scripted HTTP server on loopback; see :class:`RangesServer`."""
    server = RangesServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def self_signed_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(certificate, key) of a throw-away self-signed certificate for 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_ranges_server(self_signed_cert: tuple[Path, Path]) -> Iterator[RangesServer]:
    """Like ``ranges_server`` but HTTPS, with :func:`self_signed_cert` (not trusted by default)."""
    server = RangesServer(tls=self_signed_cert)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def doc() -> dict[str, Any]:
    """The newest publication (the bundled one) as parsed JSON; treat it as read-only."""
    from oracle import NEWEST, load_document

    return load_document(NEWEST)


@pytest.fixture(scope="session")
def ranges(doc: dict[str, Any]) -> Ranges:
    """:class:`Ranges` of the newest publication, parsed once for the whole session."""
    return Ranges.from_json(doc)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """The URL of moto's server on 127.0.0.1, started for the test module and stopped after."""
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_test_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials for moto only: no profile, config file, region or instance metadata of the
    machine can leak into a test."""
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        return str(Path(home, "bin", "java"))
    return shutil.which("java")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] SparkSession per test process (a process holds one SparkContext), shared by
    tests/test_spark.py and tests/test_sql.py: workers on this Python, quiet, small batches
    (several per partition, so the shipped index is used across batches). Skipped, with the
    reason printed, only when no Java runtime is present."""
    if _java() is None:
        reason = "no Java runtime (java on PATH or JAVA_HOME): Spark tests skipped"
        print(reason, file=sys.stderr)
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("awsip-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.pyspark.python", sys.executable)
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "4096")
               # the s3:// test's moto server takes any key; never the machine's credentials
               .config("spark.executorEnv.AWS_ACCESS_KEY_ID", "testing")
               .config("spark.executorEnv.AWS_SECRET_ACCESS_KEY", "testing")
               .config("spark.executorEnv.AWS_EC2_METADATA_DISABLED", "true")
               .config("spark.driver.extraJavaOptions", "-Dlog4j2.rootLogger.level=ERROR")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
