"""Advice with arithmetic from the NAT's bytes per peer service and region (:func:`advise`).

Each :class:`Recommendation` gives the bytes, what they cost through the NAT, the saving over
the observed span and per 30 days, the break-even traffic in GB per month where a change has a
fixed cost, and the exact ``aws ec2 ...`` command and Terraform snippet. ``avoidable`` is true
only when the change removes the charge at a net saving.

- **S3/DynamoDB in the VPC's region**: *gateway* endpoints, "no additional charge", same region
  only (AWS: "Gateway endpoints",
  https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html). Saving: the whole
  NAT charge; break-even 0 GB.
- **Interface endpoints** (PrivateLink) for other AWS services with a known endpoint name:
  billed per endpoint per AZ-hour and per GB processed (AWS PrivateLink pricing,
  https://aws.amazon.com/privatelink/pricing/). Saving = NAT $/GB x GB - (endpoint $/GB x GB +
  endpoint $/AZ-hour x AZs x hours); break-even GB/month = endpoint $/AZ-hour x AZs x 720 h /
  (NAT $/GB - endpoint $/GB). ECS needs three of them (``ecs-agent``, ``ecs-telemetry``,
  ``ecs``: AWS "Amazon ECS interface VPC endpoints",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html).
- **S3 (and the other services AWS lists) in another region**: a cross-region interface
  endpoint, created in the VPC's region for the service name of the service's region
  (``com.amazonaws.<service region>.s3``) with ``--service-region`` (AWS: "Cross-region enabled
  AWS services",
  https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html,
  whose example lists them with ``describe-vpc-endpoint-services --service-region``; the
  option and the ``ServiceRegion`` member, "The Region where the service is hosted", are in
  the AWS CLI reference,
  https://docs.aws.amazon.com/cli/latest/reference/ec2/create-vpc-endpoint.html, and botocore's
  ``ec2`` model). Terraform: ``aws_vpc_endpoint``'s ``service_region``, in hashicorp/aws 5.83.0
  and later ("If specified, the VPC endpoint will connect to the service in the provided region.
  Applicable for endpoints of type Interface."); hashicorp/terraform-provider-aws#46070 (open,
  January 2026) asks for cross-region *AWS services* in that resource, and #42970 (open, from
  before AWS services went cross-region) reports InvalidServiceName for an AWS service name
  with ``service_region``, so the snippet says to check the provider. Same arithmetic; the
  inter-region data transfer remains and is not in the table (the pricing page: "you will incur
  data transfer charges if you send data to a VPC endpoint").
- **ECR pulls**: image layers come from S3, so the S3 *gateway* endpoint (an S3 interface
  endpoint does not serve ECR) plus ``ecr.api`` and ``ecr.dkr`` interface endpoints, private
  DNS required on ``ecr.dkr``; tasks on Fargate logging with ``awslogs`` also need the ``logs``
  endpoint, ECS tasks on EC2 the ECS ones (AWS: "Amazon ECR interface VPC endpoints",
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html, and the ECS page
  above).
- **Cross-AZ bytes to a zonal NAT**: a NAT per AZ (or a regional NAT): saving = inter-AZ $/GB x
  GB - NAT $/hour x extra NATs x hours; break-even GB/month = extra NATs x NAT $/hour x 720 /
  inter-AZ $/GB.

The ``aws ec2 create-vpc-endpoint`` options are checked against botocore's ``CreateVpcEndpoint``
input shape and the Terraform arguments against the provider's documented ones
(``tests/test_recommend_commands.py``).

Prices come from :mod:`.prices` for the VPC's region; a price the table lacks leaves the figure
unknown (None) and the message names the option that supplies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..units import human_bytes, usd
from .prices import GB_BYTES, MONTH_HOURS, RegionPrices, cost, prices_for

#: Services with free gateway VPC endpoints (labels of the primary service rule).
GATEWAY_ENDPOINT_SERVICES = {"S3": "s3-gateway-endpoint", "DYNAMODB": "dynamodb-gateway-endpoint"}

#: Interface endpoint service-name suffixes (``com.amazonaws.<region>.<suffix>``) by service
#: label, for the VPC's own region. Of these only S3 is an ip-ranges label (and in the VPC's
#: region S3 takes the free gateway endpoint first); the others apply when the caller labels
#: traffic so (e.g. from an inventory). ip-ranges labels such as API_GATEWAY or CODEBUILD are
#: left out on purpose: their ranges are public API front ends and build hosts' addresses,
#: which an interface endpoint does not serve. ECS: the agent and telemetry endpoints too
#: ("Amazon ECS interface VPC endpoints": create ``ecs-agent``, ``ecs-telemetry``, ``ecs``).
INTERFACE_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "S3": ("s3",), "ECR": ("ecr.api", "ecr.dkr"), "KMS": ("kms",),
    "ECS": ("ecs-agent", "ecs-telemetry", "ecs"), "LAMBDA": ("lambda",),
    "KINESIS_FIREHOSE": ("kinesis-firehose",), "KINESIS_ANALYTICS": ("kinesisanalytics",)}

#: The service names AWS's "Cross-region enabled AWS services" page lists, by label: reachable
#: from another region through an interface endpoint with ``--service-region``. Only what the
#: page lists (for ECS only ``ecs``). Left out: the FIPS names (``kms-fips``,
#: ``kinesisanalytics-fips``: chosen by the caller, not by traffic), and IAM
#: (``com.amazonaws.iam``) and Route 53 (``com.amazonaws.route53``), whose names carry no region
#: and whose traffic ip-ranges does not label as their APIs (its ROUTE53 ranges are the name
#: servers). KINESIS_ANALYTICS is Amazon Managed Service for Apache Flink.
CROSS_REGION_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "S3": ("s3",), "ECR": ("ecr.api", "ecr.dkr"), "KMS": ("kms",), "ECS": ("ecs",),
    "LAMBDA": ("lambda",), "KINESIS_FIREHOSE": ("kinesis-firehose",),
    "KINESIS_ANALYTICS": ("kinesisanalytics",)}

#: Services AWS lists as reachable through a cross-region interface endpoint (page above).
CROSS_REGION_SERVICES = frozenset(CROSS_REGION_ENDPOINTS)

#: Availability Zones an interface endpoint is assumed to span when the count is not given.
DEFAULT_ENDPOINT_AZS = 2


@dataclass(frozen=True)
class Recommendation:
    """One piece of advice about traffic through the NAT gateway.

    ``kind``: ``s3-gateway-endpoint`` / ``dynamodb-gateway-endpoint`` (free, same region),
    ``interface-endpoint``, ``cross-region-interface-endpoint``, ``ecr-endpoints``,
    ``nat-per-az``, ``cross-region`` (another region, no endpoint carries it),
    ``gateway-endpoint-region-unknown`` (VPC region unknown), ``aws-service-via-nat`` (no
    endpoint name known for the service). Money in USD; None when a price is unknown.
    """

    kind: str
    service: str
    region: str | None
    bytes: int
    cost_usd: float | None
    avoidable: bool
    savings_usd: float | None
    monthly_savings_usd: float | None
    message: str
    break_even_gb_per_month: float | None = None
    commands: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        def money(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {"kind": self.kind, "service": self.service, "region": self.region,
                "bytes": self.bytes, "cost_usd": money(self.cost_usd),
                "avoidable": self.avoidable, "savings_usd": money(self.savings_usd),
                "monthly_savings_usd": money(self.monthly_savings_usd),
                "break_even_gb_per_month": None if self.break_even_gb_per_month is None
                else round(self.break_even_gb_per_month, 3),
                "commands": list(self.commands), "message": self.message}


@dataclass(frozen=True)
class _Ctx:
    """What every recommendation needs: prices, GB size, the month factor, the span, AZs."""

    prices: RegionPrices
    vpc_region: str | None
    gb_bytes: int
    monthly_factor: float | None
    span_hours: float | None
    azs: int
    azs_assumed: bool

    def nat_cost(self, nbytes: int) -> float | None:
        p = self.prices.nat_per_gb
        return None if p is None else cost(nbytes, p, self.gb_bytes)

    def monthly(self, observed: float | None) -> float | None:
        return None if observed is None or not self.monthly_factor else \
            observed * self.monthly_factor


def advise(by_service: list[dict[str, Any]], vpc_region: str | None, *,
           price_per_gb: float | None = None, gb_bytes: int = GB_BYTES,
           monthly_factor: float | None = None, prices: RegionPrices | None = None,
           cross_az_bytes: int = 0, cross_az_by_nat: dict[str, int] | None = None,
           nat_hours: float | None = None, nat_count: int = 0,
           span_seconds: float | None = None, ecr_seen: bool = False, ecr_bytes: int = 0,
           ecr_layer_bytes: int = 0, az_count: int | None = None) -> list[Recommendation]:
    """Recommendations from NAT bytes per peer (``service``, ``region``, ``bytes`` rows).

    ``prices``: the VPC region's prices (default: :func:`.prices.prices_for` of ``vpc_region``
    with ``price_per_gb``). ``cross_az_bytes``: bytes between inside sources and a NAT in
    another AZ (each direction counted once); ``az_count``: AZs an endpoint or NATs would span
    (default 2, said in the message). ``nat_hours`` is accepted for the report's NAT section
    (advice uses the span). Order: avoidable first (biggest saving first), then the rest.
    """
    del nat_hours  # the hourly NAT charge is the report's; advice compares per span/month
    ctx = _Ctx(prices or prices_for(vpc_region, price_per_gb=price_per_gb), vpc_region,
               gb_bytes, monthly_factor, span_seconds / 3600 if span_seconds else None,
               az_count or DEFAULT_ENDPOINT_AZS, az_count is None)
    recs = [rec for row in by_service if (rec := _one(row, ctx)) is not None]
    if ecr_seen:
        recs.append(_ecr(ecr_bytes, min(ecr_layer_bytes, ecr_bytes), ctx))
    if cross_az_bytes > 0:
        recs.append(_nat_per_az(cross_az_bytes, cross_az_by_nat or {}, nat_count, ctx))
    order = {"cross-region": 0, "gateway-endpoint-region-unknown": 1, "aws-service-via-nat": 2}
    avoid = sorted((r for r in recs if r.avoidable), key=lambda r: -(r.savings_usd or 0))
    other = sorted((r for r in recs if not r.avoidable),
                   key=lambda r: (order.get(r.kind, -1), -r.bytes))
    return avoid + other


def _one(row: dict[str, Any], ctx: _Ctx) -> Recommendation | None:
    """The recommendation for one (service, region) row of NAT bytes; None for the internet,
    private peers and empty rows."""
    service, region, nbytes = row["service"], row.get("region"), int(row["bytes"])
    if not nbytes or service in ("INTERNET", "PRIVATE", None):
        return None
    if service in GATEWAY_ENDPOINT_SERVICES:
        if ctx.vpc_region is None:
            return _region_unknown(service, region, nbytes, ctx)
        if region == ctx.vpc_region:
            return _gateway(service, region, nbytes, ctx)
    if ctx.vpc_region is not None and region is not None:
        if region == ctx.vpc_region and service in INTERFACE_ENDPOINTS:
            return _interface(service, region, nbytes, ctx, cross=False)  # (S3: gateway above)
        if region != ctx.vpc_region and service in CROSS_REGION_ENDPOINTS:
            return _interface(service, region, nbytes, ctx, cross=True)
    if service in GATEWAY_ENDPOINT_SERVICES and region is not None:
        return _cross_region(service, region, nbytes, ctx)
    return _via_nat(service, region, nbytes, ctx)


def _gateway(service: str, region: str, nbytes: int, ctx: _Ctx) -> Recommendation:
    """A free gateway endpoint for S3/DynamoDB in the VPC's region: the whole NAT charge goes."""
    name = "S3" if service == "S3" else "DynamoDB"
    cost_ = ctx.nat_cost(nbytes)
    monthly = ctx.monthly(cost_)
    size = human_bytes(nbytes, ctx.gb_bytes)
    if cost_ is None:
        money, tail = "price unknown", f" ({ctx.prices.unknown_note('nat_per_gb')})"
    else:
        money = usd(cost_)
        tail = f", about {usd(monthly)} per 30 days" if monthly is not None else ""
    return Recommendation(
        GATEWAY_ENDPOINT_SERVICES[service], service, region, nbytes, cost_, True, cost_,
        monthly,
        f"Add {'an' if name == 'S3' else 'a'} {name} gateway VPC endpoint in {region} (free) "
        f"and route the private subnets to it: {size} ({money}) would not have crossed the "
        f"NAT{tail}.", 0.0, _gateway_commands(service.lower(), region))


