"""Scale-out, in one run: the equi-join SQL of ``awsip sql`` against the ``BETWEEN`` recipe of
docs/recipes.md in DuckDB, and the DuckDB UDFs against ``awsip.classify``.

    python benchmarks/bench_scale.py [--rows 1000000,10000000] [--between-timeout 600] [--spark]

For each row count N a DuckDB table ``flow_logs(n, dstaddr)`` is generated in DuckDB from a
fixed hash of the row number (so the same N gives the same rows): 94% IPv4 text spread over
/8s where AWS has many prefixes (3, 13, 15, 18, 52, 54, 99), 5% IPv6 in 2600:1f18::/32, 0.1%
``not-an-ip``; nearly all distinct, so deduplication does not shrink the work. Then:

- ``equi-join``: ``CREATE TABLE ... AS`` the ``SELECT`` of ``awsip sql --dialect duckdb`` (ranges
  inside the SQL), every row with its four labels; checked equal, row for row, to
  ``awsip.classify`` of the same column (the "1M rows" check of issue 14 when N = 1M);
- ``BETWEEN``: the recipe's macros and ``flow_aws`` query (one ``BETWEEN`` range join per
  distinct address) plus the join back to every row, stopped after ``--between-timeout``
  seconds (then reported as ">= timeout");
- ``udf``: the four label UDFs (``aws_service(dstaddr)`` etc.) of
  :func:`awsip.duckdb.register` over the table, and the one ``aws_classify`` struct UDF,
  against ``awsip.classify`` on the same column fetched as Arrow.

Reported: seconds, rows/s, the BETWEEN/equi-join ratio and, across sizes, the 10M/1M time
ratio of each (10 is linear). ``--spark`` then runs ``benchmarks/bench_scale_spark.py``.
"""

from __future__ import annotations

import argparse
import gzip
import platform
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

import awsip
import awsip.duckdb
from awsip import Ranges
from awsip.ranges.export import table_bytes

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "awsip" / "data" / "ip-ranges.json.gz"
RECIPES = ROOT / "docs" / "recipes.md"
LABELS = ("service", "region", "network_border_group", "prefix")


def make_table(con: Any, n: int) -> None:
    """``flow_logs(n BIGINT, dstaddr VARCHAR)``, deterministic (see the module doc)."""
    con.execute("DROP TABLE IF EXISTS flow_logs")
    con.execute(f"""
        CREATE TABLE flow_logs AS
        SELECT range AS n,
               CASE WHEN range % 20 = 0
                    THEN printf('2600:1f18:%x::%x', h % 65536, (h // 65536) % 65536)
                    WHEN range % 997 = 0 THEN 'not-an-ip'
                    ELSE printf('%d.%d.%d.%d', [3, 13, 15, 18, 52, 54, 99][h % 7 + 1],
                                (h // 256) % 256, (h // 65536) % 256, (h // 16777216) % 256)
               END AS dstaddr
        FROM (SELECT range, CAST(hash(range + 14) % 9223372036854775807 AS BIGINT) AS h
              FROM range({n}))""")


def timed(con: Any, sql: str, timeout: float | None = None) -> float | None:
    """Seconds to run ``sql``; None when it was interrupted after ``timeout`` seconds."""
    timer = threading.Timer(timeout, con.interrupt) if timeout else None
    start = time.perf_counter()
    if timer:
        timer.start()
    try:
        con.execute(sql).fetchall()
    except duckdb.InterruptException:
        return None
    finally:
        if timer:
            timer.cancel()
    return time.perf_counter() - start


def recipe_sql() -> tuple[str, str]:
    """The recipe's macros and its ``flow_aws`` statement, read from docs/recipes.md."""
    blocks = {}
    for block in re.findall(r"```sql\n(.*?)```", RECIPES.read_text(), flags=re.S):
        first = block.splitlines()[0]
        if first.startswith("-- duckdb:"):
            blocks[first.split(":", 1)[1].strip()] = block
    classify = blocks["classify"]
    flow_aws = classify[:classify.index("SELECT coalesce")]
    return blocks["macros"], flow_aws


def check_equal(con: Any, ranges: Ranges) -> int:
    """Rows where ``equi_out`` differs from ``awsip.classify`` (0 expected)."""
    column = con.sql("SELECT dstaddr FROM flow_logs ORDER BY n").to_arrow_table()["dstaddr"]
    table = awsip.classify(column, ranges)
    want = pa.table({"n": pa.array(range(len(table)), pa.int64()),
                     **{name: table[name].cast(pa.string()) for name in LABELS}})
    con.register("want", want)
    differ = " OR ".join(f"o.dstaddr_{name} IS DISTINCT FROM w.{name}" for name in LABELS)
    count = con.sql(f"SELECT count(*) FROM equi_out o FULL JOIN want w ON o.n = w.n "
                        f"WHERE o.n IS NULL OR w.n IS NULL OR {differ}").fetchall()[0]
    con.unregister("want")
    return int(count[0]) if count else -1


def check_cli_output(con: Any, folder: Path) -> int:
    """``awsip sql --dialect duckdb`` written to a file and run as it is, against
    ``awsip.classify`` (the bundled publication, offline): rows that differ (0 expected)."""
    from awsip.cli import main as cli

    path = folder / "classify.sql"
    status = cli(["sql", "--dialect", "duckdb", "--table", "flow_logs", "--column", "dstaddr",
                  "--offline", "--quiet", "-o", str(path)])
    if status:
        return -1
    got = con.sql(path.read_text()).to_arrow_table().sort_by("n")  # the file, unmodified
    want = awsip.classify(got["dstaddr"], awsip.load_ranges(offline=True))
    return sum(got[f"dstaddr_{name}"].to_pylist() != want[name].cast(pa.string()).to_pylist()
               for name in LABELS)


