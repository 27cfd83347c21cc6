"""The bundled price table (every number sourced, unknown stays unknown), lookups per region,
the --price-per-gb and --prices FILE overrides and their errors, and NAT hours."""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from awsip.advice.prices import (
    FIELDS,
    Prices,
    RegionPrices,
    load_prices,
    nat_hours_cost,
    prices_for,
)
from awsip.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
TABLE = json.loads((ROOT / "src/awsip/data/prices.json").read_text(encoding="utf-8"))
DOC = (ROOT / "docs/prices.md").read_text(encoding="utf-8")
#: Partitions that are not commercial AWS (their own price lists) or pseudo-regions.
NOT_COMMERCIAL = ("cn-", "us-gov-", "us-iso", "eusc-", "GLOBAL")


def commercial_regions() -> set[str]:
    """The commercial regions of the bundled ip-ranges publication."""
    with gzip.open(ROOT / "src/awsip/data/ip-ranges.json.gz") as f:
        doc = json.load(f)
    return {p["region"] for p in doc["prefixes"] if not p["region"].startswith(NOT_COMMERCIAL)}


def test_table_lists_every_field_of_every_commercial_region_in_the_bundled_ranges() -> None:
    # a region with no sourced price is listed with nulls, not left out
    assert commercial_regions() - set(TABLE["regions"]) == set()
    for region, row in TABLE["regions"].items():
        assert set(row) == set(FIELDS), region


def test_every_number_names_a_listed_source_with_title_url_and_date_read() -> None:
    sources = TABLE["sources"]
    for sid, info in sources.items():
        assert info["title"] and info["url"] and re.fullmatch(r"\d{4}-\d\d-\d\d", info["read"]), sid
        assert info["kind"] in ("aws-price-list", "aws-page", "secondary"), sid
    used = set()
    for region, row in TABLE["regions"].items():
        for name, value in row.items():
            if value is None:
                continue
            assert isinstance(value["usd"], (int, float)) and 0 <= value["usd"] < 1, (region, name)
            assert value["source"] in sources, (region, name)
            used.add(value["source"])
    assert used == set(sources)  # no source listed that priced nothing


#: The usage type (without its region prefix) each field is priced by (docs/prices.md).
METERS = {"nat_per_hour": "NatGateway-Hours", "nat_per_gb": "NatGateway-Bytes",
          "inter_az_per_gb": "DataTransfer-Regional-Bytes",
          "internet_egress_per_gb": "DataTransfer-Out-Bytes",
          "interface_endpoint_per_az_hour": "VpcEndpoint-Hours",
          "interface_endpoint_per_gb": "VpcEndpoint-Bytes"}


def test_usage_types_next_to_the_numbers_fit_the_field_and_name_the_row_s_region_only() -> None:
    # a number copied from another region, or filed under the wrong field, would carry the
    # other region's prefix (APS1-, EUC1-, ...) or another meter; us-east-1 also uses
    # unprefixed usage types
    owner: dict[str, str] = {}
    for region, row in TABLE["regions"].items():
        prefixes = set()
        for name, value in row.items():
            usagetype = (value or {}).get("usagetype")
            if usagetype is None:
                continue
            head, meter, rest = usagetype.rpartition(METERS[name])
            assert meter and not rest, (region, name, usagetype)
            assert head == "" or re.fullmatch(r"[A-Z]{2,4}[0-9]?-", head), (region, usagetype)
            if head:
                prefixes.add(head)
        assert len(prefixes) <= 1, (region, prefixes)
        for head in prefixes:
            assert owner.setdefault(head, region) == region, (head, owner[head], region)


def test_docs_say_how_many_regions_each_price_is_sourced_for() -> None:
    counts = dict(re.findall(r"^\| `(\w+)` \| (\d+) of \d+ \|", DOC, re.MULTILINE))
    assert set(counts) == set(FIELDS)
    for name in FIELDS:
        sourced = sum(1 for row in TABLE["regions"].values() if row[name] is not None)
        assert int(counts[name]) == sourced, name


