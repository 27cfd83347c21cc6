"""Each recommendation kind's arithmetic against figures computed here, with made-up prices (so
the checks do not lean on the bundled table), and what happens when a price is unknown."""

from __future__ import annotations

from typing import Any

import pytest

from awsip.advice.prices import RegionPrices
from awsip.advice.recommend import Recommendation, advise

GB = 2**30
SPAN = 2 * 86400  # two days observed
FACTOR = 30 * 86400 / SPAN  # 30-day projection factor
NAT_GB, NAT_H, INTER_AZ, EP_H, EP_GB = 0.05, 0.06, 0.02, 0.011, 0.007
PRICES = RegionPrices("eu-west-1", NAT_GB, NAT_H, INTER_AZ, None, EP_H, EP_GB, "test prices",
                      True)
UNKNOWN = RegionPrices("eu-west-1", None, None, None, None, None, None,
                       "the price table has no NAT gateway per-GB price for eu-west-1", False)
#: The keys of a recommendation in the JSON contract (issue 13, item 8), plus the message.
CONTRACT = {"kind", "service", "region", "bytes", "cost_usd", "avoidable", "savings_usd",
            "monthly_savings_usd", "break_even_gb_per_month", "commands", "message"}


def row(service: str, region: str | None, gb: float) -> dict[str, Any]:
    return {"service": service, "region": region, "bytes": int(gb * GB)}


def one(recs: list[Recommendation], kind: str, service: str | None = None) -> Recommendation:
    got = [r for r in recs if r.kind == kind and (service is None or r.service == service)]
    assert len(got) == 1, [(r.kind, r.service) for r in recs]
    return got[0]


def run(rows: list[dict[str, Any]], prices: RegionPrices = PRICES, **kw: Any
        ) -> list[Recommendation]:
    return advise(rows, "eu-west-1", prices=prices, monthly_factor=FACTOR, span_seconds=SPAN,
                  **kw)


def test_same_region_s3_and_dynamodb_gateway_endpoints_save_the_whole_nat_charge() -> None:
    recs = run([row("S3", "eu-west-1", 40), row("DYNAMODB", "eu-west-1", 10)])
    s3, ddb = one(recs, "s3-gateway-endpoint"), one(recs, "dynamodb-gateway-endpoint")
    assert recs == [s3, ddb]  # biggest saving first
    assert s3.avoidable and s3.cost_usd == s3.savings_usd == pytest.approx(40 * NAT_GB)
    assert s3.monthly_savings_usd == pytest.approx(40 * NAT_GB * 15)
    assert s3.break_even_gb_per_month == 0.0  # free: any traffic pays
    assert ddb.savings_usd == pytest.approx(10 * NAT_GB)
    cli, tf = s3.commands
    assert cli == ('aws ec2 create-vpc-endpoint --region eu-west-1 --vpc-id "$VPC_ID" '
                   "--vpc-endpoint-type Gateway --service-name com.amazonaws.eu-west-1.s3 "
                   "--route-table-ids $ROUTE_TABLE_IDS")
    assert 'service_name      = "com.amazonaws.eu-west-1.s3"' in tf
    assert 'vpc_endpoint_type = "Gateway"' in tf
    assert "com.amazonaws.eu-west-1.dynamodb" in ddb.commands[0]


def endpoint_figures(gb: float, endpoints: int, azs: int) -> tuple[float, float, float]:
    """(saving over the span, per 30 days, break-even GB/month) of ``endpoints`` interface
    endpoints in ``azs`` AZs replacing ``gb`` GB through the NAT."""
    hourly = EP_H * endpoints * azs
    span = gb * NAT_GB - (gb * EP_GB + hourly * SPAN / 3600)
    month = gb * FACTOR * (NAT_GB - EP_GB) - hourly * 720
    return span, month, hourly * 720 / (NAT_GB - EP_GB)