def run_size(con: Any, ranges: Ranges, n: int, between_timeout: float) -> dict[str, Any]:
    make_table(con, n)
    out: dict[str, Any] = {"n": n}
    select = awsip.to_sql("duckdb", "flow_logs", ["dstaddr"], ranges).rstrip().rstrip(";")
    con.execute("DROP TABLE IF EXISTS equi_out")
    out["equi"] = timed(con, f"CREATE TABLE equi_out AS {select}")
    out["differ"] = check_equal(con, ranges)
    macros, flow_aws = recipe_sql()
    con.execute(macros)
    con.execute("DROP TABLE IF EXISTS flow_aws")
    con.execute("DROP TABLE IF EXISTS between_out")
    between = (flow_aws + "; CREATE TABLE between_out AS SELECT f.*, a.prefix, "
               "a.service, a.region, a.network_border_group FROM flow_logs f "
               "LEFT JOIN flow_aws a ON a.addr = f.dstaddr;")
    out["between"] = timed(con, between, between_timeout)
    out["udf"] = timed(con, "CREATE OR REPLACE TABLE udf_out AS SELECT n, aws_service(dstaddr), "
                       "aws_region(dstaddr), aws_network_border_group(dstaddr), "
                       "aws_prefix(dstaddr) FROM flow_logs")
    out["struct"] = timed(con, "CREATE OR REPLACE TABLE udf_out AS SELECT n, "
                          "aws_classify(dstaddr) AS a FROM flow_logs")
    column = con.sql("SELECT dstaddr FROM flow_logs").to_arrow_table()["dstaddr"]
    start = time.perf_counter()
    awsip.classify(column, ranges)
    out["classify"] = time.perf_counter() - start
    return out


def show(r: dict[str, Any], between_timeout: float) -> None:
    n = r["n"]
    between = (f"{r['between']:.2f} s" if r["between"] is not None
               else f">= {between_timeout:.0f} s (stopped)")
    ratio = (f"{r['between'] / r['equi']:.1f}x" if r["between"] is not None
             else f">= {between_timeout / r['equi']:.1f}x")
    print(f"\n{n:,} rows")
    print(f"  equi-join SQL     {r['equi']:8.2f} s  {n / r['equi']:12,.0f} rows/s  "
          f"(rows differing from awsip.classify: {r['differ']})")
    print(f"  BETWEEN recipe    {between:>10}  equi-join is {ratio} faster")
    print(f"  DuckDB UDFs (4)   {r['udf']:8.2f} s  {n / r['udf']:12,.0f} rows/s")
    print(f"  aws_classify UDF  {r['struct']:8.2f} s  {n / r['struct']:12,.0f} rows/s")
    print(f"  awsip.classify    {r['classify']:8.2f} s  {n / r['classify']:12,.0f} rows/s  "
          f"(4 UDFs / classify: {r['udf'] / r['classify']:.1f}x, aws_classify / classify: "
          f"{r['struct'] / r['classify']:.1f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000",
                        help="comma-separated row counts (default 1M and 10M)")
    parser.add_argument("--between-timeout", type=float, default=600.0,
                        help="seconds after which the BETWEEN recipe is stopped")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    parser.add_argument("--cli-check", type=int, default=1_000_000,
                        help="rows on which the `awsip sql` file is run unmodified and "
                        "compared with awsip.classify (0: skip)")
    parser.add_argument("--spark", action="store_true",
                        help="then run benchmarks/bench_scale_spark.py (its defaults)")
    args = parser.parse_args(argv)
    ranges = Ranges.from_json(gzip.decompress(DATA.read_bytes()))
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    folder = Path(tempfile.mkdtemp(prefix="awsip-bench-scale-"))
    (folder / "aws-ranges.parquet").write_bytes(table_bytes(ranges.to_arrow(), "parquet"))
    con.execute(f"SET file_search_path = '{folder}'")  # the recipe reads aws-ranges.parquet
    awsip.duckdb.register(con, ranges)
    print(f"python {platform.python_version()}, duckdb {duckdb.__version__}, "
          f"{platform.machine()}, {args.threads} DuckDB threads; "
          f"ranges syncToken {ranges.sync_token}")
    if args.cli_check:
        make_table(con, args.cli_check)
        print(f"awsip sql file run unmodified on {args.cli_check:,} rows: label columns "
              f"differing from awsip.classify: {check_cli_output(con, folder)}")
    results = [run_size(con, ranges, int(n), args.between_timeout)
               for n in args.rows.split(",")]
    for r in results:
        show(r, args.between_timeout)
    if len(results) > 1:
        a, b = results[0], results[-1]
        growth = b["n"] / a["n"]
        print(f"\n{b['n']:,} / {a['n']:,} rows ({growth:.0f}x): equi-join time "
              f"{b['equi'] / a['equi']:.1f}x, UDFs {b['udf'] / a['udf']:.1f}x, classify "
              f"{b['classify'] / a['classify']:.1f}x"
              + (f", BETWEEN {b['between'] / a['between']:.1f}x"
                 if a["between"] and b["between"] else ""))
    if any(r["differ"] for r in results):
        print("MISMATCH: the equi-join SQL disagrees with awsip.classify", file=sys.stderr)
        return 1
    if args.spark:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_scale_spark

        return int(bench_scale_spark.main([]) or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