def doc_rows() -> dict[str, list[str]]:
    """The region rows of the table in docs/prices.md: region -> its six cells."""
    rows = {}
    for line in DOC.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and re.fullmatch(r"`[a-z]{2}(-[a-z]+)+-\d+`", cells[0]):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_docs_table_shows_exactly_the_bundled_numbers_and_names_every_source() -> None:
    rows = doc_rows()
    assert set(rows) == set(TABLE["regions"])
    for region, row in TABLE["regions"].items():
        want = ["-" if row[f] is None else f"{row[f]['usd']:g}" for f in FIELDS]
        got = [re.sub(r"\s*\[[^\]]*\]$", "", c) for c in rows[region]]
        assert got == want, region
    for sid, info in TABLE["sources"].items():
        assert sid in DOC and info["url"].split(" ")[0] in DOC, sid
    assert TABLE["compiled"] in DOC


@pytest.mark.parametrize(("region", "per_gb", "per_hour", "says"), [
    ("ap-southeast-1", 0.059, 0.059, "Singapore"),
    ("ap-northeast-1", 0.062, 0.062, "Tokyo"),
    ("us-east-1", 0.045, 0.045, "59S5R83GFPUAGVR5"),
    ("eu-west-2", 0.05, 0.05, "ZECE57EY4F96YNAQ"),
])
def test_lookup_gives_the_regions_own_price_and_says_where_it_came_from(
        region: str, per_gb: float, per_hour: float, says: str) -> None:
    got = prices_for(region)
    assert (got.region, got.nat_per_gb, got.nat_per_hour, got.known) == (
        region, per_gb, per_hour, True)
    assert says in got.source and "read 2026-" in got.source
    assert got.sources["nat_per_gb"] == got.source


def regions_where(predicate: Any) -> list[str]:
    """The table's regions whose row (field -> value or None) satisfies ``predicate``."""
    return sorted(r for r, row in TABLE["regions"].items() if predicate(row))


def test_region_without_a_sourced_price_stays_unknown_and_names_the_options() -> None:
    # regions whose hourly NAT price is sourced but whose per-GB price is not
    partial = regions_where(lambda row: row["nat_per_hour"] and row["nat_per_gb"] is None)
    assert partial  # the table says which; none of them borrows another region's per-GB price
    for region in partial:
        got = prices_for(region)
        assert got.nat_per_hour == TABLE["regions"][region]["nat_per_hour"]["usd"]
        assert got.nat_per_gb is None and not got.known, region
        assert region in got.source and "--price-per-gb" in got.source
        assert "--prices FILE" in got.source
    # the CLI tests below rely on ap-east-1 having no NAT price (it has an endpoint price)
    hk = TABLE["regions"]["ap-east-1"]
    assert hk["nat_per_hour"] is None and hk["nat_per_gb"] is None
    hk_got = prices_for("ap-east-1")
    assert (hk_got.nat_per_hour, hk_got.nat_per_gb, hk_got.known) == (None, None, False)
    assert "ap-east-1" in hk_got.source and "--price-per-gb" in hk_got.source
    empty = regions_where(lambda row: all(v is None for v in row.values()))
    for region in [*empty, "xx-nowhere-9"]:
        got = prices_for(region)
        assert got.missing() == list(FIELDS) and not got.known, region
        assert region in got.source
    nowhere = prices_for(None)
    assert nowhere.missing() == list(FIELDS) and "--vpc-region" in nowhere.source


def test_price_per_gb_wins_for_the_nat_and_keeps_the_other_prices() -> None:
    got = prices_for("ap-southeast-1", price_per_gb=0.07)
    assert (got.nat_per_gb, got.known, got.nat_per_hour) == (0.07, True, 0.059)
    assert got.interface_endpoint_per_az_hour == 0.013
    assert got.source == "--price-per-gb 0.07 (given)"
    unknown = prices_for("ap-east-1", price_per_gb=0.05)
    assert unknown.known and unknown.nat_per_gb == 0.05 and unknown.nat_per_hour is None
    for bad in (-0.01, math.nan, math.inf):
        with pytest.raises(UsageError, match="price per GB"):
            prices_for("us-east-1", price_per_gb=bad)


