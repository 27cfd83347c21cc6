"""awsip.summarize: peer and direction rules, grouping, streaming merge, time windows."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import awsip
from awsip.errors import UsageError
from awsip.ranges import Ranges
from awsip.traffic import Aggregator, Context, LocalNets, normalize_keys, top
from awsip.traffic.peers import peer_view as enrich
from flowlog_factory import record, text, write
from oracle import NEWEST

RANGES = Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))  # the bundled snapshot
T0 = datetime(2026, 3, 21, 0, 0, tzinfo=timezone.utc)
TS = pa.timestamp("s", tz="UTC")


def flows(rows: list[dict[str, Any]], extra: tuple[str, ...] = ()) -> pa.Table:
    """An Arrow table shaped like the reader's output, from short row dicts."""
    cols: dict[str, list[Any]] = {k: [] for k in (
        "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
        "bytes", "start", "end", "action", "log_status", *extra)}
    for r in rows:
        start = r.get("start", T0)
        values = {"interface_id": "eni-1", "srcport": 40000, "dstport": 443, "protocol": 6,
                  "packets": 1, "start": start, "end": r.get("end", start), "action": "ACCEPT",
                  "log_status": "OK", **r}
        for k in cols:
            cols[k].append(values.get(k))
    types = {"srcport": pa.int32(), "dstport": pa.int32(), "protocol": pa.int32(),
             "packets": pa.int64(), "bytes": pa.int64(), "start": TS, "end": TS}
    return pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in cols.items()})


def as_dict(table: pa.Table, *keys: str) -> dict[Any, int]:
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r["bytes"]
            for r in table.to_pylist()}


def test_direction_from_private_side_and_peer_is_the_outside_address() -> None:
    t = flows([
        {"srcaddr": "10.0.1.5", "dstaddr": "52.216.58.42", "bytes": 100},      # egress
        {"srcaddr": "52.216.58.42", "dstaddr": "10.0.1.5", "bytes": 2000},     # ingress
        {"srcaddr": "100.64.3.1", "dstaddr": "8.8.8.8", "bytes": 7},           # RFC 6598
        {"srcaddr": "169.254.169.254", "dstaddr": "172.16.0.9", "bytes": 30},  # internal
        {"srcaddr": "192.168.1.1", "dstaddr": "127.0.0.1", "bytes": 1},        # internal
    ])
    s = awsip.summarize(t, by=["direction", "peer", "service"], ranges=RANGES)
    got = as_dict(s, "direction", "peer", "service")
    assert got == {
        ("ingress", "52.216.58.42", "S3"): 2000,
        ("egress", "52.216.58.42", "S3"): 100,
        ("egress", "8.8.8.8", "INTERNET"): 7,
        ("internal", "172.16.0.9", "PRIVATE"): 30,
        ("internal", "127.0.0.1", "PRIVATE"): 1,
    }


def test_peer_port_and_local_address_follow_the_peer_side() -> None:
    t = flows([
        {"srcaddr": "10.0.1.5", "dstaddr": "52.216.58.42", "srcport": 50000, "dstport": 443,
         "bytes": 10},
        {"srcaddr": "52.216.58.42", "dstaddr": "10.0.1.5", "srcport": 443, "dstport": 50000,
         "bytes": 20},
    ])
    s = awsip.summarize(t, by="port,local_port,local", ranges=RANGES)
    assert as_dict(s, "port", "local_port", "local") == {(443, 50000, "10.0.1.5"): 30}


def test_flow_direction_field_decides_when_addresses_cannot() -> None:
    # An IPv6 VPC: both sides are public addresses; flow_direction says which is the peer.
    t = flows([
        {"srcaddr": "2600:1f18:aaaa:bb00::10", "dstaddr": "2606:4700::1111",
         "flow_direction": "egress", "bytes": 5},
        {"srcaddr": "2606:4700::1111", "dstaddr": "2600:1f18:aaaa:bb00::10",
         "flow_direction": "ingress", "bytes": 50},
        {"srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "flow_direction": "ingress",
         "bytes": 9},  # both private: internal whatever the interface saw
    ], extra=("flow_direction",))
    s = awsip.summarize(t, by=["direction", "peer"], ranges=RANGES)
    assert as_dict(s, "direction", "peer") == {
        ("ingress", "2606:4700::1111"): 50, ("egress", "2606:4700::1111"): 5,
        ("internal", "10.0.0.2"): 9}


