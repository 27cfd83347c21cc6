"""``awsip report`` vs DuckDB doing the same work in SQL vs just reading, in one run.

    python benchmarks/bench_report.py [--file /tmp/awsip-bench/flow-1000000.log.gz]
                                      [--big /tmp/awsip-bench/flow-10000000.log.gz] [--repeat 3]

Each contender runs as a fresh process (imports, ranges loading and all), timed by wall clock,
with its peak RSS (ru_maxrss of that child alone):

- ``awsip report FILE --by service,region --json --offline --quiet`` (the whole command);
- ``read``: a ``python -c`` that iterates ``awsip.read_flow_logs(FILE)`` and does nothing else;
- ``read1``: the same in a process set up as ``awsip report`` sets up its own
  (``OPENBLAS_NUM_THREADS=1``, glibc's malloc keeping freed memory: ``awsip.cli``);
- ``fields``: that, reading only the fields the report reads (``columns=``), for reference;
- ``duckdb``: a ``python -c`` that runs benchmarks/report_duckdb.sql with the duckdb module: read
  the gzip CSV, pick the peer side by the same private-address rule, classify the distinct public
  peers with a range join against the same publication exported by ``Ranges.to_arrow()``
  (label rows, longest prefix wins), group by service and region.

The file is the 1M-record one from benchmarks/gen_flowlogs.py (generated here when absent; with
``--peers N`` its endpoints come from a skewed pool of N address pairs, as in real logs). The
script checks that awsip and DuckDB give the same bytes per (service, region) before timing.
With ``--big``, also the peak RSS of awsip report on the bigger file (memory flat?).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import benchenv  # noqa: E402
import gen_flowlogs  # noqa: E402

PY = sys.executable
# Runs a command and prints its own peak RSS (KiB), so each number is one child's alone.
_MEASURE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "w = time.perf_counter() - t; "
            "print(r.returncode, w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")



def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS in MiB) of ``cmd`` run as a child process (extra ``env``)."""
    out = subprocess.run([PY, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})})
    code, wall, rss = out.stdout.split()
    if code != "0":
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}")
    return float(wall), int(rss) // 1024


