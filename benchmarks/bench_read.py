"""Reading flow logs: awsip vs zcat vs the decompression floor vs flowlogs-reader, one run.

    python benchmarks/bench_read.py [--records 1000000] [--rss-records 10000000] [--skip-slow]

Generates (once, cached in --dir) default-format S3-style gzip files with gen_flowlogs.py, then
times, on the same 1M-record file: `zcat file > /dev/null`; the decompression floor (ISA-L's
igzip decompressing the file to memory in 8 MiB reads, no parsing; igzip's one-shot
``decompress``; zlib's ``decompressobj`` for reference); awsip.read_flow_logs to Arrow batches
(in-process after a warm-up, and a fresh `python -c` process including imports);
flowlogs-reader's FlowRecord over each line; pyarrow.csv.read_csv used directly. It prints
awsip's ratio to `zcat` and to the floor against issue 12's targets (1.1x and 2.5x). Finally
the peak RSS (VmHWM of a child process) of awsip reading 1M and 10M records. ``--skip-slow``
leaves out flowlogs-reader and the per-line path for a whole failing block.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import benchenv  # noqa: E402
import gen_flowlogs  # noqa: E402

FIELDS = gen_flowlogs.HEADER.replace("-", "_").split()


def ensure_damaged(path: Path, records: int, every: int = 80_000) -> Path:
    """The same records with one bad line (a non-numeric protocol) per ~8 MiB block."""
    if not path.exists():
        from isal import igzip

        lines = gen_flowlogs.generate_lines(records)
        for i in range(every // 16, len(lines), every):
            lines[i] = lines[i].replace(" ACCEPT ", " ACCEPT x ", 1)  # 15 fields
        with igzip.open(path, "wt", compresslevel=3) as f:
            f.write(gen_flowlogs.HEADER + "\n" + "\n".join(lines) + "\n")
    return path


def ensure_split(path: Path, records: int, parts: int = 100) -> Path:
    """The same records in ``parts`` gzip files of their own (each with its header), as S3
    delivers a busy VPC's logs in many objects: a directory, written once."""
    if not path.exists():
        from isal import igzip

        lines = gen_flowlogs.generate_lines(records)
        tmp = path.with_name(path.name + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        per = -(-records // parts)
        for k in range(parts):
            with igzip.open(tmp / f"part-{k:04d}.log.gz", "wt", compresslevel=3) as f:
                f.write(gen_flowlogs.HEADER + "\n" + "\n".join(lines[k * per:(k + 1) * per])
                        + "\n")
        tmp.rename(path)
    return path


def ensure_parquet(text: Path) -> tuple[Path, Path]:
    """The records of ``text`` as an AWS Parquet delivery (flat catalogue columns) and as
    Amazon Security Lake stores them (OCSF 1.1.0 Network Activity, the ocsf/examples mapping:
    see awsip.flowlogs.ocsf), written once next to it."""
    flat, lake = text.with_suffix(".flat.parquet"), text.with_suffix(".ocsf.parquet")
    if flat.exists() and lake.exists():
        return flat, lake
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    import awsip

    t = awsip.read_flow_logs(text, progress=False).read_all().combine_chunks()
    pq.write_table(t, flat)
    c = {name: t.column(name).chunk(0) for name in t.column_names}

    def struct(**cols: Any) -> Any:
        return pa.StructArray.from_arrays(list(cols.values()), names=list(cols))

    def ms(name: str) -> Any:
        return pc.multiply(c[name].cast(pa.int64()), pa.scalar(1000, pa.int64()))

    ids = pa.array([1 if a == "ACCEPT" else 2 if a == "REJECT" else None
                    for a in c["action"].to_pylist()], pa.int32())
    n = len(t)
    pq.write_table(pa.table({
        "metadata": struct(product=struct(version=c["version"].cast(pa.string()))),
        "cloud": struct(account=struct(uid=c["account_id"])),
        "src_endpoint": struct(ip=c["srcaddr"], port=c["srcport"],
                               interface_uid=c["interface_id"]),
        "dst_endpoint": struct(ip=c["dstaddr"], port=c["dstport"]),
        "connection_info": struct(protocol_num=c["protocol"]),
        "traffic": struct(packets=c["packets"], bytes=c["bytes"]),
        "time": ms("start"), "start_time_dt": c["start"].cast(pa.timestamp("ms", tz="UTC")),
        "end_time_dt": c["end"].cast(pa.timestamp("ms", tz="UTC")),
        "status_code": c["log_status"], "action_id": ids,
        "class_uid": pa.array([4001] * n, pa.int32()),
    }), lake)
    return flat, lake


def zcat(path: Path) -> None:
    with open(os.devnull, "wb") as out:
        subprocess.run(["zcat", str(path)], stdout=out, check=True)


CHUNK = 8 << 20  # the reader's block size
ZCAT_TARGET, FLOOR_TARGET = 1.1, 2.5  # issue 12, item 7


def isal_floor(path: Path) -> int:
    """Decompress with ISA-L's igzip to memory, 8 MiB at a time, no parsing: the floor."""
    from isal import igzip

    n = 0
    with igzip.open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            n += len(chunk)
    return n


def isal_one_shot(path: Path) -> int:
    """The whole file read, then decompressed by igzip in one call (every member)."""
    from isal import igzip

    return len(igzip.decompress(path.read_bytes()))


def zlib_stream(path: Path) -> int:
    """zlib's decompressobj over 8 MiB reads, member after member (for reference)."""
    import zlib

    n = 0
    d = zlib.decompressobj(wbits=31)
    with open(path, "rb") as f:
        while data := f.read(CHUNK):
            while data:
                n += len(d.decompress(data))
                data = b""
                if d.eof:
                    data, d = d.unused_data, zlib.decompressobj(wbits=31)
    return n + len(d.flush())


def decompressed(path: Path) -> bytes:
    from isal import igzip

    return bytes(igzip.decompress(path.read_bytes()))


def parse_only(text: Any) -> int:
    """pyarrow's CSV reader over the decompressed text already in memory, with the options
    awsip's reader gives it (space-delimited, no quoting, every column as text, threads): the
    tokenizing awsip cannot avoid, without decompression, checks or typing."""
    import pyarrow as pa
    from pyarrow import csv

    t = csv.read_csv(
        pa.BufferReader(text),
        read_options=csv.ReadOptions(skip_rows=1, column_names=FIELDS, block_size=1 << 20),
        parse_options=csv.ParseOptions(delimiter=" ", quote_char=False, double_quote=False,
                                       escape_char=False, ignore_empty_lines=True),
        convert_options=csv.ConvertOptions(column_types=dict.fromkeys(FIELDS, pa.string()),
                                           null_values=["-"], strings_can_be_null=True))
    return int(t.num_rows)


def awsip_read(path: Path, columns: Any = None, use_threads: bool = True) -> int:
    import awsip

    n = 0
    for batch in awsip.read_flow_logs(path, progress=False, columns=columns,
                                      use_threads=use_threads):
        n += batch.num_rows
    return n


def report_fields() -> Any:
    """The fields ``awsip report --by service,region`` reads (7 of the default format's 14)."""
    from awsip.advice import report_columns

    return report_columns(["service", "region"])


# Peak RSS from /proc/self/status VmHWM (this process's own high-water mark): ru_maxrss of a
# child can report the parent's RSS at fork time, which here would be the benchmark's own.
CHILD = """
import resource, sys, time
t = time.perf_counter()
import awsip
if sys.argv[2:] == ["pandas"]:  # what the first read cost while it made pyarrow import pandas
    import pandas
n = 0
for b in awsip.read_flow_logs(sys.argv[1], progress=False):
    n += b.num_rows
took = time.perf_counter() - t
try:
    hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM"))
except (OSError, StopIteration):
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(n, took, hwm)
"""


PANDAS_CHILD = "awsip, fresh process that also imports pandas (the read's cost before run 7)"


def awsip_child(path: Path, *extra: str) -> tuple[int, float, float, int]:
    """Rows, wall time of the whole process, in-process time, peak RSS in KiB (``extra``:
    ``"pandas"`` to import pandas too, as the reader made pyarrow do before run 7)."""
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), *extra],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the awsip child process failed:\n{done.stderr}")
    out = done.stdout.split()
    return int(out[0]), time.perf_counter() - t, float(out[1]), int(out[2])


