"""`awsip update`, `awsip info` and `awsip history` as a user runs them, against a local server."""

from __future__ import annotations

import json

import pytest

from awsip.cli import main
from conftest import RangesServer, Reply, document, sync_token

OLD, NEW = "2026-03-27", "2026-08-22T151705"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_update_says_what_changed_then_that_nothing_did(
        ranges_server: RangesServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWSIP_URL", ranges_server.url)
    ranges_server.serve(Reply(document(OLD)))
    status, out, _ = cli(capsys, "update")
    assert status == 0 and f"cached syncToken {sync_token(OLD)}" in out

    ranges_server.serve(Reply(document(NEW)))
    status, out, _ = cli(capsys, "update")
    assert status == 0
    assert f"updated: syncToken {sync_token(OLD)} -> {sync_token(NEW)}" in out
    assert "IPv4 10,011 -> 10,668 (+657)" in out

    ranges_server.serve(Reply(document(NEW), headers={"ETag": '"v2"'}, conditional=True))
    cli(capsys, "update")
    status, out, _ = cli(capsys, "update", "--json")
    result = json.loads(out)
    assert status == 0
    assert (result["changed"], result["new"]["sync_token"]) == (False, sync_token(NEW))


def test_update_failure_exits_1_and_keeps_the_cache(
        ranges_server: RangesServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWSIP_URL", ranges_server.url)
    ranges_server.serve(Reply(document(NEW)))
    cli(capsys, "update")
    ranges_server.serve(Reply(b"<html>captive portal</html>",
                              headers={"Content-Type": "text/html"}))
    status, _, err = cli(capsys, "update")
    assert status == 1 and "awsip: error:" in err
    status, out, _ = cli(capsys, "info", "--json", "--offline")
    assert status == 0 and json.loads(out)["sync_token"] == sync_token(NEW)


def test_info_reports_source_token_age_and_counts(
        ranges_server: RangesServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWSIP_URL", ranges_server.url)
    ranges_server.serve(Reply(document(NEW)))
    status, out, _ = cli(capsys, "info", "--json")
    info = json.loads(out)
    assert status == 0
    assert (info["source"], info["sync_token"]) == ("network", sync_token(NEW))
    assert (info["ipv4_prefixes"], info["ipv6_prefixes"]) == (10_668, 6_160)
    assert info["age_seconds"] > 0
    status, out, _ = cli(capsys, "info")
    assert "source:      cache" in out and "10,668 IPv4, 6,160 IPv6" in out


def test_history_lists_kept_publications_oldest_first(
        publication: object, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "history")
    assert status == 0 and "history is empty" in out
    for stamp in (NEW, OLD):  # imported out of order: listed by createDate
        assert main(["update", "--ranges", str(publication(stamp))]) == 0  # type: ignore[operator]
    capsys.readouterr()
    status, out, _ = cli(capsys, "history", "--json")
    items = json.loads(out)
    assert [i["sync_token"] for i in items] == [sync_token(OLD), sync_token(NEW)]
    assert items[0]["ipv4"] == 10_011
    status, out, _ = cli(capsys, "history")
    assert out.splitlines()[1].startswith(sync_token(OLD))
