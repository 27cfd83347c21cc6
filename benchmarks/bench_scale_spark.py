"""awsip.spark in Spark local[2] against the single-process engine, in one run, same records.

    python benchmarks/bench_scale_spark.py [--records 10000000] [--files 16] [--dir DIR]

The records (default-format fields, addresses drawn with a Zipf-like skew from a pool of
50,000 address pairs as in benchmarks/gen_flowlogs.py: S3, EC2, public, private, IPv6) are
written once as ``--files`` Parquet files under ``--dir`` (default /tmp/awsip-bench). Then:

- ``scan``: Spark reads the Parquet files and does nothing (``noop`` sink): the fixed cost;
- ``classify``: ``awsip.spark.classify_columns(df, ["srcaddr", "dstaddr"])`` into the noop sink,
  against ``pyarrow.parquet.read_table`` + ``awsip.classify`` of both columns in this process;
- ``summarize``: ``awsip.spark.summarize(df, by=["service", "region"])`` collected, against
  ``awsip.summarize`` of the same table in this process (answers checked equal first);
- ``report``: ``awsip.spark.report(df, vpc_region=...)`` (each partition folds the local
  report's state, the driver merges and finishes it), against ``awsip.report`` of the same
  table in this process (the two reports' JSON checked equal).

It prints records/s, records/s per core (Spark: 2 cores; the local classify runs on one, the
local summarize on up to two threads) and how Spark partitions the work (partitions = tasks
of the mapInArrow stage, rows per task). ``bench_scale.py --spark`` calls :func:`main`.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import gen_flowlogs  # noqa: E402

DATA = HERE.parent / "src" / "awsip" / "data" / "ip-ranges.json.gz"
SEED = 20261205
POOL = 50_000


def make_records(n: int, seed: int) -> pa.Table:
    """``n`` default-format records (traffic only), endpoints from a skewed pool."""
    rng = np.random.default_rng(seed)
    peer_pool, local_pool = gen_flowlogs._endpoints(np.random.default_rng(12345), POOL)
    pick = (rng.zipf(1.3, size=n) - 1) % POOL
    peer, local = peer_pool[pick], local_pool[pick]
    out = rng.random(n) < 0.55
    srcaddr = pa.array(np.where(out, local, peer), pa.string())
    dstaddr = pa.array(np.where(out, peer, local), pa.string())
    packets = rng.lognormal(3.0, 2.0, size=n).astype(np.int64) + 1
    start = 1_774_573_200 + rng.integers(0, 3600, size=n)
    ts = pa.timestamp("s", tz="UTC")
    eni = np.array([f"eni-0{i:016x}" for i in range(40)], dtype=object)
    return pa.table({
        "version": pa.array(np.full(n, 2, np.int32)),
        "interface_id": pa.array(eni[rng.integers(0, 40, n)].tolist(), pa.string()),
        "srcaddr": srcaddr, "dstaddr": dstaddr,
        "srcport": pa.array(rng.integers(1, 65535, n).astype(np.int32)),
        "dstport": pa.array(rng.choice([443, 80, 53, 22], n).astype(np.int32)),
        "protocol": pa.array(np.full(n, 6, np.int32)),
        "packets": pa.array(packets), "bytes": pa.array(packets * rng.integers(40, 1500, n)),
        "start": pa.array(start).cast(ts), "end": pa.array(start + 30).cast(ts),
        "action": pa.array(np.where(rng.random(n) < 0.03, "REJECT", "ACCEPT"), pa.string()),
        "log_status": pa.array(["OK"] * n, pa.string()),
    })


def ensure(folder: Path, n: int, files: int) -> list[Path]:
    """``files`` Parquet files holding ``n`` records in all (written once, then reused)."""
    folder = folder / f"spark-{n}-{files}"
    paths = [folder / f"part-{i:03d}.parquet" for i in range(files)]
    if all(p.exists() for p in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    per = -(-n // files)
    for i, path in enumerate(paths):
        count = min(per, n - i * per)
        pq.write_table(make_records(count, SEED + i), path, row_group_size=256 * 1024)
    print(f"generated {n:,} records in {files} files in {time.perf_counter() - t:.1f}s",
          file=sys.stderr)
    return paths


def session(partitions: int) -> Any:
    """Spark local[2], workers on this Python, quiet."""
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (SparkSession.builder.master("local[2]").appName("awsip-bench")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.pyspark.python", sys.executable)
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.driver.memory", "4g")
             .config("spark.sql.files.openCostInBytes", str(1 << 30))  # one file, one task
             .config("spark.sql.files.minPartitionNum", str(partitions))
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def partitioning(df: Any) -> tuple[int, list[int]]:
    """Partitions (tasks of a stage over ``df``) and the rows in each."""
    from pyspark.sql import functions as F

    rows = df.groupBy(F.spark_partition_id().alias("p")).count().collect()
    return df.rdd.getNumPartitions(), sorted(r["count"] for r in rows)


def run(n: int, files: int, folder: Path) -> dict[str, float]:
    """Time everything once; print the table; return the timings."""
    import awsip
    import awsip.spark as awsip_spark
    from awsip.engines.spark import to_arrow

    paths = ensure(folder, n, files)
    ranges = awsip.Ranges.from_json(gzip.decompress(DATA.read_bytes()))  # the bundled one
    t_read, table = timed(lambda: pq.read_table(paths))
    t_local_classify, _ = timed(lambda: [awsip.classify(table.column(c), ranges=ranges)
                                         for c in ("srcaddr", "dstaddr")])
    t_local_summary, want = timed(lambda: awsip.summarize(table, by=["service", "region"],
                                                          ranges=ranges))
    t_local_report, want_report = timed(lambda: awsip.report(table, ranges=ranges,
                                                             vpc_region="us-east-1"))
    t_start, spark = timed(lambda: session(files))
    df = spark.read.parquet(*[str(p) for p in paths])
    parts, rows = partitioning(df)
    labelled = awsip_spark.classify_columns(df, ["srcaddr", "dstaddr"], ranges=ranges)
    sample = df.limit(10_000)  # warm: workers up, index read (rows, not a pyarrow.Table:
    # createDataFrame(pyarrow.Table) is Spark 4 only)
    awsip_spark.classify_columns(sample, ["srcaddr"], ranges=ranges).collect()
    t_scan, _ = timed(lambda: df.write.format("noop").mode("overwrite").save())
    t_classify, _ = timed(lambda: labelled.write.format("noop").mode("overwrite").save())
    t_summary, got = timed(lambda: to_arrow(awsip_spark.summarize(df, by=["service", "region"],
                                                                  ranges=ranges)))
    t_report, got_report = timed(lambda: awsip_spark.report(df, ranges=ranges,
                                                            vpc_region="us-east-1"))
    same = got.column("bytes").to_pylist() == want.column("bytes").to_pylist() and \
        got.column("service").to_pylist() == want.column("service").to_pylist() and \
        got_report.to_dict() == want_report.to_dict()
    spark.stop()
    print_table(n, parts, rows, same, {
        "read": t_read, "local_classify": t_local_classify, "local_summary": t_local_summary,
        "local_report": t_local_report, "start": t_start, "scan": t_scan,
        "classify": t_classify, "summary": t_summary, "report": t_report})
    return {"classify": t_classify, "summary": t_summary, "report": t_report}


def print_table(n: int, parts: int, rows: list[int], same: bool, t: dict[str, float]) -> None:
    """The results as a Markdown table."""
    def rate(seconds: float, cores: int) -> str:
        return f"{n / seconds / 1e6:.2f}M/s ({n / seconds / cores / 1e6:.2f}M/s per core)"

    local_classify = t["read"] + t["local_classify"]
    print(f"\n{n:,} records; Spark local[2]: {parts} partitions = tasks per stage, "
          f"{min(rows):,}-{max(rows):,} rows per task; Spark start {t['start']:.1f}s; "
          f"summaries and reports equal: {same}; {platform.python_version()}, "
          f"{os.cpu_count()} CPUs\n")
    print("| step | single process | Spark local[2] | Spark / single |")
    print("|---|---|---|---|")
    print(f"| scan only (Parquet, noop sink) | read_table {t['read']:.1f}s | "
          f"{t['scan']:.1f}s | |")
    print(f"| classify srcaddr + dstaddr | {local_classify:.1f}s, "
          f"{rate(local_classify, 1)} | {t['classify']:.1f}s, {rate(t['classify'], 2)} | "
          f"{t['classify'] / local_classify:.1f}x |")
    print(f"| summarize by service, region | {t['local_summary']:.1f}s, "
          f"{rate(t['local_summary'], 2)} | {t['summary']:.1f}s, {rate(t['summary'], 2)} | "
          f"{t['summary'] / t['local_summary']:.1f}x |")
    print(f"| report (summary, NAT evidence, advice) | {t['local_report']:.1f}s, "
          f"{rate(t['local_report'], 2)} | {t['report']:.1f}s, {rate(t['report'], 2)} | "
          f"{t['report'] / t['local_report']:.1f}x |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=16, help="Parquet files (= Spark tasks)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/awsip-bench"))
    args = ap.parse_args(argv)
    run(args.records, args.files, args.dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