def test_interface_endpoint_saving_and_break_even_follow_the_endpoint_prices() -> None:
    rec = one(run([row("KMS", "eu-west-1", 100)], az_count=3), "interface-endpoint")
    span, month, even = endpoint_figures(100, 1, 3)
    assert rec.cost_usd == pytest.approx(100 * NAT_GB)
    assert rec.savings_usd == pytest.approx(span)
    assert rec.monthly_savings_usd == pytest.approx(month)
    assert rec.break_even_gb_per_month == pytest.approx(even)  # 0.011 x 3 x 720 / 0.043 = 552.6
    assert rec.avoidable and month > 0
    assert "3 AZs" in rec.message and "break-even 552.6 GB/month" in rec.message
    cli, tf = rec.commands
    assert "--vpc-endpoint-type Interface --service-name com.amazonaws.eu-west-1.kms" in cli
    assert "--private-dns-enabled" in cli and "--service-region" not in cli
    assert 'vpc_endpoint_type   = "Interface"' in tf


def test_interface_endpoint_below_break_even_is_listed_but_not_avoidable() -> None:
    rec = one(run([row("KMS", "eu-west-1", 1)]), "interface-endpoint")
    _, month, even = endpoint_figures(1, 1, 2)  # two AZs assumed
    assert month < 0 and not rec.avoidable
    assert rec.monthly_savings_usd == pytest.approx(month)
    assert rec.break_even_gb_per_month == pytest.approx(even)
    assert "assumed" in rec.message


def test_s3_in_another_region_takes_a_cross_region_interface_endpoint() -> None:
    recs = run([row("S3", "us-west-2", 200), row("DYNAMODB", "us-west-2", 5)])
    rec = one(recs, "cross-region-interface-endpoint", "S3")
    span, month, even = endpoint_figures(200, 1, 2)
    assert (rec.region, rec.avoidable) == ("us-west-2", True)
    assert rec.savings_usd == pytest.approx(span)
    assert rec.monthly_savings_usd == pytest.approx(month)
    assert rec.break_even_gb_per_month == pytest.approx(even)
    assert "inter-region data transfer remains" in rec.message
    cli, tf = rec.commands
    assert "--region eu-west-1" in cli and "--service-name com.amazonaws.us-west-2.s3" in cli
    assert "--service-region us-west-2" in cli
    assert 'service_region      = "us-west-2"' in tf
    ddb = one(recs, "cross-region", "DYNAMODB")  # no endpoint carries DynamoDB across regions
    assert not ddb.avoidable and ddb.savings_usd == 0 and ddb.cost_usd == pytest.approx(
        5 * NAT_GB)


def test_ecr_pulls_get_the_s3_gateway_and_both_ecr_interface_endpoints() -> None:
    rec = one(run([], ecr_seen=True, ecr_bytes=300 * GB), "ecr-endpoints")
    span, month, even = endpoint_figures(300, 2, 2)
    assert rec.savings_usd == pytest.approx(span)
    assert rec.monthly_savings_usd == pytest.approx(month)
    assert rec.break_even_gb_per_month == pytest.approx(even)
    assert rec.avoidable
    clis = rec.commands[0::2]
    assert ["--vpc-endpoint-type Gateway" in clis[0],
            "com.amazonaws.eu-west-1.ecr.api" in clis[1],
            "com.amazonaws.eu-west-1.ecr.dkr" in clis[2]] == [True, True, True]
    assert "image layers are served from S3" in rec.message
    # AWS's ECR/ECS endpoint pages: the gateway (not an interface) endpoint for the layers,
    # private DNS on ecr.dkr, the logs endpoint for awslogs on Fargate, port 443 open
    assert "an S3 interface endpoint does not serve ECR" in rec.message
    assert clis[2].endswith(" --private-dns-enabled")
    assert "ecr.dkr with private DNS enabled" in rec.message
    assert "com.amazonaws.eu-west-1.logs interface endpoint" in rec.message
    assert "TCP 443" in rec.message


