"""Prices used to turn bytes and hours into dollars, per region, from a dated table.

**The table.** ``data/prices.json`` (shipped with the package) holds, for every commercial
region, the NAT gateway price per hour and per GB, inter-AZ transfer per GB (each direction),
internet egress (first paid tier) per GB, and the interface endpoint price per AZ-hour and per
GB (first tier). Every number names its source (an AWS Price List offer file or API read, an
AWS pricing page, or, marked ``secondary``, a third-party page quoting AWS); a price no source
gave is ``null`` and stays unknown: awsip never borrows another region's price. Where each
number came from and when: docs/prices.md. :func:`load_prices` reads a file of the same shape
(``--prices FILE``) whose values override the bundled ones; ``price_per_gb`` (``--price-per-gb``)
overrides the NAT price per GB.

**Cost.** ``bytes / gb_bytes * price_per_gb``. AWS's price list says "per GB" without defining
it; awsip uses GB = 2**30 bytes (``gb_bytes``; pass ``10**9`` for decimal GB, which gives a 7.4%
higher figure). See docs/report.md.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..units import GIB

#: us-east-1 list price of NAT gateway data processing, USD per GB (the bundled table's
#: us-east-1 ``nat_per_gb``; kept for callers that pass a price explicitly).
DEFAULT_PRICE_PER_GB = 0.045
#: Bytes in the GB the price is quoted per (see the module doc).
GB_BYTES = GIB
#: Days in the month a monthly projection scales to.
MONTH_DAYS = 30
#: Hours in that month (for hourly charges projected to a month).
MONTH_HOURS = MONTH_DAYS * 24

#: The priced items of a region, in the table's order.
FIELDS = ("nat_per_hour", "nat_per_gb", "inter_az_per_gb", "internet_egress_per_gb",
          "interface_endpoint_per_az_hour", "interface_endpoint_per_gb")

#: What each field prices, for messages.
_LABELS = {"nat_per_hour": "NAT gateway hourly", "nat_per_gb": "NAT gateway per-GB",
           "inter_az_per_gb": "inter-AZ transfer", "internet_egress_per_gb": "internet egress",
           "interface_endpoint_per_az_hour": "interface endpoint hourly",
           "interface_endpoint_per_gb": "interface endpoint per-GB"}
_FORMAT = "awsip-prices/1"
_BUNDLED = "data/prices.json"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")


def cost(nbytes: int | float, price_per_gb: float = DEFAULT_PRICE_PER_GB,
         gb_bytes: int = GB_BYTES) -> float:
    """USD for ``nbytes`` at ``price_per_gb`` per GB of ``gb_bytes`` bytes."""
    return float(nbytes) / gb_bytes * price_per_gb


@dataclass(frozen=True)
class Price:
    """One number of the table and the text saying where it came from."""

    usd: float
    source: str


@dataclass(frozen=True)
class RegionPrices:
    """The prices of one region; ``None`` where no source gave one.

    ``source`` says where the NAT price per GB came from (and when), or, when it is unknown,
    which option supplies it; ``sources`` does so for every field. ``known``: the NAT price per
    GB is known.
    """

    region: str | None
    nat_per_gb: float | None
    nat_per_hour: float | None
    inter_az_per_gb: float | None
    internet_egress_per_gb: float | None
    interface_endpoint_per_az_hour: float | None
    interface_endpoint_per_gb: float | None
    source: str
    known: bool
    sources: dict[str, str] = field(default_factory=dict)

    def missing(self) -> list[str]:
        """The fields no source priced, in table order."""
        return [f for f in FIELDS if getattr(self, f) is None]

    def unknown_note(self, what: str) -> str:
        """A sentence saying ``what`` (a field) is unknown here and how to supply it."""
        option = ("--price-per-gb USD or --prices FILE" if what == "nat_per_gb"
                  else "--prices FILE")
        label = _LABELS.get(what, what)
        if self.region is None:
            return (f"the {label} price is unknown because the VPC's region is unknown: pass "
                    f"--vpc-region, or {option} (see docs/prices.md)")
        return (f"the price table has no {label} price for {self.region}: pass {option} "
                "(see docs/prices.md)")


@dataclass(frozen=True)
class Prices:
    """A dated price table: ``regions[region][field]`` is a :class:`Price` or ``None``."""

    compiled: str | None
    origin: str
    regions: dict[str, dict[str, Price | None]]

    @classmethod
    def bundled(cls) -> Prices:
        """The table shipped in the package (docs/prices.md says where each number is from)."""
        return _bundled()

    @classmethod
    def from_dict(cls, data: Any, origin: str) -> Prices:
        """Validate a table in the bundled shape; :class:`UsageError` names ``origin`` and the
        bad key or value."""
        return _parse(data, origin)

    def over(self, base: Prices) -> Prices:
        """This table's prices, falling back to ``base`` for regions and fields it leaves
        out (``null`` in this table counts as left out)."""
        merged = {r: dict(fields) for r, fields in base.regions.items()}
        for region, fields in self.regions.items():
            row = merged.setdefault(region, dict.fromkeys(FIELDS))
            row.update({k: v for k, v in fields.items() if v is not None})
        return Prices(self.compiled, f"{self.origin} over {base.origin}", merged)

    def lookup(self, region: str | None) -> RegionPrices:
        """The prices of ``region`` (all unknown when the region is None or not listed)."""
        row = self.regions.get(region or "", {})
        values = {f: row.get(f) for f in FIELDS}
        nat = values["nat_per_gb"]
        sources = {f: p.source for f, p in values.items() if p is not None}
        probe = RegionPrices(region, None, None, None, None, None, None, "", False)
        source = nat.source if nat is not None else probe.unknown_note("nat_per_gb")
        return RegionPrices(
            region=region, **{f: (p.usd if p is not None else None) for f, p in values.items()},
            source=source, known=nat is not None, sources=sources)


def prices_for(region: str | None, *, table: Prices | None = None,
               price_per_gb: float | None = None) -> RegionPrices:
    """The prices of ``region`` from ``table`` (default: the bundled one); ``price_per_gb``
    (``--price-per-gb``), when given, wins for the NAT price per GB."""
    got = (table or Prices.bundled()).lookup(region)
    if price_per_gb is None:
        return got
    if not math.isfinite(price_per_gb) or price_per_gb < 0:
        raise UsageError(f"price per GB must be a non-negative number, got {price_per_gb!r}")
    text = f"--price-per-gb {price_per_gb:g} (given)"
    return RegionPrices(
        region=got.region, nat_per_gb=price_per_gb, nat_per_hour=got.nat_per_hour,
        inter_az_per_gb=got.inter_az_per_gb, internet_egress_per_gb=got.internet_egress_per_gb,
        interface_endpoint_per_az_hour=got.interface_endpoint_per_az_hour,
        interface_endpoint_per_gb=got.interface_endpoint_per_gb, source=text, known=True,
        sources={**got.sources, "nat_per_gb": text})


@dataclass(frozen=True)
class HoursCost:
    """NAT gateway hours over the observed span and their cost, with what was assumed."""

    hours: float | None
    cost_usd: float | None
    note: str


def nat_hours_cost(prices: RegionPrices, gateways: int, span_seconds: float | None
                   ) -> HoursCost:
    """The hourly charge of ``gateways`` NAT gateways over the observed span, assuming each ran
    for the whole span, rounded up to whole hours (said in ``note``); unknown (None) when the
    span, the gateway count or the hourly price is."""
    if not gateways or not span_seconds or span_seconds <= 0:
        return HoursCost(None, None, "the time span or the number of gateways is unknown")
    hours = gateways * math.ceil(span_seconds / 3600)
    assumed = (f"assumed {gateways} NAT gateway(s) running for the whole observed span "
               f"({math.ceil(span_seconds / 3600)} h each, rounded up): {hours} gateway-hours")
    if prices.nat_per_hour is None:
        return HoursCost(float(hours), None, f"{assumed}; {prices.unknown_note('nat_per_hour')}")
    return HoursCost(float(hours), hours * prices.nat_per_hour,
                     f"{assumed} at ${prices.nat_per_hour:g}/h")


def load_prices(path: str | os.PathLike[str]) -> Prices:
    """A ``--prices FILE`` table (JSON, the bundled shape; see docs/prices.md) laid over the
    bundled one. Errors (:class:`UsageError`) name the file and the bad key or value."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise UsageError(f"--prices {name!r}: cannot read it ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"--prices {name!r}: not valid JSON ({exc})") from None
    return _parse(data, name).over(Prices.bundled())


