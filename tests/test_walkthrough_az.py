"""The second walkthrough (docs/walkthrough.md, "Second walkthrough: a zonal NAT gateway in
Singapore, across zones"):
examples/nat_walkthrough_az.py run into a temporary directory, then ``awsip report --json``
on its logs, checked against the truth of examples/whole_vpc.py (computed from the generator's
plan, not from the files).

The parts that need issue 13's NAT detection, inside attribution, regional prices or
``--inventory`` skip with a reason naming what is missing when this tree does not have it yet.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import whole_vpc as wv
from awsip.traffic.inventory import Inventory

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "nat_walkthrough_az.py"
DAYS, SCALE, SEED = 1, 0.05, 13
GIB = 1 << 30
NAT_ENI, NAT_IP = wv.NAT_ZONAL.interface_id, wv.NAT_ZONAL.private_ip


def truth(fmt: str = "v5") -> wv.Truth:
    """What the script's logs must give, from the plan with the script's parameters."""
    crossings = wv.plan(days=DAYS, windows_per_hour=6, scale=SCALE, seed=SEED)
    return wv.truth_of(crossings, wv.NAT_ZONAL, fmt)


def run_script(out: Path, fmt: str) -> str:
    done = subprocess.run([sys.executable, str(SCRIPT), str(out), "--days", str(DAYS),
                           "--scale", str(SCALE), "--seed", str(SEED), "--format", fmt],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return done.stdout


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The script's output directories (v5, and v2 for the candidates) and what it printed."""
    base = tmp_path_factory.mktemp("nat-az")
    return {"v5": base / "v5", "v2": base / "v2",
            "printed": run_script(base / "v5", "v5"), "printed_v2": run_script(base / "v2", "v2")}


