"""``awsip.spark.report`` gives ``awsip.report``'s answer, key for key, on whole-VPC logs.

The logs are examples/whole_vpc.py's generated VPC (a zonal NAT with instances in two AZs, a
regional NAT with ``resource-id``, and version-2 logs where detection must fall back to
candidates); the local report on the same files is the oracle (its own figures are checked
against the generator's truth in tests/test_nat_detect.py). Spark reads them in several
partitions of several batches, so the folds of different workers are merged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import awsip
import whole_vpc as wv
from awsip import Ranges
from awsip import spark as awsip_spark
from awsip.advice.report import ReportPlan
from awsip.traffic.inventory import Inventory
from awsip.traffic.nat import NatSpec
from test_dns_logs import AWS_EXAMPLE, vpc_queries, write_lines

INVENTORY = Path(__file__).parent / "data" / "inventory"


def report_columns(by: Any = ("service", "region"), **nat: Any) -> list[str]:
    """The fields the local report reads: Spark reads the same, so the counts agree (a line
    whose unused field is bad is a record for both)."""
    spec = NatSpec.of(nat.get("nat_enis", ()), nat.get("nat_ips", ()), nat.get("nat_ids", ()))
    plan = ReportPlan.of(by, spec, False, None)
    return sorted(plan.columns(plan.fold(False)))


def both(spark: Any, ranges: Ranges, scenario: wv.Scenario, **kw: Any) -> tuple[Any, Any]:
    """The local report of the scenario's files and Spark's, with the same arguments."""
    nat = {k: kw[k] for k in ("nat_enis", "nat_ips", "nat_ids") if k in kw}
    local = awsip.report(str(scenario.logs), ranges=ranges, **kw)
    logs = awsip_spark.read_flow_logs(spark, str(scenario.logs),
                                      columns=report_columns(kw.get("by", ("service", "region")),
                                                             **nat))
    assert logs.df.rdd.getNumPartitions() > 1
    return local, awsip_spark.report(logs, ranges=ranges, **kw)


@pytest.fixture(scope="module")
def zonal(tmp_path_factory: pytest.TempPathFactory) -> wv.Scenario:
    return wv.zonal(tmp_path_factory.mktemp("zonal"), days=1)


def test_a_whole_vpc_report_in_spark_finds_the_zonal_nat_who_and_cross_az_as_locally(
        spark: Any, ranges: Ranges, zonal: wv.Scenario) -> None:
    local, got = both(spark, ranges, zonal, hourly=True)
    want = local.to_dict()
    assert got.to_dict() == want
    nat = want["nat"]
    assert [g["interface_id"] for g in nat["gateways"]] == [wv.NAT_ZONAL.interface_id]
    assert nat["gateways"][0]["detected"] and nat["bytes"] == zonal.truth.nat_bytes
    assert nat["by_inside"] and nat["cross_az"]["bytes"] == zonal.truth.cross_az_bytes > 0
    assert want["recommendations"] and want["files"] == got.files > 1
    assert got.hourly is not None and local.hourly is not None
    assert got.hourly.to_pylist() == local.hourly.to_pylist()
    assert got.hourly_by_inside is not None and local.hourly_by_inside is not None
    assert got.hourly_by_inside.to_pylist() == local.hourly_by_inside.to_pylist()


def test_a_regional_nat_is_found_by_resource_id_in_spark_as_locally(
        spark: Any, ranges: Ranges, tmp_path: Path) -> None:
    scenario = wv.regional(tmp_path, days=1)
    local, got = both(spark, ranges, scenario, by=["service", "region", "interface_id"])
    want = local.to_dict()
    assert got.to_dict() == want
    assert [g["resource_id"] for g in want["nat"]["gateways"]] == [wv.NAT_REGIONAL.nat_gateway_id]
    assert want["nat"]["bytes"] == scenario.truth.nat_bytes


def test_version_2_logs_give_the_same_candidates_in_spark_then_the_named_nat(
        spark: Any, ranges: Ranges, tmp_path: Path) -> None:
    scenario = wv.zonal(tmp_path, fmt="v2", days=1)
    local, got = both(spark, ranges, scenario)
    assert got.to_dict() == local.to_dict()
    assert got.nat is None and any("likely NAT gateway" in n for n in got.notes)
    eni = wv.NAT_ZONAL.interface_id
    assert eni is not None and eni in " ".join(got.notes)
    local, got = both(spark, ranges, scenario, nat_enis=[eni])
    assert got.to_dict() == local.to_dict()
    assert got.nat is not None and got.nat.bytes == scenario.truth.nat_bytes


def test_inventory_and_dns_query_logs_are_used_in_spark_as_locally(
        spark: Any, ranges: Ranges, zonal: wv.Scenario, tmp_path: Path) -> None:
    queries = write_lines(tmp_path / "queries.log.gz", [AWS_EXAMPLE, *vpc_queries()],
                          compress=True)
    inventory = Inventory.load([INVENTORY / "apse1-network-interfaces.json",
                                INVENTORY / "apse1-nat-gateways.json"])
    local, got = both(spark, ranges, zonal, inventory=inventory, dns_logs=[str(queries)])
    want = local.to_dict()
    assert got.to_dict() == want
    assert want["nat"]["by_name"] and want["nat"]["ecr"]["bytes"] > 0
    assert all(r["instance_id"] for r in want["nat"]["by_inside"])


def test_any_dataframe_of_records_can_be_reported_its_rows_being_the_records(
        spark: Any, ranges: Ranges, zonal: wv.Scenario) -> None:
    records = awsip.read_flow_logs(str(zonal.logs)).read_all()
    local = awsip.report(records, ranges=ranges, vpc_region=wv.REGION)
    df = awsip_spark.read_flow_logs(spark, str(zonal.logs)).df.where("version >= 2")
    got = awsip_spark.report(df, ranges=ranges, vpc_region=wv.REGION)
    assert got.to_dict() == local.to_dict()
    assert got.records == records.num_rows and got.nat is not None


def test_nat_report_is_the_nat_section_of_the_spark_report(
        spark: Any, ranges: Ranges, zonal: wv.Scenario) -> None:
    logs = awsip_spark.read_flow_logs(spark, str(zonal.logs), columns=report_columns())
    full = awsip_spark.report(logs, ranges=ranges)
    section = awsip_spark.nat_report(logs, ranges=ranges)
    assert full.nat is not None and section.nat is not None
    assert section.nat.to_dict() == full.nat.to_dict()
    assert [r.to_dict() for r in section.recommendations] == [
        r.to_dict() for r in full.recommendations]
    assert section.monthly_factor == full.monthly_factor and section.unmatched == []
