"""Advice from the NAT's bytes per peer service and region (:func:`advise`).

S3 and DynamoDB have *gateway* VPC endpoints, which are free and carry traffic to the service in
the VPC's own region only. NAT bytes to S3/DynamoDB in the VPC's region are avoidable: a
recommendation with the bytes, the cost observed and a monthly projection (observed cost scaled
linearly from the observed time span to 30 days). S3/DynamoDB in other regions is listed but not
counted avoidable. Traffic to other AWS services through the NAT is listed with its cost;
interface endpoints (PrivateLink) for them are billed per hour and per GB, so awsip does not
call them free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..units import human_bytes, usd
from .prices import DEFAULT_PRICE_PER_GB, GB_BYTES, cost

#: Services with free gateway VPC endpoints (labels of the primary service rule).
GATEWAY_ENDPOINT_SERVICES = {"S3": "s3-gateway-endpoint", "DYNAMODB": "dynamodb-gateway-endpoint"}


@dataclass(frozen=True)
class Recommendation:
    """One piece of advice about traffic through the NAT gateway.

    ``kind``: ``s3-gateway-endpoint`` / ``dynamodb-gateway-endpoint`` (avoidable),
    ``cross-region`` (S3/DynamoDB in another region: not avoidable by a gateway endpoint),
    ``gateway-endpoint-region-unknown`` (S3/DynamoDB, VPC region unknown),
    ``aws-service-via-nat`` (other AWS service; interface endpoints cost money).
    """

    kind: str
    service: str
    region: str | None
    bytes: int
    cost_usd: float
    avoidable: bool
    savings_usd: float | None
    monthly_savings_usd: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "service": self.service, "region": self.region,
                "bytes": self.bytes, "cost_usd": round(self.cost_usd, 4),
                "avoidable": self.avoidable,
                "savings_usd": None if self.savings_usd is None else round(self.savings_usd, 4),
                "monthly_savings_usd": None if self.monthly_savings_usd is None
                else round(self.monthly_savings_usd, 4),
                "message": self.message}


def advise(by_service: list[dict[str, Any]], vpc_region: str | None, *,
           price_per_gb: float = DEFAULT_PRICE_PER_GB, gb_bytes: int = GB_BYTES,
           monthly_factor: float | None = None) -> list[Recommendation]:
    """Recommendations from NAT bytes per peer (``service``, ``region``, ``bytes`` rows).

    Avoidable gateway-endpoint traffic first (biggest first), then cross-region and
    unknown-region S3/DynamoDB, then other AWS services; INTERNET and PRIVATE peers ignored.
    """
    avoid: list[Recommendation] = []
    other: list[Recommendation] = []
    for row in by_service:
        service, region, nbytes = row["service"], row.get("region"), int(row["bytes"])
        if not nbytes or service in ("INTERNET", "PRIVATE", None):
            continue
        cost_ = cost(nbytes, price_per_gb, gb_bytes)
        size, money = human_bytes(nbytes, gb_bytes), usd(cost_)
        if service in GATEWAY_ENDPOINT_SERVICES:
            name = "S3" if service == "S3" else "DynamoDB"
            if vpc_region is None:
                other.append(Recommendation(
                    "gateway-endpoint-region-unknown", service, region, nbytes, cost_, False, None,
                    None,
                    f"{size} to {name} {region} crossed the NAT ({money}). A free "
                    f"{name} gateway endpoint removes this only if the VPC is in {region}; the "
                    "VPC's region is unknown (pass --vpc-region)."))
            elif region == vpc_region:
                monthly = cost_ * monthly_factor if monthly_factor else None
                per_month = f", about {usd(monthly)} per 30 days" if monthly is not None else ""
                avoid.append(Recommendation(
                    GATEWAY_ENDPOINT_SERVICES[service], service, region, nbytes, cost_, True, cost_,
                    monthly,
                    f"Add {'an' if name == 'S3' else 'a'} {name} gateway VPC endpoint in "
                    f"{region} (free) and route the private subnets to it: {size} "
                    f"({money}) would not have crossed the NAT"
                    f"{per_month}."))
            else:
                other.append(Recommendation(
                    "cross-region", service, region, nbytes, cost_, False, 0.0, 0.0,
                    f"{size} ({money}) to {name} in {region}, outside the VPC's region "
                    f"{vpc_region}: a gateway endpoint does not carry cross-region traffic."))
        else:
            other.append(Recommendation(
                "aws-service-via-nat", service, region, nbytes, cost_, False, None, None,
                f"{size} ({money}) to {service} {region or ''} crossed the NAT. An "
                "interface VPC endpoint (PrivateLink) may apply, but it is billed per hour and "
                "per GB: compare before switching."))
    avoid.sort(key=lambda r: -r.bytes)
    order = {"cross-region": 0, "gateway-endpoint-region-unknown": 1, "aws-service-via-nat": 2}
    other.sort(key=lambda r: (order[r.kind], -r.bytes))
    return avoid + other


__all__ = ["GATEWAY_ENDPOINT_SERVICES", "Recommendation", "advise"]