@cache
def report(logs: str, *extra: str) -> dict[str, Any]:
    """``python -m awsip report LOGS --offline --json EXTRA...`` as a dict (run once per
    arguments, inside a test: the conftest's private cache directory is in the environment)."""
    done = subprocess.run([sys.executable, "-m", "awsip", "report", logs, "--offline", "--json",
                           *extra], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def logs(walk: dict[str, Any], fmt: str = "v5") -> str:
    return str(walk[fmt] / "AWSLogs")


def needs(present: bool, what: str) -> None:
    """Skip, naming the missing feature, when this tree does not have it."""
    if not present:
        pytest.skip(f"{what} is not in this tree yet (issue 13): this check runs once it is")


def test_walkthrough_figures_are_the_truth_of_the_full_size_run() -> None:
    """The document's figures (3 days, scale 4: the script's defaults) are the generator's."""
    t = wv.truth_of(wv.plan(days=3, windows_per_hour=6, scale=4.0, seed=SEED), wv.NAT_ZONAL,
                    "v5")
    doc = (ROOT / "docs" / "walkthrough.md").read_text()
    section = doc[doc.index("# Second walkthrough"):]
    assert f"{t.nat_bytes / GIB:,.1f} GB processed" in section
    assert f"cross-AZ: {t.cross_az_bytes / GIB:,.1f} GB" in section
    assert f"{t.records:,} records" in section
    for number in (t.nat_bytes, t.cross_az_bytes, t.by_inside["10.20.2.21"].bytes):
        assert f": {number}," in section or f": {number}\n" in section


def test_script_prints_the_truth_and_writes_logs_and_inventory(walk: dict[str, Any]) -> None:
    t = truth()
    assert f"{t.nat_bytes / GIB:,.1f} GB processed" in walk["printed"]
    assert f"cross-AZ: {t.cross_az_bytes / GIB:,.1f} GB" in walk["printed"]
    assert len(list(Path(logs(walk)).rglob("*.log.gz"))) == 24 * DAYS
    inv = Inventory.load(sorted((walk["v5"] / "inventory").glob("*.json")))
    nat = inv.nat_gateways[wv.NAT_ZONAL.nat_gateway_id]
    assert (nat.interface_ids, nat.private_ips, nat.az_id) == ((NAT_ENI,), (NAT_IP,), "apse1-az1")
    assert inv.by_address("10.20.2.21").az_id == "apse1-az2"  # type: ignore[union-attr]


def test_report_reads_every_record_in_singapore(walk: dict[str, Any]) -> None:
    d = report(logs(walk))
    t = truth()
    assert (d["records"], d["nodata"], d["files"]) == (t.records, t.nodata, t.files)
    assert d["vpc_region"] == "ap-southeast-1"


def test_named_nat_bytes_are_counted_once_per_service_and_day(walk: dict[str, Any]) -> None:
    t = truth()
    nat = report(logs(walk), "--nat-eni", str(NAT_ENI))["nat"]
    assert (nat["bytes"], nat["bytes_in"], nat["bytes_out"]) == (t.nat_bytes, t.nat_in,
                                                                 t.nat_out)
    assert {(r["service"], r["region"]): r["bytes"] for r in nat["by_service"]} == {
        (s or "INTERNET", r): b for (s, r), b in t.by_service.items()}
    assert {r["day"]: r["bytes"] for r in nat["by_day"]} == dict(t.by_day)


def test_the_nat_is_found_without_any_nat_option(walk: dict[str, Any]) -> None:
    nat = report(logs(walk)).get("nat")
    needs(nat is not None and "gateways" in nat, "NAT detection (nat.gateways)")
    assert nat is not None
    (gw,) = nat["gateways"]
    assert (gw["interface_id"], gw["address"], gw["az_id"], gw["detected"]) == (
        NAT_ENI, NAT_IP, "apse1-az1", True)
    assert gw["reason"]
    assert (nat["bytes"], nat["bytes_in"]) == (truth().nat_bytes, truth().nat_in)


def test_nat_bytes_are_attributed_to_each_inside_instance(walk: dict[str, Any]) -> None:
    nat = report(logs(walk)).get("nat") or {}
    needs("by_inside" in nat, "inside attribution (nat.by_inside)")
    got = {r["address"]: (r["interface_id"], r["subnet_id"], r["az_id"], r["instance_id"],
                          r["bytes"]) for r in nat["by_inside"]}
    assert got == {a: (i.interface_id, i.subnet_id, i.az_id, i.instance_id, i.bytes)
                   for a, i in truth().by_inside.items()}


def test_cross_az_bytes_are_the_other_zones_instances_both_ways(walk: dict[str, Any]) -> None:
    nat = report(logs(walk)).get("nat") or {}
    needs("cross_az" in nat, "cross-AZ attribution (nat.cross_az)")
    t, cross = truth(), nat["cross_az"]
    assert cross["bytes"] == t.cross_az_bytes == t.cross_az_to_nat + t.cross_az_from_nat
    assert {r["address"]: r["bytes"] for r in cross["by_inside"]} == dict(t.cross_az_by_inside)
    assert {r["az_id"] for r in cross["by_inside"]} == {"apse1-az2"}
    if cross.get("price_per_gb") is not None:
        assert cross["cost_usd"] == pytest.approx(
            t.cross_az_bytes / GIB * cross["price_per_gb"], abs=1e-3)


def test_the_nat_is_priced_at_singapores_rate_with_its_source(walk: dict[str, Any]) -> None:
    nat = report(logs(walk)).get("nat") or {}
    needs("price_source" in nat and nat.get("region") is not None,
          "regional prices (nat.region, nat.price_source)")
    from awsip.advice import prices

    expected = prices.prices_for("ap-southeast-1").nat_per_gb  # type: ignore[attr-defined]
    assert nat["region"] == "ap-southeast-1"
    assert nat["price_per_gb"] == expected != prices.DEFAULT_PRICE_PER_GB
    assert "Singapore" in nat["price_source"] or "ap-southeast-1" in nat["price_source"]
    assert nat["cost_usd"] == pytest.approx(truth().nat_bytes / GIB * expected, abs=1e-3)


def test_default_format_logs_name_the_candidate_and_the_option_to_pass(
        walk: dict[str, Any]) -> None:
    d = report(logs(walk, "v2"))
    needs(any("likely NAT" in n for n in d["notes"]), "NAT candidates for v2 logs")
    assert truth("v2").detection == "candidates"
    assert d.get("nat") is None or not any(g["detected"] for g in d["nat"].get("gateways", []))
    (note,) = [n for n in d["notes"] if "likely NAT" in n]
    assert f"--nat-eni {NAT_ENI}" in note
    named = report(logs(walk, "v2"), "--nat-eni", str(NAT_ENI))["nat"]
    assert named["bytes"] == truth("v2").nat_bytes


def test_inventory_names_the_same_nat_and_instances(walk: dict[str, Any]) -> None:
    helptext = subprocess.run([sys.executable, "-m", "awsip", "report", "--help"],
                              capture_output=True, text=True, cwd=ROOT).stdout
    needs("--inventory" in helptext, "report --inventory")
    inv = walk["v5"] / "inventory"
    nat = report(logs(walk, "v2"), "--inventory", str(inv / "enis.json"), "--inventory",
                 str(inv / "nat-gateways.json"))["nat"]
    assert nat is not None and nat["bytes"] == truth().nat_bytes
    assert [g["interface_id"] for g in nat["gateways"]] == [NAT_ENI]
    if "by_inside" in nat:
        assert {r["address"]: r["instance_id"] for r in nat["by_inside"]} == {
            a: i.instance_id for a, i in truth().by_inside.items()}
