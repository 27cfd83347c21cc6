"""Write the seed corpora in fuzz/corpus/ (committed; rerun after changing this file).

* reader: the example records of AWS's VPC flow-log documentation ("Flow log record
  examples") as S3 deliveries with a header, plain, gzip'd (whole, truncated, corrupt), CRLF,
  CloudWatch Logs exports, Logs Insights CSV/JSON, a custom and a Transit Gateway format, and
  a small Parquet file.
* ranges: small slices of real publications in tests/data (plain and gzip'd).
* addresses: addresses at the boundaries of real prefixes, in the spellings the parsers must
  agree on (IPv4-mapped, zone ids, leading zeros, whitespace), and near misses.

Usage: ``python fuzz/make_seeds.py``.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "tests" / "data"
CORPUS = HERE / "corpus"

V2 = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status")
# The example records of the AWS documentation (VPC user guide, "Flow log record examples").
ACCEPTED = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 " \
           "4249 1418530010 1418530070 ACCEPT OK"
REJECTED = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 " \
           "4249 1418530010 1418530070 REJECT OK"
NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
SKIPDATA = "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA"
IPV6 = "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 " \
       "2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 " \
       "ACCEPT OK"
TO_S3 = "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 52.216.58.42 49152 443 6 20 4000 " \
        "1774575485 1774575545 ACCEPT OK"
V5 = ("version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr "
      "srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action "
      "tcp-flags log-status")
V5_LINE = "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 " \
          "eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 " \
          "52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK"
TGW = ("version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id "
       "tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id srcaddr dstaddr srcport dstport "
       "protocol packets bytes start end log-status")
TGW_LINE = "6 TransitGateway 123456789010 tgw-0a1b2c3d4e5f60718 tgw-attach-0a1b2c3d4e5f60718 " \
           "123456789010 210987654321 vpc-0a1b2c3d4e5f60718 vpc-0f1e2d3c4b5a60718 10.0.1.5 " \
           "10.1.2.6 49152 443 6 20 4000 1774575485 1774575545 OK"


def lines(*rows: str, end: str = "\n") -> bytes:
    return "".join(r + end for r in rows).encode()


def reader_seeds() -> dict[str, bytes]:
    plain = lines(V2, ACCEPTED, REJECTED, NODATA, SKIPDATA, IPV6, TO_S3)
    seeds = {
        "s3-v2-header.log": plain,
        "s3-v2-header.log.gz": gzip.compress(plain, mtime=0),
        "two-gzip-members.log.gz": gzip.compress(lines(V2, ACCEPTED), mtime=0)
        + gzip.compress(lines(REJECTED), mtime=0),
        "truncated.log.gz": gzip.compress(plain, mtime=0)[:-40],
        # tests/data/fuzz/reader/corrupt-deflate.log.gz: a gzip header, then an invalid block
        "corrupt-deflate.log.gz": bytes.fromhex("1f8b08000010ffff1084ef"),
        "no-header.log": lines(ACCEPTED, TO_S3, NODATA),
        "crlf.log": lines(V2, ACCEPTED, TO_S3, end="\r\n"),
        "no-final-newline.log": lines(V2, ACCEPTED) + TO_S3.encode(),
        "blank-and-spaces.log": lines(V2, "", ACCEPTED, "   ", "\t", TO_S3.replace(" ", "  ")),
        "repeated-header.log": lines(V2, ACCEPTED, V2, TO_S3),
        "bad-lines.log": lines(V2, ACCEPTED, "2 123 eni-1 not-an-ip 10.0.0.1 1 2 6 1 1 1 2 A OK",
                               TO_S3.replace("4000", "4x00"), "2 too few fields"),
        "bom.log": b"\xef\xbb\xbf" + lines(V2, ACCEPTED),
        "milliseconds.log": lines(V2, TO_S3.replace("1774575485 1774575545",
                                                    "1774575485000 1774575545000")),
        "custom-v5.log": lines(V5, V5_LINE),
        "tgw.log": lines(TGW, TGW_LINE),
        "cloudwatch-export.log": lines("2026-03-27T01:38:05.000Z " + TO_S3,
                                       "2026-03-27T01:38:06.000Z " + ACCEPTED),
        "insights.csv": b"srcAddr,dstAddr,dstPort,interfaceId,totalBytes,sum(packets)\n"
                        b"10.0.1.5,52.216.58.42,443,eni-1,123456,7\n",
        "insights.json": json.dumps([{"@timestamp": "2026-03-27 01:38:05.000",
                                      "srcAddr": "10.0.1.5", "dstAddr": "52.216.58.42",
                                      "bytes_sum": "5000"},
                                     {"@message": TO_S3}]).encode(),
        "get-query-results.json": json.dumps(
            {"status": "Complete", "results": [[{"field": "dstaddr", "value": "3.5.16.209"},
                                                {"field": "sum(bytes)", "value": "42"}]]}
        ).encode(),
        "short-format.log": lines("10.0.1.5 52.216.58.42 4000 1774575485 ACCEPT",
                                  "- - - 1774575485 -"),
        "parquet.parquet": parquet_seed(),
    }
    return seeds


def parquet_seed() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "version": pa.array([2, 2], pa.int32()),
        "srcaddr": ["10.0.1.5", None], "dstaddr": ["52.216.58.42", None],
        "bytes": pa.array([4000, None], pa.int64()),
        "start": pa.array([1774575485, 1774575485], pa.int64()),
        "end": pa.array([1774575545, 1774575545], pa.int64()),
        "log_status": ["OK", "NODATA"],
    })
    out = io.BytesIO()
    pq.write_table(table, out, compression="none")
    return out.getvalue()


def publication(stamp: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(gzip.decompress(
        (DATA / f"ip-ranges-{stamp}.json.gz").read_bytes()))
    return doc


def small(doc: dict[str, Any], start: int, v4: int, v6: int) -> dict[str, Any]:
    return {"syncToken": doc["syncToken"], "createDate": doc["createDate"],
            "prefixes": doc["prefixes"][start:start + v4],
            "ipv6_prefixes": doc["ipv6_prefixes"][start:start + v6]}


def ranges_seeds() -> dict[str, bytes]:
    newest = publication("2026-08-22T151705")
    older = publication("2025-03-10T135318")
    nested = {"syncToken": newest["syncToken"], "createDate": newest["createDate"],
              "prefixes": [p for p in newest["prefixes"]
                           if p["ip_prefix"].startswith("52.216.")][:12],
              "ipv6_prefixes": [p for p in newest["ipv6_prefixes"]
                                if p["ipv6_prefix"].startswith("2600:1f18:")][:6]}
    seeds = {
        "newest-slice.json": json.dumps(small(newest, 0, 12, 6), indent=2).encode(),
        "older-slice.json": json.dumps(small(older, 100, 8, 4)).encode(),
        "nested-s3-ec2.json": json.dumps(nested, indent=1).encode(),
        "empty-lists.json": json.dumps(small(newest, 0, 0, 0)).encode(),
        "integer-token.json": json.dumps({**small(newest, 50, 3, 2),
                                          "syncToken": int(newest["syncToken"])}).encode(),
    }
    seeds["newest-slice.json.gz"] = gzip.compress(seeds["newest-slice.json"], mtime=0)
    return seeds


def boundaries(doc: dict[str, Any], count: int) -> list[str]:
    out: list[str] = []
    for item in (doc["prefixes"][:count] + doc["ipv6_prefixes"][:count]):
        net = ipaddress.ip_network(item.get("ip_prefix") or item["ipv6_prefix"])
        out += [str(net.network_address), str(net.broadcast_address)]
    return out


def address_seeds() -> dict[str, bytes]:
    newest = publication("2026-08-22T151705")
    aws = ["52.216.58.42", "16.15.207.229", "3.5.16.209", "54.231.160.154", "2600:1f18::1",
           "2a05:d018::1"]
    spellings = ["::ffff:52.216.58.42", "::FFFF:34d8:3a2a", "0:0:0:0:0:ffff:52.216.58.42",
                 "fe80::1%eth0", "::ffff:52.216.58.42%1", "2600:1f18:0000:0000::0001",
                 "2600:1F18::1", " 52.216.58.42", "52.216.58.42\t", "\u300052.216.58.42",
                 "052.216.58.42", "52.216.058.42", "52.216.58.42/32", "52.216.58", "1.2.3.4.5",
                 "256.1.1.1", "::", "::1", ":::", "1::2::3", "0.0.0.0", "255.255.255.255",
                 "-", "", "10.0.0.144", "8.8.8.8"]
    return {
        "aws.txt": "\n".join(aws).encode(),
        "spellings.txt": "\n".join(spellings).encode(),
        "boundaries.txt": "\n".join(boundaries(newest, 20)).encode(),
        "nul-separated.txt": ("\x00" + "\x00".join(["52.216.58.42\n", "\n::1", "a\rb"])).encode(),
        "integers.bin": b"".join(n.to_bytes(8, "big", signed=True)
                                 for n in (0x34D83A2A, 0x0A000090, -1, 1 << 32, 0)),
        "not-utf8.txt": b"52.216.58.42\n\xff\xfe1.2.3.4\n2600:1f18::\x80",
    }


def main() -> None:
    for name, seeds in (("reader", reader_seeds()), ("ranges", ranges_seeds()),
                        ("addresses", address_seeds())):
        folder = CORPUS / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for file, data in seeds.items():
            (folder / file).write_bytes(data)
        print(f"{folder}: {len(seeds)} files, {sum(map(len, seeds.values())):,} bytes")


if __name__ == "__main__":
    main()