def test_ipv6_peers_need_vpc_cidrs_without_flow_direction() -> None:
    rows = [
        {"srcaddr": "2600:1f18:aaaa:bb00::10", "dstaddr": "2600:1f18:4000::1", "bytes": 5},
        {"srcaddr": "2600:1f18:4000::1", "dstaddr": "2600:1f18:aaaa:bb00::10", "bytes": 70},
        {"srcaddr": "fd00::1", "dstaddr": "2606:4700::1111", "bytes": 3},  # ULA is local
    ]
    unknown = awsip.summarize(flows(rows), by=["direction"], ranges=RANGES)
    assert as_dict(unknown, "direction") == {"unknown": 75, "egress": 3}
    s = awsip.summarize(flows(rows), by=["direction", "peer", "service", "region"],
                        ranges=RANGES, vpc_cidrs=["2600:1f18:aaaa:bb00::/56"])
    assert as_dict(s, "direction", "peer", "service", "region") == {
        ("ingress", "2600:1f18:4000::1", "EC2", "us-east-1"): 70,
        ("egress", "2600:1f18:4000::1", "EC2", "us-east-1"): 5,
        ("egress", "2606:4700::1111", "INTERNET", None): 3}


def test_vpc_cidrs_make_public_addresses_local() -> None:
    t = flows([{"srcaddr": "203.0.113.7", "dstaddr": "52.216.58.42", "bytes": 11}])
    s = awsip.summarize(t, by=["direction", "local"], ranges=RANGES, vpc_cidrs="203.0.113.0/24")
    assert as_dict(s, "direction", "local") == {("egress", "203.0.113.7"): 11}