def _region_unknown(service: str, region: str | None, nbytes: int, ctx: _Ctx
                    ) -> Recommendation:
    name = "S3" if service == "S3" else "DynamoDB"
    cost_ = ctx.nat_cost(nbytes)
    money = usd(cost_) if cost_ is not None else "price unknown"
    return Recommendation(
        "gateway-endpoint-region-unknown", service, region, nbytes, cost_, False, None, None,
        f"{human_bytes(nbytes, ctx.gb_bytes)} to {name} {region} crossed the NAT ({money}). A "
        f"free {name} gateway endpoint removes this only if the VPC is in {region}; the VPC's "
        "region is unknown (pass --vpc-region).")


def _cross_region(service: str, region: str | None, nbytes: int, ctx: _Ctx) -> Recommendation:
    """S3/DynamoDB in another region with no endpoint that carries it (DynamoDB)."""
    name = "S3" if service == "S3" else "DynamoDB"
    cost_ = ctx.nat_cost(nbytes)
    money = usd(cost_) if cost_ is not None else "price unknown"
    return Recommendation(
        "cross-region", service, region, nbytes, cost_, False, 0.0, 0.0,
        f"{human_bytes(nbytes, ctx.gb_bytes)} ({money}) to {name} in {region}, outside the "
        f"VPC's region {ctx.vpc_region}: a gateway endpoint does not carry cross-region "
        "traffic, and AWS lists no cross-region interface endpoint for it.")