_CACHE: list[Prices] = []


def _bundled() -> Prices:
    """Parse the bundled table once per process."""
    if not _CACHE:
        from importlib import resources

        raw = resources.files("awsip").joinpath(_BUNDLED).read_text(encoding="utf-8")
        _CACHE.append(_parse(json.loads(raw), "bundled price table"))
    return _CACHE[0]


def _source_text(sources: dict[str, Any], key: str, where: str) -> str:
    """``title (url), via ..., read DATE`` for a source id; the id itself when not listed."""
    info = sources.get(key)
    if not isinstance(info, dict):
        return f"{key} ({where})"
    parts = [str(info.get("title", key))]
    if info.get("url"):
        parts.append(f"<{info['url']}>")
    if info.get("read"):
        parts.append(f"read {info['read']}")
    if info.get("kind") == "secondary":
        parts.append("secondary source")
    return "; ".join(parts)


def _parse(data: Any, origin: str) -> Prices:
    """Check the shape and every value; raise :class:`UsageError` naming ``origin`` and the
    key path of the first bad item."""
    if not isinstance(data, dict):
        raise UsageError(f"{origin}: expected a JSON object with \"regions\", got "
                         f"{type(data).__name__}")
    fmt = data.get("format", _FORMAT)
    if fmt != _FORMAT:
        raise UsageError(f"{origin}: \"format\" is {fmt!r}, expected {_FORMAT!r}")
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise UsageError(f"{origin}: \"sources\" must be an object of source id -> details")
    regions = data.get("regions")
    if not isinstance(regions, dict):
        raise UsageError(f"{origin}: missing \"regions\" (an object of region -> prices)")
    compiled = data.get("compiled")
    default = f"{origin}" + (f", compiled {compiled}" if compiled else "")
    parsed = {region: _parse_region(region, row, sources, origin, default)
              for region, row in regions.items()}
    return Prices(str(compiled) if compiled else None, origin, parsed)