def test_nat_per_az_weighs_the_inter_az_charge_against_the_extra_nat_hours() -> None:
    recs = run([], cross_az_bytes=500 * GB, cross_az_by_nat={"eni-nat": 500 * GB},
               nat_count=1, az_count=3)
    rec = one(recs, "nat-per-az")
    extra_hourly = 2 * NAT_H  # three AZs, one NAT: two more
    assert rec.cost_usd == pytest.approx(500 * INTER_AZ)
    assert rec.savings_usd == pytest.approx(500 * INTER_AZ - extra_hourly * SPAN / 3600)
    month = 500 * INTER_AZ * FACTOR - extra_hourly * 720
    assert rec.monthly_savings_usd == pytest.approx(month)
    assert rec.break_even_gb_per_month == pytest.approx(extra_hourly * 720 / INTER_AZ)
    assert rec.avoidable == (month > 0)
    assert "2 more" in rec.message and "regional NAT" in rec.message
    assert "create-nat-gateway" in rec.commands[0] and "aws_nat_gateway" in rec.commands[1]


def test_unknown_prices_leave_the_money_unknown_and_name_the_option() -> None:
    recs = run([row("S3", "eu-west-1", 4), row("KMS", "eu-west-1", 4)], prices=UNKNOWN,
               cross_az_bytes=GB)
    s3 = one(recs, "s3-gateway-endpoint")
    assert s3.avoidable and s3.cost_usd is None and s3.savings_usd is None
    assert "--price-per-gb" in s3.message
    kms = one(recs, "interface-endpoint")
    assert (kms.cost_usd, kms.savings_usd, kms.break_even_gb_per_month, kms.avoidable) == (
        None, None, None, False)
    assert "saving unknown" in kms.message
    az = one(recs, "nat-per-az")
    assert az.cost_usd is None and not az.avoidable and "inter-AZ transfer" in az.message


def test_other_aws_ranges_and_the_internet_get_no_endpoint_advice() -> None:
    recs = run([row("EC2", "eu-west-1", 3), row("INTERNET", None, 9), row("PRIVATE", None, 1)])
    rec = one(recs, "aws-service-via-nat")
    assert len(recs) == 1 and rec.savings_usd is None and not rec.avoidable
    assert rec.cost_usd == pytest.approx(3 * NAT_GB)
    # a peer with no region cannot be matched to an endpoint of the VPC's region
    regionless = run([row("S3", None, 1), row("KMS", None, 1)])
    assert [r.kind for r in regionless] == ["aws-service-via-nat"] * 2


def test_json_form_has_exactly_the_contract_keys_rounded() -> None:
    rec = one(run([row("KMS", "eu-west-1", 100)]), "interface-endpoint")
    doc = rec.to_dict()
    assert set(doc) == CONTRACT
    assert doc["savings_usd"] == round(rec.savings_usd or 0, 4)
    assert doc["commands"] == list(rec.commands) and len(doc["commands"]) == 2


def test_region_unknown_still_lists_s3_without_guessing() -> None:
    recs = advise([row("S3", "eu-west-1", 1)], None, prices=PRICES)
    rec = one(recs, "gateway-endpoint-region-unknown")
    assert rec.savings_usd is None and not rec.avoidable and "--vpc-region" in rec.message


def test_ecs_in_the_vpcs_region_takes_the_agent_telemetry_and_api_endpoints() -> None:
    """AWS's ECS VPC endpoint page: create ecs-agent, ecs-telemetry and ecs."""
    rec = one(run([row("ECS", "eu-west-1", 600)]), "interface-endpoint", "ECS")
    span, month, even = endpoint_figures(600, 3, 2)
    assert rec.savings_usd == pytest.approx(span)
    assert rec.monthly_savings_usd == pytest.approx(month)
    assert rec.break_even_gb_per_month == pytest.approx(even)
    assert [c.split("--service-name ")[1].split()[0] for c in rec.commands[0::2]] == [
        "com.amazonaws.eu-west-1.ecs-agent", "com.amazonaws.eu-west-1.ecs-telemetry",
        "com.amazonaws.eu-west-1.ecs"]
    assert "ecs-agent, ecs-telemetry, ecs; 3 x 2 AZs" in rec.message