def _via_nat(service: str, region: str | None, nbytes: int, ctx: _Ctx) -> Recommendation:
    cost_ = ctx.nat_cost(nbytes)
    money = usd(cost_) if cost_ is not None else "price unknown"
    return Recommendation(
        "aws-service-via-nat", service, region, nbytes, cost_, False, None, None,
        f"{human_bytes(nbytes, ctx.gb_bytes)} ({money}) to {service} {region or ''} crossed "
        "the NAT. awsip knows no endpoint for this address range (an interface VPC endpoint "
        "may exist for the API behind it); interface endpoints are billed per hour and per "
        "GB: compare before switching.")


@dataclass(frozen=True)
class _Endpoint:
    """The arithmetic of replacing NAT bytes with ``count`` interface endpoints."""

    nat_cost: float | None
    endpoint_cost: float | None
    savings: float | None
    monthly_savings: float | None
    break_even: float | None


def _endpoint_math(nbytes: int, count: int, ctx: _Ctx) -> _Endpoint:
    """NAT charge vs. ``count`` interface endpoints x AZs over the span and per 30 days."""
    p = ctx.prices
    nat = ctx.nat_cost(nbytes)
    per_gb, per_hour = p.interface_endpoint_per_gb, p.interface_endpoint_per_az_hour
    if nat is None or per_gb is None or per_hour is None or p.nat_per_gb is None:
        return _Endpoint(nat, None, None, None, None)
    fixed_hour = per_hour * count * ctx.azs
    margin = p.nat_per_gb - per_gb
    break_even = fixed_hour * MONTH_HOURS / margin if margin > 0 else None
    if ctx.span_hours is None:
        return _Endpoint(nat, None, None, None, break_even)
    endpoint = cost(nbytes, per_gb, ctx.gb_bytes) + fixed_hour * ctx.span_hours
    monthly = None
    if ctx.monthly_factor:
        month_bytes = nbytes * ctx.monthly_factor
        monthly = cost(month_bytes, margin, ctx.gb_bytes) - fixed_hour * MONTH_HOURS
    return _Endpoint(nat, endpoint, nat - endpoint, monthly, break_even)


