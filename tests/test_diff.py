"""Diffing publications: the real pairs in tests/data against plain set arithmetic, `awsip diff`."""

from __future__ import annotations

import functools
import gzip
import ipaddress
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from awsip import Ranges
from awsip.cli import main
from awsip.ranges.diff import RangesDiff
from oracle import DATA

Tag = tuple[str, str, str, str]  # (prefix, service, region, border group)

PAIRS = [("2026-08-22T115705", "2026-08-22T151705"),
         ("2025-03-10T135318", "2025-03-10T165320"),
         ("2026-03-27", "2026-08-22T151705")]


def path(name: str) -> Path:
    return DATA / f"ip-ranges-{name}.json.gz"


@functools.cache
def load(name: str) -> Ranges:
    return Ranges.from_json(gzip.decompress(path(name).read_bytes()))


@functools.cache
def tags(name: str) -> frozenset[Tag]:
    """Every entry as a tuple, straight from the JSON (prefixes canonicalised by ipaddress)."""
    doc = json.loads(gzip.decompress(path(name).read_bytes()))
    return frozenset((str(ipaddress.ip_network(i.get("ip_prefix") or i["ipv6_prefix"])),
                      i["service"], i["region"], i["network_border_group"])
                     for i in doc["prefixes"] + doc["ipv6_prefixes"])


def by_prefix(entries: frozenset[Tag]) -> dict[str, set[Tag]]:
    out: dict[str, set[Tag]] = defaultdict(set)
    for t in entries:
        out[t[0]].add(t)
    return out


def expected(old: str, new: str) -> tuple[set[Tag], set[Tag], dict[str, tuple[set[Tag], ...]]]:
    """Independent answer: added, removed entries and changed prefixes with before/after."""
    a, b = by_prefix(tags(old)), by_prefix(tags(new))
    added = {t for p in b.keys() - a.keys() for t in b[p]}
    removed = {t for p in a.keys() - b.keys() for t in a[p]}
    changed = {p: (a[p], b[p]) for p in a.keys() & b.keys() if a[p] != b[p]}
    return added, removed, changed


def as_tuples(entries: Any) -> set[Tag]:
    return {(e.prefix, e.service, e.region, e.network_border_group) for e in entries}


@pytest.fixture(scope="module", params=PAIRS, ids=[f"{a}..{b}" for a, b in PAIRS])
def pair(request: pytest.FixtureRequest) -> tuple[str, str, RangesDiff]:
    old, new = request.param
    return old, new, load(old).diff(load(new))


def test_diff_matches_set_arithmetic_on_the_json(pair: tuple[str, str, RangesDiff]) -> None:
    old, new, diff = pair
    added, removed, changed = expected(old, new)
    assert as_tuples(diff.added) == added
    assert as_tuples(diff.removed) == removed
    assert {c.prefix: (as_tuples(c.before), as_tuples(c.after))
            for c in diff.changed} == changed
    assert len(diff.added) == len(added)  # no entry listed twice
    assert bool(diff) == bool(added or removed or changed)


def test_one_slash_24_appears_between_two_august_publications() -> None:
    diff = load("2026-08-22T115705").diff(load("2026-08-22T151705"))
    added, _, _ = expected("2026-08-22T115705", "2026-08-22T151705")
    assert diff.added_prefixes == sorted({t[0] for t in added})
    (prefix,) = diff.added_prefixes
    assert ipaddress.ip_network(prefix).prefixlen == 24
    assert not diff.removed and not diff.changed


def test_fifty_three_prefixes_added_in_march_2025() -> None:
    diff = load("2025-03-10T135318").diff(load("2025-03-10T165320"))
    added, _, _ = expected("2025-03-10T135318", "2025-03-10T165320")
    assert len(diff.added_prefixes) == len({t[0] for t in added}) == 53
    assert not diff.removed and not diff.changed


def test_slash_24_moved_from_us_east_1_to_us_west_1() -> None:
    _, _, changed = expected("2026-03-27", "2026-08-22T151705")
    moved = sorted(p for p, (before, after) in changed.items()
                   if ipaddress.ip_network(p).prefixlen == 24
                   and {t[2] for t in before} == {"us-east-1"}
                   and {t[2] for t in after} == {"us-west-1"})
    assert "64.73.195.0/24" in moved
    diff = load("2026-03-27").diff(load("2026-08-22T151705"))
    change = next(c for c in diff.changed if c.prefix == "64.73.195.0/24")
    assert {e.region for e in change.before} == {"us-east-1"}
    assert {e.region for e in change.after} == {"us-west-1"}
    assert {e.service for e in change.before} == {e.service for e in change.after}
    assert as_tuples(change.gained) == as_tuples(change.after)
    moved_in_diff = {c.prefix for c in diff.changed
                     if {e.region for e in c.before} == {"us-east-1"}
                     and {e.region for e in c.after} == {"us-west-1"}
                     and c.prefix.endswith("/24")}
    assert moved_in_diff == set(moved)