def test_cross_region_endpoints_are_only_the_names_aws_lists_for_that() -> None:
    """The cross-region page lists com.amazonaws.<region>.ecs only (no agent/telemetry), and
    kinesisanalytics for Managed Service for Apache Flink."""
    recs = run([row("ECS", "us-west-2", 300), row("KINESIS_ANALYTICS", "us-west-2", 300)])
    ecs = one(recs, "cross-region-interface-endpoint", "ECS")
    flink = one(recs, "cross-region-interface-endpoint", "KINESIS_ANALYTICS")
    span, month, _ = endpoint_figures(300, 1, 2)
    assert ecs.savings_usd == pytest.approx(span) and ecs.monthly_savings_usd == pytest.approx(
        month)
    assert len(ecs.commands) == len(flink.commands) == 2
    assert "--service-name com.amazonaws.us-west-2.ecs --service-region us-west-2" in (
        ecs.commands[0])
    assert "--service-name com.amazonaws.us-west-2.kinesisanalytics --service-region " \
        "us-west-2" in flink.commands[0]
    assert all(c.startswith("aws ec2 create-vpc-endpoint --region eu-west-1 ")
               for c in (ecs.commands[0], flink.commands[0]))


def test_cross_region_s3_leaves_private_dns_off_and_says_how_clients_use_the_endpoint() -> None:
    rec = one(run([row("S3", "us-west-2", 200)]), "cross-region-interface-endpoint", "S3")
    cli, tf = rec.commands
    assert cli.endswith(" --no-private-dns-enabled")  # said, not left to a default
    assert "private_dns_enabled = false" in tf
    assert "DnsEntries" in rec.message and "keep crossing the NAT" in rec.message
    # its own resource name (a report may also hold the same-region gateway "s3"), and the
    # provider version service_region needs
    assert 'resource "aws_vpc_endpoint" "s3_us_west_2" {' in tf
    assert tf.startswith("# service_region: hashicorp/aws 5.83.0 or later")


def test_cross_region_ecr_says_the_layers_still_come_from_s3_there() -> None:
    rec = one(run([row("ECR", "us-west-2", 100)]), "cross-region-interface-endpoint", "ECR")
    assert "Image layers come from S3 in us-west-2" in rec.message
    assert [c.split("--service-name ")[1].split()[0] for c in rec.commands[0::2]] == [
        "com.amazonaws.us-west-2.ecr.api", "com.amazonaws.us-west-2.ecr.dkr"]
    assert all(c.endswith(" --private-dns-enabled") for c in rec.commands[0::2])


def test_region_less_iam_and_route53_names_get_no_endpoint_advice() -> None:
    """AWS lists com.amazonaws.iam and com.amazonaws.route53 as cross-region, but their names
    carry no region and ip-ranges' ROUTE53 ranges are the name servers: no endpoint advice."""
    recs = run([row("IAM", "us-east-1", 5), row("ROUTE53", "us-east-1", 5),
                row("ROUTE53", "eu-west-1", 5)])
    assert [r.kind for r in recs] == ["aws-service-via-nat"] * 3


def test_ecr_layers_known_from_dns_are_left_to_the_s3_gateway_and_only_registry_bytes_priced(
) -> None:
    # 300 GB of ECR pulls of which 280 GB are image layers: only 20 GB of registry calls go
    # through the interface-endpoint arithmetic (the layers' saving is the S3 gateway's).
    rec = one(run([], ecr_seen=True, ecr_bytes=300 * GB, ecr_layer_bytes=280 * GB),
              "ecr-endpoints")
    span, month, even = endpoint_figures(20, 2, 2)
    assert (rec.bytes, rec.cost_usd) == (300 * GB, pytest.approx(300 * NAT_GB))
    assert rec.savings_usd == pytest.approx(span)
    assert rec.monthly_savings_usd == pytest.approx(month)
    assert rec.break_even_gb_per_month == pytest.approx(even)
    assert "280.0 GB of image layers" in rec.message and "20.0 GB of registry" in rec.message