def _interface(service: str, region: str, nbytes: int, ctx: _Ctx, *, cross: bool
               ) -> Recommendation:
    """Interface endpoint(s) for ``service`` in ``region`` (the VPC's, or another one: then
    only the names AWS lists as cross-region, created in the VPC's region)."""
    names = (CROSS_REGION_ENDPOINTS if cross else INTERFACE_ENDPOINTS)[service]
    m = _endpoint_math(nbytes, len(names), ctx)
    worth = m.monthly_savings if m.monthly_savings is not None else m.savings
    avoidable = worth is not None and worth > 0
    kind = "cross-region-interface-endpoint" if cross else "interface-endpoint"
    vpc = ctx.vpc_region or region
    what = (f"a cross-region interface endpoint in {vpc} for {service} in {region}" if cross
            else f"{'an interface endpoint' if len(names) == 1 else 'interface endpoints'} "
                 f"for {service} in {region}")
    text = (f"{human_bytes(nbytes, ctx.gb_bytes)} to {service} {region} crossed the NAT "
            f"({_money(m.nat_cost)}). With {what} ({', '.join(names)}; "
            f"{len(names)} x {ctx.azs} AZ{_azs_said(ctx)}): {_arith(m, ctx)}."
            f"{_interface_notes(service, region, cross)}")
    commands = tuple(c for n in names for c in _interface_commands(
        n, vpc, region if cross else None))
    return Recommendation(kind, service, region, nbytes, m.nat_cost, avoidable, m.savings,
                          m.monthly_savings, text, m.break_even, commands)


