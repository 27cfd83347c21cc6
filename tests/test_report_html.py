"""The HTML report: self-contained, its figures the report's, its charts drawn from the hourly
groups, and rendered by headless Chromium (skipped, with the reason, when it is not installed)."""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import awsip
from awsip.advice.report import Report
from awsip.output.report import render
from awsip.output.svg import PALETTE, series
from awsip.units import human_bytes
from test_report import NAT_IP, RANGES, T0, nat_connection, table

S3, INTERNET = "52.216.58.42", "8.8.8.8"  # S3 us-east-1, and a peer outside AWS
HOURS = 30
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)


def s3_down(h: int) -> int:
    return 40_000 * (h % 5 + 1)


def traffic() -> tuple[list[dict[str, Any]], dict[tuple[datetime, str], int]]:
    """Rows of 30 hours through the NAT (S3 and an internet host), and the NAT's bytes per
    (hour, service) computed here: the public leg, up + down, once."""
    rows: list[dict[str, Any]] = []
    expect: dict[tuple[datetime, str], int] = {}
    for h in range(HOURS):
        start = T0 + timedelta(hours=h, minutes=3)
        for peer, service, up, down in ((S3, "S3", 100, s3_down(h)),
                                        (INTERNET, "INTERNET", 3_000, 20_000)):
            rows += [dict(r, start=start, end=start + timedelta(minutes=5))
                     for r in nat_connection(peer, up, down)]
            key = (T0 + timedelta(hours=h), service)
            expect[key] = expect.get(key, 0) + up + down
    return rows, expect


@pytest.fixture(scope="module")
def report() -> Report:
    rows, _ = traffic()
    return awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP], hourly=True)


@pytest.fixture(scope="module")
def page(report: Report) -> str:
    return render(report, "html")


def test_html_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    # Nothing the browser would fetch: no src/href attributes, no CSS url() or @import.
    assert re.findall(r"\b(?:src|href)\s*=", page, re.IGNORECASE) == []
    assert "url(" not in page and "@import" not in page
    assert "default-src 'none'" in page  # and the page forbids it anyway


def test_html_states_the_nat_figures_of_the_report(page: str) -> None:
    _, expect = traffic()
    total = sum(expect.values())
    s3 = sum(b for (_h, s), b in expect.items() if s == "S3")
    day1 = sum(b for (h, _s), b in expect.items() if h.date() == T0.date())
    assert f"<b>{human_bytes(total)}</b> processed" in page
    assert f"<td>S3</td><td>us-east-1</td><td class=\"n\">{human_bytes(s3)}</td>" in page
    assert (f"<td>{T0.date().isoformat()}</td><td class=\"n\">{human_bytes(day1)}</td>"
            in page)
    assert "<td>10.0.1.23</td>" in page  # the inside source behind the NAT


def test_chart_series_are_the_nat_bytes_per_hour_and_service(report: Report) -> None:
    _, expect = traffic()
    assert report.hourly is not None
    slots, data, step = series(report.hourly.to_pylist(), "service")
    assert step == timedelta(hours=1) and len(slots) == HOURS
    assert {(slot, name): data[name][i] for name in data for i, slot in enumerate(slots)} \
        == expect
    assert list(data) == ["S3", "INTERNET"]  # biggest first, colours in that order


def test_chart_bars_are_one_per_hour_and_service_with_their_bytes(page: str) -> None:
    _, expect = traffic()
    titles = re.findall(r'<rect class="bar"[^>]*fill="(#[0-9a-f]{6})"><title>(\w+) '
                        r"([0-9-]+ [0-9:]+) UTC: ([^<]+)</title>", page)
    assert len(titles) == len(expect)
    colour = {"S3": PALETTE[0], "INTERNET": PALETTE[1]}
    for fill, service, hour, shown in titles:
        when = datetime.strptime(hour, "%Y-%m-%d %H:%M").replace(tzinfo=T0.tzinfo)
        assert fill == colour[service]
        assert shown == human_bytes(expect[(when, service)])


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND",
         f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True, timeout=120, check=False)


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run "
    "installs it): the HTML report is not rendered in a browser")


@needs_chromium
def test_chromium_renders_the_page_with_its_text_and_charts(page: str, tmp_path: Path) -> None:
    _, expect = traffic()
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    dom = _chromium(["--dump-dom", path.as_uri()], tmp_path)
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    text = dom.stdout.decode("utf-8")
    assert "<h1>awsip report</h1>" in text
    assert f"NAT gateway {NAT_IP}: <b>{human_bytes(sum(expect.values()))}</b>" in text
    # A bar per hour and service, then one per hour for the one inside source (10.0.1.23).
    assert len(re.findall(r'<rect class="bar"', text)) == len(expect) + HOURS
    assert "NAT bytes processed per hour by peer service" in text
    assert "NAT bytes processed per hour by inside source" in text

    shot = tmp_path / "shot.png"
    done = _chromium([f"--screenshot={shot}", "--window-size=1000,1600", "--hide-scrollbars",
                      path.as_uri()], tmp_path)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (width, height) == (1000, 1600)
    image = pytest.importorskip("PIL.Image").open(shot).convert("RGB")
    counts = dict((rgb, n) for n, rgb in image.getcolors(width * height))
    for hex_colour in PALETTE[:2]:  # the bars of both series are on screen
        rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        assert counts.get(rgb, 0) > 500, hex_colour


def test_a_chart_per_inside_source_when_the_report_has_hourly_bytes_by_source(
        report: Report) -> None:
    import pyarrow as pa

    hour = T0.replace(hour=5)
    by_source = pa.table({"hour": [hour, hour, hour + timedelta(hours=2)],
                          "address": ["10.0.1.23", "10.0.2.40", "10.0.1.23"],
                          "bytes": [7_000, 3_000, 11_000]})
    before, report.hourly_by_inside = report.hourly_by_inside, by_source
    try:
        page = render(report, "html")
    finally:
        report.hourly_by_inside = before
    chart = page[page.index("per hour by inside source"):]
    bars = re.findall(r"<title>([0-9.]+) ([0-9-]+ [0-9:]+) UTC: ([^<]+)</title>", chart)
    assert bars == [("10.0.1.23", "2026-03-21 05:00", human_bytes(7_000)),
                    ("10.0.2.40", "2026-03-21 05:00", human_bytes(3_000)),
                    ("10.0.1.23", "2026-03-21 07:00", human_bytes(11_000))]


def test_recommendation_commands_keep_their_lines(report: Report, page: str) -> None:
    commands = report.recommendations[0].commands
    assert commands, "the S3 recommendation carries its aws cli and terraform commands"
    block = re.search(r"<pre>(.*?)</pre>", page, re.DOTALL)
    assert block is not None
    assert block.group(1) == html.escape("\n\n".join(commands), quote=True)
    assert "\\x0a" not in page