def test_local_nets_contains_matches_ipaddress_is_private_rules() -> None:
    import ipaddress

    addrs = ["10.1.2.3", "11.0.0.1", "172.31.255.255", "172.32.0.0", "192.168.0.1",
             "100.127.255.255", "100.128.0.0", "169.254.1.1", "127.0.0.1", "8.8.8.8",
             "fc00::1", "fdff::1", "fe80::1", "::1", "2001:db8::1", "not-an-ip", None]
    got = LocalNets.build().contains(pa.array(addrs, pa.string())).tolist()
    nets = [ipaddress.ip_network(n) for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
        "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128")]

    def expect(a: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(a or "")
        except ValueError:
            return False
        return any(ip in n for n in nets if n.version == ip.version)

    assert got == [expect(a) for a in addrs]


def test_group_keys_cover_every_documented_field_and_totals_match() -> None:
    t = flows([
        {"srcaddr": "10.0.1.5", "dstaddr": "52.216.58.42", "bytes": 100, "packets": 2},
        {"srcaddr": "52.94.0.10", "dstaddr": "10.0.1.5", "bytes": 300, "packets": 3,
         "start": T0.replace(hour=5, minute=17), "interface_id": "eni-2", "action": "REJECT"},
    ])
    every = ["service", "region", "network_border_group", "prefix", "peer", "direction",
             "interface_id", "local", "port", "local_port", "protocol", "action", "hour", "day"]
    s = awsip.summarize(t, by=every, ranges=RANGES)
    assert s.column_names == [*every, "bytes", "packets", "flows", "first_seen", "last_seen",
                              "share"]
    rows = s.to_pylist()
    assert [r["bytes"] for r in rows] == [300, 100]
    assert rows[0]["service"] == "DYNAMODB" and rows[0]["hour"] == T0.replace(hour=5)
    assert rows[0]["day"].isoformat() == "2026-03-21"
    assert rows[0]["prefix"] == RANGES.lookup("52.94.0.10").prefix
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    total = awsip.summarize(t, by=[], ranges=RANGES).to_pylist()
    assert total == [{"bytes": 400, "packets": 5, "flows": 2, "first_seen": T0,
                      "last_seen": T0.replace(hour=5, minute=17), "share": 1.0}]


def test_aliases_and_bad_keys() -> None:
    assert normalize_keys("peer_service, peer-region,peer_address,eni") == [
        "service", "region", "peer", "interface_id"]
    with pytest.raises(UsageError, match="cannot group by 'colour'"):
        normalize_keys(["colour"])


def test_nodata_and_skipdata_rows_are_never_counted() -> None:
    t = flows([
        {"srcaddr": None, "dstaddr": None, "bytes": None, "log_status": "NODATA"},
        {"srcaddr": None, "dstaddr": None, "bytes": None, "log_status": "SKIPDATA"},
        {"srcaddr": "10.0.0.1", "dstaddr": "8.8.8.8", "bytes": 999, "log_status": "SKIPDATA"},
    ])
    s = awsip.summarize(t, by=["service"], ranges=RANGES)
    assert s.num_rows == 0
    assert s.column_names == ["service", "bytes", "packets", "flows", "first_seen",
                              "last_seen", "share"]
    assert awsip.summarize(t, by=[], ranges=RANGES).num_rows == 0


def test_empty_input_gives_an_empty_summary() -> None:
    s = awsip.summarize(flows([]), by=["service", "day"], ranges=RANGES)
    assert s.num_rows == 0
    assert s.column_names == ["service", "day", "bytes", "packets", "flows", "first_seen",
                              "last_seen", "share"]
    assert s.to_pandas().empty
    assert awsip.summarize([], by=["service"], ranges=RANGES).num_rows == 0


def test_since_until_keep_records_starting_in_the_half_open_window() -> None:
    t = flows([{"srcaddr": "10.0.0.1", "dstaddr": "8.8.8.8", "bytes": 1 << h,
                "start": T0.replace(hour=h)} for h in range(6)])
    s = awsip.summarize(t, by=[], ranges=RANGES, since="2026-03-21T02:00Z",
                        until=datetime(2026, 3, 21, 4))
    assert s.column("bytes").to_pylist() == [(1 << 2) + (1 << 3)]
    with pytest.raises(UsageError, match="ISO-8601"):
        awsip.summarize(t, ranges=RANGES, since="yesterday")


def test_streaming_merge_equals_one_shot(monkeypatch: pytest.MonkeyPatch) -> None:
    import awsip.traffic.summary as sm

    rows = [{"srcaddr": f"10.0.{i % 7}.{i % 200}", "dstaddr": ["52.216.58.42", "8.8.8.8",
             "3.80.10.20", "52.94.0.10"][i % 4], "bytes": i * 13 + 1, "packets": i + 1,
             "start": T0.replace(hour=i % 24)} for i in range(2000)]
    table = flows(rows)
    whole = awsip.summarize(table, by=["service", "hour"], ranges=RANGES)
    want: dict[tuple[str, datetime], int] = {}
    for r in rows:  # every source is private: the peer is the destination
        key = (RANGES.lookup(r["dstaddr"]).service or "INTERNET", r["start"])
        want[key] = want.get(key, 0) + r["bytes"]
    assert as_dict(whole, "service", "hour") == want
    assert {r["service"] for r in whole.to_pylist()} == {"S3", "INTERNET", "EC2", "DYNAMODB"}
    monkeypatch.setattr(sm, "_MERGE_PARTS", 3)
    batches = table.to_batches(max_chunksize=37)
    assert len(batches) > 10
    streamed = awsip.summarize(iter(batches), by=["service", "hour"], ranges=RANGES)
    assert streamed.to_pylist() == whole.to_pylist()
    ctx = Context.build(RANGES)
    agg = Aggregator(["service"])
    for b in batches:
        agg.add(enrich(b, ctx))
    assert len(agg.parts) <= 4  # partials were merged along the way


def test_reads_files_with_the_flow_log_reader(tmp_path: Any) -> None:
    import gzip

    path = tmp_path / "f.log.gz"
    lines = ["version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
             "bytes start end action log-status",
             "2 1 eni-1 10.0.0.5 52.216.58.42 40000 443 6 10 1234 1774051200 1774051260 ACCEPT OK",
             "2 1 eni-1 - - - - - - - 1774051200 1774051260 - NODATA"]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    s = awsip.summarize(str(path), by=["service", "region"], ranges=RANGES)
    assert as_dict(s, "service", "region") == {("S3", "us-east-1"): 1234}


def test_top_returns_the_biggest_groups() -> None:
    # Peer 8.8.8.i: 9 - i records of i**3 bytes each, so the most bytes and the most flows differ.
    rows = [{"srcaddr": "10.0.0.1", "dstaddr": f"8.8.8.{i}", "bytes": i**3}
            for i in range(1, 9) for _ in range(9 - i)]
    s = awsip.summarize(flows(rows), by=["peer"], ranges=RANGES)
    totals = {f"8.8.8.{i}": (i**3 * (9 - i), 9 - i) for i in range(1, 9)}
    by_bytes = sorted(totals, key=lambda p: -totals[p][0])
    by_flows = sorted(totals, key=lambda p: -totals[p][1])
    assert by_bytes[:3] == ["8.8.8.7", "8.8.8.6", "8.8.8.8"] and by_flows[:2] == [
        "8.8.8.1", "8.8.8.2"]
    assert [(r["peer"], r["bytes"], r["flows"]) for r in top(s, 3).to_pylist()] == [
        (p, *totals[p]) for p in by_bytes[:3]]
    assert [(r["peer"], r["bytes"], r["flows"]) for r in top(s, 2, by="flows").to_pylist()] == [
        (p, *totals[p]) for p in by_flows[:2]]
    with pytest.raises(ValueError):
        top(s, -1)


def test_import_awsip_stays_light() -> None:
    import subprocess
    import sys

    code = ("import sys, awsip; assert 'summarize' in dir(awsip); "
            "print(any(m.startswith(('pyarrow', 'numpy')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_errors_inside_the_worker_threads_reach_the_caller(tmp_path: Any) -> None:
    import gzip

    no_start = flows([{"srcaddr": "10.0.0.1", "dstaddr": "8.8.8.8", "bytes": 1}]).drop_columns(
        ["start"])
    with pytest.raises(UsageError, match="'start' field"):
        awsip.summarize(no_start, ranges=RANGES, since="2026-03-21")
    bad = tmp_path / "bad.log.gz"
    good = "2 1 eni-1 10.0.0.5 52.216.58.42 40000 443 6 10 1234 1774051200 1774051260 ACCEPT OK"
    bad.write_bytes(gzip.compress((good + "\n" + "2 1 eni-1 oops\n").encode()))
    with pytest.raises(awsip.FlowLogError, match="line 2"):
        awsip.summarize(awsip.read_flow_logs(str(bad), strict=True, progress=False),
                        ranges=RANGES)


def test_a_bad_value_in_a_field_the_keys_do_not_use_does_not_drop_the_record(
        tmp_path: Path) -> None:
    recs = [record(dstaddr="52.216.58.42", bytes=5),
            record(dstaddr="52.216.58.42", srcport="x", bytes=7)]
    path = write(tmp_path / "f.gz", text(recs))
    by_service = awsip.report(path, by="service", ranges=RANGES, progress=False)
    assert by_service.groups.column("bytes").to_pylist() == [12] and by_service.skipped == 0
    by_port = awsip.report(path, by="port", ranges=RANGES, progress=False)
    assert by_port.groups.column("bytes").to_pylist() == [5] and by_port.skipped == 1
    assert awsip.summarize(path, by="local_port", ranges=RANGES).column("bytes").to_pylist() == [5]