def _interface_notes(service: str, region: str, cross: bool) -> str:
    """What else makes the endpoint carry the bytes (AWS's pages cited in the module doc)."""
    notes = " Each endpoint's security group must allow TCP 443 from the private subnets."
    if cross and service == "S3":
        notes += (" The commands leave private DNS off for S3, so clients must address the "
                  "endpoint's own DNS name (DnsEntries of aws ec2 describe-vpc-endpoints, e.g. "
                  "with --endpoint-url); requests to the public S3 names keep crossing the NAT.")
    if cross and service == "ECR":
        notes += (f" Image layers come from S3 in {region}, which these endpoints do not "
                  "carry.")
    if cross:
        notes += " The inter-region data transfer remains either way (not in the price table)."
    return notes


def _ecr(nbytes: int, layer_bytes: int, ctx: _Ctx) -> Recommendation:
    """ECR pulls: the S3 gateway endpoint carries the image layers, ``ecr.api`` and
    ``ecr.dkr`` interface endpoints the registry API (AWS's ECR VPC endpoint page; ``ecr.dkr``
    needs private DNS; an S3 interface endpoint does not serve ECR: AWS's ECS VPC endpoint
    page). ``layer_bytes`` of the ``nbytes`` are image layers (known from DNS names): they are
    S3 traffic, saved by the free gateway endpoint (counted in the S3 advice), so only the
    rest goes through the interface-endpoint arithmetic (all of it when the split is not
    known)."""
    region = ctx.vpc_region
    registry = nbytes - layer_bytes
    m = _endpoint_math(registry, 2, ctx)
    worth = m.monthly_savings if m.monthly_savings is not None else m.savings
    logs = f"com.amazonaws.{region or '<region>'}.logs"
    split = (f"{human_bytes(layer_bytes, ctx.gb_bytes)} of image layers (S3 traffic: their "
             f"saving is in the S3 gateway endpoint advice) and "
             f"{human_bytes(registry, ctx.gb_bytes)} of registry calls"
             if layer_bytes else f"{human_bytes(nbytes, ctx.gb_bytes)}")
    text = (f"ECR image pulls cross the NAT: image layers are served from S3, so the S3 gateway "
            f"endpoint (free; an S3 interface endpoint does not serve ECR) carries them; "
            f"ecr.api and ecr.dkr interface endpoints carry the registry calls, ecr.dkr with "
            f"private DNS enabled ({split} seen, {_money(m.nat_cost)}; 2 endpoints x "
            f"{ctx.azs} AZ{_azs_said(ctx)}: {_arith(m, ctx)}). Their security group must "
            f"allow TCP 443 from the private subnets. Not in the arithmetic: ECS tasks on "
            f"Fargate that log with awslogs also need the {logs} interface endpoint, ECS tasks "
            f"on EC2 the ecs-agent, ecs-telemetry and ecs ones.")
    commands: tuple[str, ...] = ()
    if region is not None:
        commands = (*_gateway_commands("s3", region), *_interface_commands("ecr.api", region),
                    *_interface_commands("ecr.dkr", region))
    else:
        text += " The VPC's region is unknown (pass --vpc-region)."
    return Recommendation("ecr-endpoints", "ECR", region, nbytes, ctx.nat_cost(nbytes),
                          worth is not None and worth > 0, m.savings, m.monthly_savings, text,
                          m.break_even, commands)