def write(tmp_path: Path, doc: Any, name: str = "prices.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def test_prices_file_overrides_the_fields_it_gives_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, {
        "format": "awsip-prices/1", "compiled": "2026-11-30",
        "sources": {"contract": {"title": "our EDP rate card", "url": "https://example.com/rates",
                                 "read": "2026-11-30"}},
        "regions": {"ap-east-1": {"nat_per_gb": {"usd": 0.065, "source": "contract"},
                                  "inter_az_per_gb": 0.01},
                    "us-east-1": {"nat_per_gb": 0.04, "inter_az_per_gb": None}}})
    table = load_prices(path)
    hk = prices_for("ap-east-1", table=table)
    assert (hk.nat_per_gb, hk.inter_az_per_gb, hk.known) == (0.065, 0.01, True)
    assert "our EDP rate card" in hk.source and "2026-11-30" in hk.source
    assert str(path) in hk.sources["inter_az_per_gb"]  # a bare number: the file is the source
    use1 = prices_for("us-east-1", table=table)
    assert use1.nat_per_gb == 0.04 and str(path) in use1.source
    assert use1.inter_az_per_gb == 0.01  # null in the file: the bundled value stays
    assert prices_for("ap-southeast-1", table=table).nat_per_gb == 0.059


@pytest.mark.parametrize(("doc", "says"), [
    ("{not json", "not valid JSON"),
    ([1, 2], "expected a JSON object"),
    ({"format": "other/2", "regions": {}}, "'other/2'"),
    ({"sources": {}}, "missing \"regions\""),
    ({"regions": {"Singapore": {}}}, "regions: 'Singapore' is not a region code"),
    ({"regions": {"ap-east-1": 0.05}}, "regions.ap-east-1: expected an object"),
    ({"regions": {"ap-east-1": {"nat_gb": 0.05}}}, "regions.ap-east-1.nat_gb: unknown price"),
    ({"regions": {"ap-east-1": {"nat_per_gb": -1}}}, "regions.ap-east-1.nat_per_gb: expected a "
                                                     "non-negative number of USD, got -1"),
    ({"regions": {"ap-east-1": {"nat_per_gb": "0.05"}}}, "got '0.05'"),
    ({"regions": {"ap-east-1": {"nat_per_gb": True}}}, "got True"),
    ({"regions": {"ap-east-1": {"nat_per_gb": {"price": 1}}}}, "needs \"usd\""),
    ({"regions": {"ap-east-1": {"nat_per_gb": {"usd": 0.05, "source": 3}}}},
     "nat_per_gb.source: expected text"),
])
def test_bad_prices_file_is_a_usage_error_naming_the_file_and_the_key(
        tmp_path: Path, doc: Any, says: str) -> None:
    path = write(tmp_path, doc)
    with pytest.raises(UsageError) as err:
        load_prices(path)
    assert str(path) in str(err.value) and says in str(err.value)


def test_missing_prices_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read it"):
        load_prices(tmp_path / "absent.json")


def test_nat_hours_count_whole_hours_of_the_span_per_gateway_and_say_so() -> None:
    sg = prices_for("ap-southeast-1")
    got = nat_hours_cost(sg, 2, 2.5 * 3600)
    assert got.hours == 6 and got.cost_usd == pytest.approx(6 * 0.059)
    assert "2 NAT gateway(s)" in got.note and "rounded up" in got.note
    assert nat_hours_cost(sg, 0, 3600).cost_usd is None
    assert nat_hours_cost(sg, 1, None).hours is None
    hk = nat_hours_cost(prices_for("ap-east-1"), 1, 3600)
    assert hk.hours == 1 and hk.cost_usd is None and "--prices FILE" in hk.note


def test_tables_built_by_hand_look_up_like_the_bundled_one() -> None:
    table = Prices.from_dict({"regions": {"eu-west-1": {"nat_per_gb": 0.048}}}, "test")
    got = table.lookup("eu-west-1")
    assert isinstance(got, RegionPrices) and got.nat_per_gb == 0.048
    assert got.missing() == [f for f in FIELDS if f != "nat_per_gb"]


# --- the CLI: --prices FILE and --price-per-gb on a small flow log --------------------------