def test_reversed_diff_swaps_added_and_removed() -> None:
    old, new = load("2026-03-27"), load("2026-08-22T151705")
    forward, backward = old.diff(new), new.diff(old)
    assert as_tuples(forward.added) == as_tuples(backward.removed)
    assert as_tuples(forward.removed) == as_tuples(backward.added)
    assert {c.prefix for c in forward.changed} == {c.prefix for c in backward.changed}
    assert not old.diff(old)


def test_summary_counts_prefixes_and_union_of_addresses(
        pair: tuple[str, str, RangesDiff]) -> None:
    old, new, diff = pair
    added, removed, _ = expected(old, new)
    for kind, entries in (("added", added), ("removed", removed)):
        groups: dict[tuple[str, str, int], set[str]] = defaultdict(set)
        for p, s, r, _ in entries:
            groups[(s, r, ipaddress.ip_network(p).version)].add(p)
        rows = {(r.service, r.region, r.version): r for r in diff.summary() if r.kind == kind}
        assert rows.keys() == groups.keys()
        for key, prefixes in groups.items():
            nets = [ipaddress.ip_network(p) for p in prefixes]
            union = sum(n.num_addresses
                        for n in ipaddress.collapse_addresses(nets))  # type: ignore[misc]
            assert (rows[key].prefixes, rows[key].addresses) == (len(prefixes), union)


def test_to_dict_has_the_documented_shape() -> None:
    old, new = load("2026-03-27"), load("2026-08-22T151705")
    d = json.loads(json.dumps(old.diff(new).to_dict()))
    assert set(d) == {"old", "new", "added", "removed", "changed"}
    for key, doc in (("old", "2026-03-27"), ("new", "2026-08-22T151705")):
        raw = json.loads(gzip.decompress(path(doc).read_bytes()))
        created = datetime.strptime(raw["createDate"], "%Y-%m-%d-%H-%M-%S")
        assert d[key] == {"sync_token": raw["syncToken"],
                          "create_date": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "ipv4": len(raw["prefixes"]), "ipv6": len(raw["ipv6_prefixes"])}
    added, removed, changed = expected("2026-03-27", "2026-08-22T151705")

    def entries(items: list[dict[str, str]]) -> list[Tag]:
        for item in items:
            assert set(item) == {"prefix", "service", "region", "network_border_group"}
        return [(i["prefix"], i["service"], i["region"], i["network_border_group"])
                for i in items]

    assert sorted(entries(d["added"])) == sorted(added)  # each entry once
    assert sorted(entries(d["removed"])) == sorted(removed)
    for c in d["changed"]:
        assert set(c) == {"prefix", "before", "after"}
    assert len(d["changed"]) == len(changed)
    assert {c["prefix"]: (set(entries(c["before"])), set(entries(c["after"])))
            for c in d["changed"]} == changed


# --------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The publications as plain JSON files, as a user would pass them."""
    root = tmp_path_factory.mktemp("pubs")
    out = {}
    for name in {n for p in PAIRS for n in p}:
        target = root / f"{name}.json"
        target.write_bytes(gzip.decompress(path(name).read_bytes()))
        out[name] = str(target)
    return out


