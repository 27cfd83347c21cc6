"""Small flow-log files for tests, written the way AWS writes them."""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from awsip.flowlogs.fields import DEFAULT_FIELDS, FIELDS

ACCOUNT = "123456789012"
T0 = 1774575485  # 2026-03-27T01:38:05Z


def record(**over: Any) -> dict[str, Any]:
    """One default-format record as a dict keyed by AWS field name (values as written)."""
    rec: dict[str, Any] = {
        "version": 2, "account-id": ACCOUNT, "interface-id": "eni-0a1b2c3d4e5f60718",
        "srcaddr": "10.0.1.5", "dstaddr": "52.216.58.42", "srcport": 49152, "dstport": 443,
        "protocol": 6, "packets": 20, "bytes": 4000, "start": T0, "end": T0 + 60,
        "action": "ACCEPT", "log-status": "OK",
    }
    rec.update({k.replace("_", "-"): v for k, v in over.items()})
    return rec


def nodata(start: int, end: int) -> dict[str, Any]:
    """A NODATA record: addresses, ports and counts are '-'."""
    return record(srcaddr="-", dstaddr="-", srcport="-", dstport="-", protocol="-",
                  packets="-", bytes="-", start=start, end=end, action="-",
                  log_status="NODATA")


def skipdata(start: int, end: int) -> dict[str, Any]:
    """A SKIPDATA record."""
    return record(srcaddr="-", dstaddr="-", srcport="-", dstport="-", protocol="-",
                  packets="-", bytes="-", start=start, end=end, action="-",
                  log_status="SKIPDATA")


def line(rec: dict[str, Any], fields: Sequence[str] = DEFAULT_FIELDS) -> str:
    """The text line AWS writes for ``rec`` in ``fields`` order ('-' for missing values)."""
    return " ".join(str(rec.get(f, "-")) for f in fields)


def text(records: Sequence[dict[str, Any] | str], fields: Sequence[str] = DEFAULT_FIELDS,
         header: bool = True) -> bytes:
    """File content: optional header line, then one line per record (str = raw line)."""
    lines = [" ".join(fields)] if header else []
    lines += [r if isinstance(r, str) else line(r, fields) for r in records]
    return ("\n".join(lines) + "\n").encode()


def write(path: Path, data: bytes, *, gz: bool = True, members: int = 1) -> Path:
    """Write ``data`` plain or gzipped (optionally as several gzip members, like `cat a.gz
    b.gz`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not gz:
        path.write_bytes(data)
        return path
    if members == 1:
        path.write_bytes(gzip.compress(data))
        return path
    cut = [data.find(b"\n", len(data) * i // members) + 1 for i in range(1, members)]
    parts = [data[a:b] for a, b in zip([0, *cut], [*cut, len(data)], strict=True)]
    path.write_bytes(b"".join(gzip.compress(p) for p in parts))
    return path


def s3_key(root: Path, region: str = "us-east-1", stamp: str = "20260327T0135Z",
           flow_log: str = "fl-0a1b2c3d4e5f60718", service: str = "vpcflowlogs") -> Path:
    """Where AWS puts a text flow-log file in an S3 bucket (root = bucket)."""
    y, m, d = stamp[:4], stamp[4:6], stamp[6:8]
    name = f"{ACCOUNT}_{service}_{region}_{flow_log}_{stamp}_a1b2c3d4.log.gz"
    return root / "AWSLogs" / ACCOUNT / service / region / y / m / d / name


def hive_key(root: Path, region: str = "us-east-1", hour: str = "01") -> Path:
    """Where AWS puts a Parquet file with Hive-compatible partitions and per-hour folders."""
    name = (f"{ACCOUNT}_vpcflowlogs_{region}_fl-0a1b2c3d4e5f60718_20260327T{hour}35Z_a1b2"
            ".log.parquet")
    return (root / "AWSLogs" / f"aws-account-id={ACCOUNT}" / "aws-service=vpcflowlogs"
            / f"aws-region={region}" / "year=2026" / "month=03" / "day=27" / f"hour={hour}" / name)


def write_parquet(path: Path, records: Sequence[dict[str, Any]],
                  fields: Sequence[str] = DEFAULT_FIELDS) -> Path:
    """A Parquet file like AWS's Parquet delivery: underscore names, INT_32/INT_64/STRING."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {"int32": pa.int32(), "int64": pa.int64(), "timestamp": pa.int64(),
             "string": pa.string()}
    cols = {}
    for f in fields:
        vals = [None if r.get(f, "-") == "-" else r.get(f) for r in records]
        typ = kinds[FIELDS[f].kind]
        if typ != pa.string():
            vals = [None if v is None else int(v) for v in vals]
        else:
            vals = [None if v is None else str(v) for v in vals]
        cols[f.replace("-", "_")] = pa.array(vals, typ)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols), path, compression="gzip")
    return path


def truncate(path: Path, keep: float = 0.6) -> Path:
    """Cut a file to ``keep`` of its size (a broken download)."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def env_without_aws() -> dict[str, str]:
    """Environment for a subprocess that must not see real AWS credentials."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