def duckdb_cmd(sql_path: Path) -> list[str]:
    """Run the SQL in a process of its own; prints the result rows as JSON."""
    code = ("import duckdb, json, sys; con = duckdb.connect(); "
            "con.execute('SET enable_progress_bar = false'); "  # as `awsip report --quiet`
            "sql = open(sys.argv[1]).read(); "
            "stmts = [s for s in sql.split(';') if s.strip()]; "
            "[con.execute(s) for s in stmts[:-1]]; rows = con.execute(stmts[-1]).fetchall(); "
            "print(json.dumps([[str(v) for v in r] for r in rows]))")
    return [PY, "-c", code, str(sql_path)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", default="/tmp/awsip-bench/flow-1000000.log.gz")
    ap.add_argument("--records", type=int, default=1_000_000, help="when generating --file")
    ap.add_argument("--peers", type=int, help="when generating --file: endpoints from a fixed "
                    "pool of this many address pairs (see gen_flowlogs.generate_lines)")
    ap.add_argument("--big", help="a bigger file for the memory check (skipped when absent)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    benchenv.compile_awsip()  # timed children import awsip as installed (benchenv.py)

    flows = Path(args.file)
    if not flows.exists():
        flows.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        gen_flowlogs.write(str(flows), args.records, peers=args.peers)
        print(f"generated {flows} in {time.perf_counter() - t:.1f}s", file=sys.stderr)

    import pyarrow.parquet as pq

    from awsip.loading import load_ranges

    ranges = load_ranges(None, offline=True)  # what `awsip report --offline` uses
    work = Path(tempfile.mkdtemp(prefix="awsip-bench-report-"))
    ranges_file = work / "ranges.parquet"
    pq.write_table(ranges.to_arrow(), ranges_file)
    sql = (HERE / "report_duckdb.sql").read_text().replace("{flows}", str(flows)).replace(
        "{ranges}", str(ranges_file))
    sql = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())  # comments out
    sql_path = work / "report.sql"
    sql_path.write_text(sql)

    report_cmd = [PY, "-m", "awsip", "report", str(flows), "--by", "service,region", "--json",
                  "--offline", "--quiet"]
    read_cmd = [PY, "-c", "import awsip, sys\nfor b in awsip.read_flow_logs(sys.argv[1], "
                "progress=False): pass", str(flows)]
    # The bare read in a process set up as `awsip report` sets up its own (awsip.cli: one
    # OpenBLAS thread, set by envs below; glibc's malloc keeping freed memory).
    read1_cmd = [PY, "-c", "import awsip, sys\nfrom awsip.cli import keep_freed_memory\n"
                 "keep_freed_memory()\nfor b in awsip.read_flow_logs(sys.argv[1], "
                 "progress=False): pass", str(flows)]
    # The same read restricted to the fields the report reads (it converts no others).
    fields_cmd = [PY, "-c", "import awsip, sys\nfrom awsip.advice import report_columns\n"
                  "from awsip.cli import keep_freed_memory\nkeep_freed_memory()\n"
                  "cols = report_columns(['service', 'region'])\n"
                  "for b in awsip.read_flow_logs(sys.argv[1], progress=False, columns=cols): "
                  "pass", str(flows)]

    doc = json.loads(subprocess.run(report_cmd, capture_output=True, text=True,
                                    check=True).stdout)
    ours = {(g["service"], g["region"]): g["bytes"] for g in doc["groups"]}

    results: dict[str, list[tuple[float, int]]] = {
        "report": [], "read": [], "read1": [], "fields": [], "duckdb": []}
    cmds = {"report": report_cmd, "read": read_cmd, "read1": read1_cmd, "fields": fields_cmd,
            "duckdb": duckdb_cmd(sql_path)}
    # `awsip report` runs numpy's OpenBLAS on one thread (awsip.cli); "read1" is the bare read
    # with the same setting, "fields" too (for reference: the report's own share of reading).
    envs = {"read1": {"OPENBLAS_NUM_THREADS": "1"}, "fields": {"OPENBLAS_NUM_THREADS": "1"}}
    # The report and the reads interleaved, so background load hits all alike, the order
    # rotating each round. DuckDB runs only afterwards: processes started after it run slower
    # for a while (the report ~10%, the read less), which would tilt the report / read ratio.
    quick = ["report", "read", "read1", "fields"]
    for r in range(args.repeat):
        for name in quick[r % len(quick):] + quick[:r % len(quick)]:
            results[name].append(measure(cmds[name], envs.get(name)))
    for _ in range(args.repeat):
        results["duckdb"].append(measure(cmds["duckdb"]))

    # The same answer? (After the timings, for the reason above.)
    # DuckDB runs in a child too: imported here, its threads and memory would stay in this
    # process and slow down the timed children (the report by ~10%, seen).
    rows = json.loads(subprocess.run(duckdb_cmd(sql_path), capture_output=True, text=True,
                                     check=True).stdout.strip().splitlines()[-1])
    theirs = {(None if r[0] == "None" else r[0], None if r[1] == "None" else r[1]): int(r[2])
              for r in rows}
    same = ours == theirs
    print(f"same bytes per (service, region) as DuckDB: {same} ({len(ours)} groups, "
          f"{doc['flows']:,} traffic records of {doc['records']:,})")
    if not same:
        for k in sorted(set(ours) | set(theirs), key=str):
            if ours.get(k) != theirs.get(k):
                print(f"  {k}: awsip {ours.get(k)} duckdb {theirs.get(k)}")

    wall = {k: statistics.median(w for w, _ in v) for k, v in results.items()}
    if os.environ.get("AWSIP_BENCH_VERBOSE"):
        for k, v in results.items():
            print(k, " ".join(f"{w:.2f}" for w, _ in v))
    rss = {k: max(r for _, r in v) for k, v in results.items()}

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, duckdb {version('duckdb')}; file {flows.name} "
          f"({flows.stat().st_size / 2**20:.1f} MiB gzip); median of {args.repeat}")
    print(f"{'contender':<34} {'wall s':>8} {'peak RSS MiB':>13}")
    labels = {"report": "awsip report (whole process)", "read": "read_flow_logs only",
              "read1": "read_flow_logs, set up as the CLI",
              "fields": "... and the report's fields only",
              "duckdb": "DuckDB SQL (report_duckdb.sql)"}
    for k in ("report", "read", "read1", "fields", "duckdb"):
        print(f"{labels[k]:<34} {wall[k]:>8.2f} {rss[k]:>13,}")
    print(f"\nDuckDB / report: {wall['duckdb'] / wall['report']:.2f}x (target >= 10x, issue 13)")
    print(f"report / read:   {wall['report'] / wall['read']:.2f}x (target <= 1.5x)")
    print(f"report / read set up as the CLI: {wall['report'] / wall['read1']:.2f}x")
    print(f"report / read of the report's fields only (set up as the CLI): "
          f"{wall['report'] / wall['fields']:.2f}x")
    if args.big and Path(args.big).exists():
        at = report_cmd.index(str(flows))
        big_cmd = [*report_cmd[:at], args.big, *report_cmd[at + 1:]]
        w, r = measure(big_cmd)
        rw, rr = measure([*read_cmd[:-1], args.big])
        print(f"\n{Path(args.big).name}: awsip report {w:.2f} s, peak RSS {r:,} MiB "
              f"(vs {rss['report']:,} MiB on {flows.name}); read only {rw:.2f} s, {rr:,} MiB; "
              f"report / read {w / rw:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