def test_cli_json_is_the_library_diff(capsys: pytest.CaptureFixture[str],
                                      files: dict[str, str]) -> None:
    status = main(["diff", files["2026-03-27"], files["2026-08-22T151705"], "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    lib = load("2026-03-27").diff(load("2026-08-22T151705")).to_dict()
    assert out == json.loads(json.dumps(lib))


def header(name: str) -> str:
    """The ``old:``/``new:`` line's text after the label, from the JSON document itself."""
    raw = json.loads(gzip.decompress(path(name).read_bytes()))
    created = datetime.strptime(raw["createDate"], "%Y-%m-%d-%H-%M-%S")
    return f"syncToken {raw['syncToken']}  createDate {created:%Y-%m-%d %H:%M:%S}"


def added_rows(old: str, new: str) -> list[list[str]]:
    """The "Added prefixes" table's rows (IPv4 only) by set arithmetic on the JSON."""
    added, _, _ = expected(old, new)
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p, s, r, _ in added:
        assert ":" not in p
        groups[(s, r)].add(p)
    rows = []
    for (s, r), prefixes in sorted(groups.items()):
        nets = [ipaddress.IPv4Network(p) for p in prefixes]
        union = sum(n.num_addresses for n in ipaddress.collapse_addresses(nets))
        rows.append([s, r, "IPv4", str(len(prefixes)), f"{union:,}"])
    return rows


def test_cli_human_output_groups_by_service_and_region(capsys: pytest.CaptureFixture[str],
                                                       files: dict[str, str]) -> None:
    old, new = "2025-03-10T135318", "2025-03-10T165320"  # 53 IPv4 prefixes in 24 regions
    status = main(["diff", files[old], files[new]])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    count = len({t[0] for t in expected(old, new)[0]})
    assert lines[:6] == [f"old: {header(old)}", f"new: {header(new)}",
                         f"{count} prefixes added, 0 removed, 0 changed", "", "Added prefixes:",
                         "  SERVICE  REGION          FAMILY  PREFIXES  ADDRESSES"]
    assert [line.split() for line in lines[6:]] == added_rows(old, new)


def test_cli_human_output_of_one_added_slash_24(capsys: pytest.CaptureFixture[str],
                                                files: dict[str, str]) -> None:
    main(["diff", files["2026-08-22T115705"], files["2026-08-22T151705"]])
    assert capsys.readouterr().out.splitlines()[2:] == [
        "1 prefixes added, 0 removed, 0 changed", "", "Added prefixes:",
        "  SERVICE  REGION          FAMILY  PREFIXES  ADDRESSES",
        "  AMAZON   ap-southeast-3  IPv4           1        256",
        "  EC2      ap-southeast-3  IPv4           1        256"]


def test_cli_verbose_lists_moved_prefixes(capsys: pytest.CaptureFixture[str],
                                          files: dict[str, str]) -> None:
    main(["diff", "-v", files["2026-03-27"], files["2026-08-22T151705"]])
    lines = capsys.readouterr().out.splitlines()
    assert "  64.73.195.0/24  AMAZON,EC2 us-east-1  ->  AMAZON,EC2 us-west-1" in lines
    assert {"Added prefixes:", "Removed prefixes:", "Changed prefixes: tags gained:",
            "Changed prefixes: tags lost:"} <= set(lines)
    # -v lists every added, removed and changed prefix once, in numeric order
    added, removed, changed = expected("2026-03-27", "2026-08-22T151705")
    for title, prefixes in (("Added:", {t[0] for t in added}),
                            ("Removed:", {t[0] for t in removed}), ("Changed:", set(changed))):
        start = lines.index(title) + 1
        end = next((i for i in range(start, len(lines)) if not lines[i].startswith("  ")),
                   len(lines))
        listed = [line.split()[0] for line in lines[start:end]]
        assert listed == sorted(prefixes, key=lambda p: (ipaddress.ip_network(p).version,
                                                         ipaddress.ip_network(p)))


def test_exit_code_flag_reports_differences(capsys: pytest.CaptureFixture[str],
                                            files: dict[str, str]) -> None:
    old, new = files["2025-03-10T135318"], files["2025-03-10T165320"]
    assert main(["diff", "--exit-code", old, new]) == 1
    capsys.readouterr()
    assert main(["diff", "--exit-code", old, old]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"old: {header('2025-03-10T135318')}", f"new: {header('2025-03-10T135318')}",
        "no differences"]
    assert main(["diff", old, new]) == 0


def test_history_keys_go_to_the_cache_history_when_available(
        capsys: pytest.CaptureFixture[str], files: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import awsip.loading

    asked: list[str] = []

    def fake_history(key: str) -> Ranges:
        asked.append(key)
        return load("2026-08-22T115705")

    monkeypatch.setattr(awsip.loading, "load_history_entry", fake_history)
    status = main(["diff", "1787399825", files["2026-08-22T151705"], "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0 and asked == ["1787399825"]
    assert {a["prefix"] for a in out["added"]} == {"1.178.86.0/24"}


def test_diff_by_sync_token_and_date_reads_the_cache_history(
        capsys: pytest.CaptureFixture[str]) -> None:
    import awsip.loading

    for name in ("2026-03-27", "2026-08-22T115705", "2026-08-22T151705"):
        awsip.loading.update(str(path(name)))  # imports into this test's private cache history
    old, new = load("2026-03-27"), load("2026-08-22T151705")
    status = main(["diff", old.sync_token, "2026-08-22", "--json"])  # a day: its last one
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    assert out == json.loads(json.dumps(old.diff(new).to_dict()))
    status = main(["diff", "1", new.sync_token])
    assert status == 1
    assert "syncToken 1 is not in the history" in capsys.readouterr().err


def test_new_publication_from_a_url(capsys: pytest.CaptureFixture[str], files: dict[str, str],
                                    ranges_server: Any) -> None:
    from conftest import Reply, document

    ranges_server.serve(Reply(document("2025-03-10T165320")))
    status = main(["diff", "--exit-code", "--json", files["2025-03-10T135318"],
                   ranges_server.url])
    out = json.loads(capsys.readouterr().out)
    assert status == 1
    added, _, _ = expected("2025-03-10T135318", "2025-03-10T165320")
    assert {(a["prefix"], a["service"], a["region"], a["network_border_group"])
            for a in out["added"]} == added