def flowlogs_reader(path: Path, limit: int) -> int:
    from flowlogs_reader import FlowRecord

    n = 0
    with gzip.open(path, "rt") as f:
        next(f)
        for line in f:
            FlowRecord(dict(zip(FIELDS, line.split(), strict=True)))
            n += 1
            if n >= limit:
                break
    return n


def pyarrow_csv(path: Path) -> int:
    import pyarrow as pa
    from pyarrow import csv

    with pa.input_stream(str(path), compression="gzip") as f:
        t = csv.read_csv(f, read_options=csv.ReadOptions(skip_rows=1, column_names=FIELDS),
                         parse_options=csv.ParseOptions(delimiter=" "))
    return int(t.num_rows)


def machine() -> str:
    import flowlogs_reader
    import isal
    import numpy
    import pyarrow

    model = next((ln.split(":", 1)[1].strip() for ln in
                  subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
                  if ln.startswith("Model name")), platform.processor())
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    fr_version = getattr(flowlogs_reader, "__version__", "5.0.1")
    return (f"{model}, {os.cpu_count()} cores, {ram:.0f} GiB RAM, Linux "
            f"{platform.release()}, CPython {platform.python_version()}, pyarrow "
            f"{pyarrow.__version__}, numpy {numpy.__version__}, isal {isal.__version__}, "
            f"flowlogs-reader {fr_version}")