def _nat_per_az(nbytes: int, by_nat: dict[str, int], nat_count: int, ctx: _Ctx
                ) -> Recommendation:
    """Cross-AZ bytes to a zonal NAT: one NAT per AZ (or a regional NAT) removes the
    inter-AZ charge at the price of the extra NATs' hours."""
    p = ctx.prices
    extra = max(ctx.azs - nat_count, 1)
    cross = None if p.inter_az_per_gb is None else cost(nbytes, p.inter_az_per_gb, ctx.gb_bytes)
    savings = monthly = break_even = None
    if cross is not None and p.nat_per_hour is not None and p.inter_az_per_gb:
        hours = extra * p.nat_per_hour
        break_even = hours * MONTH_HOURS / p.inter_az_per_gb
        if ctx.span_hours is not None:
            savings = cross - hours * ctx.span_hours
        if ctx.monthly_factor:
            monthly = cross * ctx.monthly_factor - hours * MONTH_HOURS
    worth = monthly if monthly is not None else savings
    missing = [f for f in ("inter_az_per_gb", "nat_per_hour") if getattr(p, f) is None]
    nats = ", ".join(f"{k}: {human_bytes(v, ctx.gb_bytes)}" for k, v in sorted(by_nat.items()))
    text = (f"{human_bytes(nbytes, ctx.gb_bytes)} crossed Availability Zones to reach a NAT "
            f"gateway{f' ({nats})' if nats else ''}: inter-AZ transfer "
            f"{_money(cross) if cross is not None else 'at an unknown price'}. A NAT "
            f"gateway in each AZ ({extra} more, route each private subnet to its own AZ's NAT), "
            f"or a regional NAT gateway, removes it: "
            f"{_arith_nat(savings, monthly, break_even)}.")
    if missing:
        note = "; ".join(p.unknown_note(f) for f in missing)
        text += f" {note[0].upper()}{note[1:]}."
    commands = _nat_commands(ctx.vpc_region)
    return Recommendation("nat-per-az", "NAT", ctx.vpc_region, nbytes, cross,
                          worth is not None and worth > 0, savings, monthly, text, break_even,
                          commands)


def _money(x: float | None) -> str:
    return "price unknown" if x is None else usd(x)


def _net(x: float) -> str:
    """A net saving in words: "saving $X", or "$X more than the NAT" when negative."""
    return f"saving {usd(x)}" if x >= 0 else f"{usd(-x)} more than the NAT"


def _azs_said(ctx: _Ctx) -> str:
    return "s, assumed (pass the AZ count)" if ctx.azs_assumed else ("s" if ctx.azs > 1 else "")


def _arith(m: _Endpoint, ctx: _Ctx) -> str:
    """The endpoint arithmetic in words: cost, saving, per month, break-even."""
    missing = [f for f in ("nat_per_gb", "interface_endpoint_per_gb",
                           "interface_endpoint_per_az_hour") if getattr(ctx.prices, f) is None]
    if missing:
        return "saving unknown; " + "; ".join(ctx.prices.unknown_note(f) for f in missing)
    parts = []
    if m.endpoint_cost is not None and m.savings is not None:
        parts.append(f"endpoint cost {usd(m.endpoint_cost)}, {_net(m.savings)} over the "
                     "observed span")
    if m.monthly_savings is not None:
        parts.append(f"{_net(m.monthly_savings)} per 30 days")
    parts.append("break-even " + (f"{m.break_even:,.1f} GB/month" if m.break_even is not None
                                  else "never (the endpoint's per-GB price is not lower)"))
    return ", ".join(parts)


def _arith_nat(savings: float | None, monthly: float | None, break_even: float | None) -> str:
    if break_even is None:
        return "saving unknown"
    parts = [] if savings is None else [f"{_net(savings)} over the observed span"]
    if monthly is not None:
        parts.append(f"{_net(monthly)} per 30 days")
    parts.append(f"break-even {break_even:,.1f} GB/month of cross-AZ traffic")
    return ", ".join(parts)


def _gateway_commands(suffix: str, region: str) -> tuple[str, str]:
    """The AWS CLI command and Terraform resource for a gateway endpoint (set the shell
    variables VPC_ID and ROUTE_TABLE_IDS first). As the AWS CLI reference's gateway example
    (``--service-name com.amazonaws.us-east-1.s3 --route-table-ids ...``), with the type said
    although Gateway is the default."""
    service = f"com.amazonaws.{region}.{suffix}"
    return (f"aws ec2 create-vpc-endpoint --region {region} --vpc-id \"$VPC_ID\" "
            f"--vpc-endpoint-type Gateway --service-name {service} "
            f"--route-table-ids $ROUTE_TABLE_IDS",
            f"resource \"aws_vpc_endpoint\" \"{suffix}\" {{\n"
            f"  vpc_id            = var.vpc_id\n"
            f"  service_name      = \"{service}\"\n"
            f"  vpc_endpoint_type = \"Gateway\"\n"
            f"  route_table_ids   = var.private_route_table_ids\n}}")