NAT_ENI, NAT_IP, HOST, S3_PEER = "eni-0aaa", "10.0.0.144", "10.0.1.20", "52.216.58.42"


@pytest.fixture
def flow_log(tmp_path: Path) -> Path:
    """One S3 download (2 GiB down, 1 MiB up) through the NAT, logged on every interface."""
    up, down = 2**20, 2 * 2**30
    legs = [(NAT_ENI, HOST, NAT_IP, up), (NAT_ENI, NAT_IP, S3_PEER, up),
            (NAT_ENI, S3_PEER, NAT_IP, down), (NAT_ENI, NAT_IP, HOST, down),
            ("eni-0bbb", HOST, S3_PEER, up), ("eni-0bbb", S3_PEER, HOST, down)]
    lines = ["version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
             "bytes start end action log-status"]
    lines += [f"2 123456789012 {eni} {s} {d} 443 443 6 10 {b} 1774051200 1774054800 ACCEPT OK"
              for eni, s, d, b in legs]
    path = tmp_path / "flows.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli_report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from awsip import cli

    status = cli.main(["report", *args, "--offline", "--quiet"])
    out, err = capsys.readouterr()
    return status, out, err


NAT_BYTES = 2 * 2**30 + 2**20  # the NAT's public legs, counted once


def test_cli_prices_file_supplies_a_missing_region_price_and_price_per_gb_wins(
        tmp_path: Path, flow_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [str(flow_log), "--nat-ip", NAT_IP, "--vpc-region", "ap-east-1", "--json"]
    status, out, err = cli_report(capsys, *base)
    assert status == 0, err
    doc = json.loads(out)
    nat = doc["nat"]
    assert nat["region"] == "ap-east-1"
    # no sourced price for Hong Kong: unknown, said with the options, not us-east-1's
    assert (nat["price_per_gb"], nat["cost_usd"]) == (None, None)
    assert "ap-east-1" in nat["price_source"] and "--price-per-gb" in nat["price_source"]
    assert nat["price_source"] in doc["notes"]
    table = write(tmp_path, {"regions": {"ap-east-1": {"nat_per_gb": 0.07}}}, "hk.json")
    status, out, err = cli_report(capsys, *base, "--prices", str(table))
    assert status == 0, err
    nat = json.loads(out)["nat"]
    assert nat["price_per_gb"] == 0.07 and str(table) in nat["price_source"]
    assert nat["bytes"] == NAT_BYTES
    assert nat["cost_usd"] == pytest.approx(NAT_BYTES / 2**30 * 0.07, abs=1e-4)
    status, out, err = cli_report(capsys, *base, "--prices", str(table), "--price-per-gb",
                                  "0.08")
    nat = json.loads(out)["nat"]
    assert (nat["price_per_gb"], nat["price_source"]) == (0.08, "--price-per-gb 0.08 (given)")


def test_cli_uses_the_vpc_regions_price_from_the_bundled_table(
        flow_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli_report(capsys, str(flow_log), "--nat-ip", NAT_IP, "--vpc-region",
                                  "ap-southeast-1", "--json")
    assert status == 0, err
    nat = json.loads(out)["nat"]
    assert nat["price_per_gb"] == 0.059 and "Singapore" in nat["price_source"]
    assert nat["cost_usd"] == pytest.approx(NAT_BYTES / 2**30 * 0.059, abs=1e-4)
    # the records span one hour; one NAT gateway named: 1 gateway-hour at $0.059
    assert nat["hours"]["gateway_hours"] == 1 and nat["hours"]["cost_usd"] == 0.059
    assert "assumed 1 NAT gateway(s)" in nat["hours"]["note"]


def test_cli_bad_prices_file_exits_2_naming_the_file_and_key(
        tmp_path: Path, flow_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = write(tmp_path, {"regions": {"ap-east-1": {"nat_per_gb": "cheap"}}}, "bad.json")
    status, out, err = cli_report(capsys, str(flow_log), "--prices", str(table))
    assert status == 2 and out == ""
    assert str(table) in err and "regions.ap-east-1.nat_per_gb" in err and "'cheap'" in err
    assert "Traceback" not in err
