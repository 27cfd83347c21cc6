"""The DuckDB recipe of docs/recipes.md, run as written, agrees with Ranges.lookup."""

from __future__ import annotations

import gzip
import ipaddress
import random
import re
from pathlib import Path

import duckdb
import pytest

from awsip import InvalidAddressError, Ranges
from awsip.ranges.export import table_bytes
from oracle import NEWEST, boundary_addresses, load_document

RECIPES = Path(__file__).parent.parent / "docs" / "recipes.md"
Answer = tuple[str, str, str, str] | None  # (prefix, service, region, border group)


def sql_blocks() -> dict[str, str]:
    """The ```sql blocks whose first line is ``-- duckdb: NAME``, by NAME."""
    blocks = re.findall(r"```sql\n(.*?)```", RECIPES.read_text(), flags=re.S)
    out = {}
    for block in blocks:
        first = block.splitlines()[0]
        if first.startswith("-- duckdb:"):
            out[first.split(":", 1)[1].strip()] = block
    return out


@pytest.fixture(scope="module")
def ranges() -> Ranges:
    return Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))


@pytest.fixture(scope="module")
def addresses(ranges: Ranges) -> list[str]:
    """Several thousand addresses: prefix boundaries, random ones in and outside AWS, odd forms."""
    rng = random.Random(20260822)
    boundaries = boundary_addresses(load_document(NEWEST))
    v4 = [a for a in boundaries if ":" not in a]
    v6 = [a for a in boundaries if ":" in a]
    picked = rng.sample(v4, 2500) + rng.sample(v6, 1500)
    picked += [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(300)]
    inside = [ipaddress.ip_network(p) for p in rng.sample(list(ranges.prefixes), 300)]
    picked += [str(n[rng.randrange(n.num_addresses)]) for n in inside]
    picked += [ipaddress.IPv6Address(int(ipaddress.ip_address(a))).exploded.upper()
               for a in rng.sample(v6, 50)]  # uncompressed, upper case
    picked += [f"::ffff:{a}" for a in rng.sample(v4, 50)]  # IPv4-mapped
    picked += ["52.216.58.42", "3.5.16.209", "8.8.8.8", "::", "::1", "2600:1f00::",
               "0.0.0.0", "255.255.255.255", "-", "not an address"]
    return list(dict.fromkeys(picked))


def expected(ranges: Ranges, addr: str) -> Answer:
    try:
        m = ranges.lookup(addr)
    except InvalidAddressError:
        return None
    if not m.aws:
        return None
    assert m.prefix and m.service and m.region and m.network_border_group
    return m.prefix, m.service, m.region, m.network_border_group


def classify(tmp_path: Path, ranges: Ranges, addresses: list[str], *,
             label: bool = False, csv: bool = False) -> dict[str, Answer]:
    blocks = sql_blocks()
    classify_sql = blocks["classify"]
    if label:
        classify_sql = classify_sql.replace("ON r.family = p.family",
                                            "ON r.label AND r.family = p.family")
        classify_sql = classify_sql.replace("ORDER BY r.prefixlen DESC, r.service_rank",
                                            "ORDER BY r.prefixlen DESC")
    if csv:
        (tmp_path / "aws-ranges.csv").write_bytes(table_bytes(ranges.to_arrow(), "csv"))
        read_csv = re.search(r"read_csv\(.*?\}\)", blocks["csv"], flags=re.S)
        assert read_csv is not None
        classify_sql = classify_sql.replace("read_parquet('aws-ranges.parquet')",
                                            read_csv.group(0))
    else:
        (tmp_path / "aws-ranges.parquet").write_bytes(table_bytes(ranges.to_arrow(), "parquet"))
    con = duckdb.connect()
    con.execute(f"SET file_search_path = '{tmp_path}'")
    con.execute("CREATE TABLE flow_logs (srcaddr VARCHAR, dstaddr VARCHAR, bytes BIGINT)")
    con.executemany("INSERT INTO flow_logs VALUES ('10.0.0.1', ?, 100)",
                    [[a] for a in addresses])
    con.execute(blocks["macros"])
    con.execute(classify_sql)
    rows = con.execute("SELECT addr, prefix, service, region, network_border_group "
                       "FROM flow_aws").fetchall()
    got: dict[str, Answer] = dict.fromkeys(addresses)
    for addr, *answer in rows:
        got[addr] = (answer[0], answer[1], answer[2], answer[3])
    return got


def test_duckdb_recipe_agrees_with_lookup(tmp_path: Path, ranges: Ranges,
                                          addresses: list[str]) -> None:
    got = classify(tmp_path, ranges, addresses)
    want = {a: expected(ranges, a) for a in addresses}
    assert sum(1 for v in want.values() if v is not None) > 3000
    assert {a for a in want if ":" in a and want[a]}  # IPv6 answers are checked too
    assert {a for a, v in got.items() if v != want[a]} == set()


def test_label_shortcut_gives_the_same_answers(tmp_path: Path, ranges: Ranges,
                                               addresses: list[str]) -> None:
    got = classify(tmp_path, ranges, addresses, label=True)
    assert {a for a, v in got.items() if v != expected(ranges, a)} == set()


def test_recipe_works_on_the_csv_export(tmp_path: Path, ranges: Ranges,
                                        addresses: list[str]) -> None:
    got = classify(tmp_path, ranges, addresses, csv=True)
    assert {a for a, v in got.items() if v != expected(ranges, a)} == set()