def _parse_region(region: Any, row: Any, sources: dict[str, Any], origin: str,
                  default: str) -> dict[str, Price | None]:
    """One region's row: known fields only, each null, a number or {"usd", "source"}."""
    if not isinstance(region, str) or not _REGION.match(region):
        raise UsageError(f"{origin}: regions: {region!r} is not a region code like "
                         "'ap-southeast-1'")
    if not isinstance(row, dict):
        raise UsageError(f"{origin}: regions.{region}: expected an object of prices")
    out: dict[str, Price | None] = dict.fromkeys(FIELDS)
    for key, value in row.items():
        where = f"regions.{region}.{key}"
        if key not in FIELDS:
            raise UsageError(f"{origin}: {where}: unknown price {key!r}; known: "
                             f"{', '.join(FIELDS)}")
        out[key] = _parse_value(value, sources, origin, where, default)
    return out


def _parse_value(value: Any, sources: dict[str, Any], origin: str, where: str,
                 default: str) -> Price | None:
    """null, a number (source: the file), or {"usd": number, "source": id-or-text}."""
    if value is None:
        return None
    source = default
    if isinstance(value, dict):
        if "usd" not in value:
            raise UsageError(f"{origin}: {where}: an object needs \"usd\" (the price)")
        if "source" in value:
            if not isinstance(value["source"], str) or not value["source"]:
                raise UsageError(f"{origin}: {where}.source: expected text, got "
                                 f"{value['source']!r}")
            source = _source_text(sources, value["source"], origin)
        value = value["usd"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise UsageError(f"{origin}: {where}: expected a non-negative number of USD, got "
                         f"{value!r}")
    return Price(float(value), source)


__all__ = ["DEFAULT_PRICE_PER_GB", "FIELDS", "GB_BYTES", "MONTH_DAYS", "MONTH_HOURS", "HoursCost",
           "Price", "Prices", "RegionPrices", "cost", "load_prices", "nat_hours_cost",
           "prices_for"]