FLOOR = "isal igzip to memory, 8 MiB reads, no parsing (the floor)"
FLR = "flowlogs-reader FlowRecord per line"


def print_times(results: dict[str, float], cpu: dict[str, float], records: int) -> None:
    """The table of times, then awsip's ratios to zcat and to the floor against the targets."""
    base, floor = results["zcat file > /dev/null"], results[FLOOR]
    print(f"\n| reader ({records:,} records) | seconds | vs zcat | vs floor | records/s "
          "| CPU s | CPU vs floor's |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, secs in results.items():
        used = cpu.get(name)
        shown = "" if used is None else f"{used:.2f} | {used / cpu[FLOOR]:.2f}x"
        print(f"| {name} | {secs:.2f} | {secs / base:.2f}x | {secs / floor:.2f}x | "
              f"{records / secs / 1e6:.2f} M | {shown or ' | '} |")
    print()
    for name in ("awsip.read_flow_logs -> Arrow (in process)",
                 "awsip, fresh `python -c` process (imports included)"):
        secs = results[name]
        for what, ref, target in (("zcat", base, ZCAT_TARGET), ("the floor", floor,
                                                                  FLOOR_TARGET)):
            verdict = "met" if secs / ref <= target else "MISSED"
            print(f"{name}: {secs / ref:.2f}x {what} (target <= {target}x): {verdict}")
    awsip = "awsip.read_flow_logs -> Arrow (in process)"
    print(f"{awsip}: CPU time {cpu[awsip] / cpu[FLOOR]:.2f}x the floor's")
    if FLR in results:
        print(f"\nawsip is {results[FLR] / results[awsip]:.0f}x faster than flowlogs-reader's "
              "per-record parsing")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--rss-records", type=int, default=10_000_000)
    ap.add_argument("--flr-records", type=int, default=1_000_000,
                    help="records parsed by flowlogs-reader (it is slow)")
    ap.add_argument("--dir", default="/tmp/awsip-bench")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-slow", action="store_true",
                    help="leave out flowlogs-reader and the per-line path of a failing block")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    benchenv.compile_awsip()  # timed children import awsip as installed (benchenv.py)
    d = Path(args.dir)
    small = gen_flowlogs.ensure(d / f"flow-{args.records}.log.gz", args.records)
    big = gen_flowlogs.ensure(d / f"flow-{args.rss_records}.log.gz", args.rss_records) \
        if args.rss_records else None
    print(f"machine: {machine()}")
    print(f"file: {small} ({small.stat().st_size / 2**20:.1f} MiB gzip, {args.records:,} "
          "records)")
    awsip_read(small)  # warm-up: imports, pyarrow.compute initialisation
    damaged = ensure_damaged(d / f"flow-{args.records}-damaged.log.gz", args.records)
    flat, lake = ensure_parquet(small)
    split = ensure_split(d / f"flow-{args.records}-in-100-files", args.records)
    assert awsip_read(flat) == awsip_read(lake) == args.records
    walls: list[tuple[int, float, float, int]] = []
    with_pandas: list[float] = []

    def child() -> None:
        walls.append(awsip_child(small))

    def child_pandas() -> None:
        with_pandas.append(awsip_child(small, "pandas")[1])

    assert isal_floor(small) == isal_one_shot(small) == zlib_stream(small)  # same bytes
    text = decompressed(small)
    contenders: dict[str, Any] = {
        "zcat file > /dev/null": lambda: zcat(small),
        FLOOR: lambda: isal_floor(small),
        "isal igzip.decompress, whole file in one call": lambda: isal_one_shot(small),
        "zlib decompressobj to memory, 8 MiB reads (reference)": lambda: zlib_stream(small),
        "pyarrow CSV parse of the text already in memory (awsip's options, no decompression)":
            lambda: parse_only(text),
        "awsip.read_flow_logs -> Arrow (in process)": lambda: awsip_read(small),
        "awsip, only the fields a report reads (columns=, in process)":
            lambda: awsip_read(small, report_fields()),
        "awsip, one thread (use_threads=False: no second block-parsing thread)":
            lambda: awsip_read(small, use_threads=False),
        "awsip, the same records in 100 gzip files (a directory of S3-like objects)":
            lambda: awsip_read(split),
        "awsip, fresh `python -c` process (imports included)": child,
        PANDAS_CHILD: child_pandas,
        "pyarrow.csv.read_csv (gzip stream, inferred types)": lambda: pyarrow_csv(small),
        "awsip, one bad line per 8 MiB block (bisect to 16 KiB)": lambda: awsip_read(damaged),
        "awsip, same records as an AWS Parquet delivery (flat columns)":
            lambda: awsip_read(flat),
        "awsip, same records as Security Lake OCSF Parquet (nested, mapped)":
            lambda: awsip_read(lake),
        "awsip, same file, per-line path for the whole failing block":
            lambda: per_line_path(damaged),
    }
    if args.skip_slow:
        del contenders["awsip, same file, per-line path for the whole failing block"]
    if importlib.util.find_spec("pandas") is None:
        del contenders[PANDAS_CHILD]
    results, cpu = best_of(contenders, args.repeat)
    results["awsip, fresh `python -c` process (imports included)"] = min(w[1] for w in walls)
    if with_pandas:
        results[PANDAS_CHILD] = min(with_pandas)
    if not args.skip_slow:
        n = min(args.flr_records, args.records)
        t = time.perf_counter()
        flowlogs_reader(small, n)
        results[FLR] = (time.perf_counter() - t) * args.records / n
    print_times(results, cpu, args.records)
    print_rss(args.records, walls[0][3], big)
    return 0