def _interface_commands(suffix: str, region: str, service_region: str | None = None
                        ) -> tuple[str, str]:
    """CLI command and Terraform for an interface endpoint in ``region`` (VPC's) to the
    service in ``service_region`` (cross-region) or the same region (set VPC_ID, SUBNET_IDS,
    SECURITY_GROUP_ID first).

    Private DNS is said explicitly either way rather than left to a default: on, except for
    S3, where it interacts with the S3 gateway endpoint (the DnsOptions member
    PrivateDnsOnlyForInboundResolverEndpoint, "available only for services that support both
    gateway and interface endpoints") and the pages read say nothing of it across regions;
    ``ecr.dkr`` requires it (AWS's ECR VPC endpoint page)."""
    service = f"com.amazonaws.{service_region or region}.{suffix}"
    cross_cli = f" --service-region {service_region}" if service_region else ""
    cross_tf = f"  service_region      = \"{service_region}\"\n" if service_region else ""
    tf_note = ("# service_region: hashicorp/aws 5.83.0 or later; for AWS services see\n"
               "# hashicorp/terraform-provider-aws#46070 before relying on it\n"
               if service_region else "")
    dns = suffix != "s3"
    # the resource's name: one per endpoint, so a report's snippets can share a module
    label = "_".join((suffix, *([service_region] if service_region else []))
                     ).replace(".", "_").replace("-", "_")
    return (f"aws ec2 create-vpc-endpoint --region {region} --vpc-id \"$VPC_ID\" "
            f"--vpc-endpoint-type Interface --service-name {service}{cross_cli} "
            f"--subnet-ids $SUBNET_IDS --security-group-ids \"$SECURITY_GROUP_ID\" "
            f"--{'' if dns else 'no-'}private-dns-enabled",
            f"{tf_note}resource \"aws_vpc_endpoint\" \"{label}\" {{\n"
            f"  vpc_id              = var.vpc_id\n"
            f"  service_name        = \"{service}\"\n{cross_tf}"
            f"  vpc_endpoint_type   = \"Interface\"\n"
            f"  subnet_ids          = var.private_subnet_ids\n"
            f"  security_group_ids  = [var.endpoint_security_group_id]\n"
            f"  private_dns_enabled = {'true' if dns else 'false'}\n}}")


def _nat_commands(region: str | None) -> tuple[str, str]:
    """A NAT gateway in another AZ and the route of that AZ's private subnets to it (set
    SUBNET_ID, ALLOCATION_ID, ROUTE_TABLE_ID, NAT_ID first)."""
    flag = f" --region {region}" if region else ""
    return (f"aws ec2 create-nat-gateway{flag} --subnet-id \"$PUBLIC_SUBNET_ID_IN_AZ\" "
            f"--allocation-id \"$EIP_ALLOCATION_ID\" && aws ec2 replace-route{flag} "
            f"--route-table-id \"$PRIVATE_ROUTE_TABLE_ID_IN_AZ\" "
            f"--destination-cidr-block 0.0.0.0/0 --nat-gateway-id \"$NEW_NAT_ID\"",
            "resource \"aws_nat_gateway\" \"per_az\" {\n"
            "  for_each      = var.public_subnet_id_by_az\n"
            "  subnet_id     = each.value\n"
            "  allocation_id = aws_eip.nat[each.key].id\n}\n"
            "resource \"aws_route\" \"private_default\" {\n"
            "  for_each               = var.private_route_table_id_by_az\n"
            "  route_table_id         = each.value\n"
            "  destination_cidr_block = \"0.0.0.0/0\"\n"
            "  nat_gateway_id         = aws_nat_gateway.per_az[each.key].id\n}")


__all__ = ["CROSS_REGION_ENDPOINTS", "CROSS_REGION_SERVICES", "DEFAULT_ENDPOINT_AZS",
           "GATEWAY_ENDPOINT_SERVICES", "INTERFACE_ENDPOINTS", "Recommendation", "advise"]