def per_line_path(damaged: Path) -> None:
    """Read ``damaged`` with the whole failing block checked line by line (no bisection)."""
    from awsip.flowlogs import reader as reader_mod

    saved = reader_mod.EXACT_BYTES
    reader_mod.EXACT_BYTES = 1 << 40
    try:
        awsip_read(damaged)
    finally:
        reader_mod.EXACT_BYTES = saved


def cpu_seconds() -> float:
    """CPU time (user + system) of this process, all its threads, and its waited-for children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best_of(contenders: dict[str, Any], repeat: int) -> tuple[dict[str, float],
                                                               dict[str, float]]:
    """The best wall time and the least CPU time of each contender over ``repeat`` rounds;
    rounds interleave the contenders, so load from other jobs hits all of them alike (CPU
    time depends much less on that load than wall time)."""
    times: dict[str, list[float]] = {k: [] for k in contenders}
    cpus: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            c, t = cpu_seconds(), time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
            cpus[name].append(cpu_seconds() - c)
    return {k: min(v) for k, v in times.items()}, {k: min(v) for k, v in cpus.items()}


def print_rss(records: int, rss_small: int, big: Path | None) -> None:
    """Peak RSS of a process reading the 1M file (measured already) and the big one."""
    print("\n| peak RSS of a process reading | records | RSS |")
    print("|---|---:|---:|")
    print(f"| awsip | {records:,} | {rss_small / 1024:.0f} MiB |")
    if big is not None:
        rows, _wall, inproc, rss = awsip_child(big)
        print(f"| awsip | {rows:,} | {rss / 1024:.0f} MiB |")
        print(f"\n{rows:,} records read in {inproc:.2f}s in process "
              f"({rows / inproc / 1e6:.2f} M records/s)")


if __name__ == "__main__":
    raise SystemExit(main())
