"""Reading flow logs from s3:// against a real S3 API (moto's server on 127.0.0.1)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from awsip import FlowLogError
from awsip.flowlogs import read_flow_logs, region_from_path
from flowlog_factory import hive_key, record, s3_key, text, write_parquet

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")  # moto_endpoint (conftest) starts its server

BUCKET = "flow-logs-bucket"


@pytest.fixture(scope="module")
def endpoint(moto_endpoint: str) -> str:
    return moto_endpoint


@pytest.fixture(autouse=True)
def fake_credentials(aws_test_credentials: None) -> None:
    """Every test here runs with moto's test credentials (conftest.aws_test_credentials)."""


@pytest.fixture(scope="module")
def bucket(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket=BUCKET)
    root = Path("")
    objects = {
        s3_key(root, "us-east-1", "20260327T0135Z"): gzip.compress(text([record(bytes=1)])),
        s3_key(root, "eu-west-1", "20260327T0140Z"): gzip.compress(
            text([record(bytes=2), record(bytes=3)])),
    }
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=str(key), Body=body)
    tmp = tmp_path_factory.mktemp("pq")
    pq_local = write_parquet(tmp / "x.parquet", [record(bytes=4)])
    s3.put_object(Bucket=BUCKET, Key=str(hive_key(Path("pq"), "ap-south-1")),
                  Body=pq_local.read_bytes())
    return BUCKET


def test_s3_prefix_is_listed_recursively_and_read(bucket: str, endpoint: str) -> None:
    reader = read_flow_logs(f"s3://{bucket}/AWSLogs/", endpoint_override=endpoint,
                            region="us-east-1", progress=False)
    table = reader.read_all()
    assert sorted(table.column("bytes").to_pylist()) == [1, 2, 3]
    assert all(f.startswith(f"s3://{bucket}/AWSLogs/") for f in reader.files)
    assert sorted(region_from_path(f) or "" for f in reader.files) == ["eu-west-1",
                                                                        "us-east-1"]
    assert reader.stats.files == 2 and reader.stats.records == 3


def test_s3_single_parquet_object(bucket: str, endpoint: str) -> None:
    key = hive_key(Path("pq"), "ap-south-1")
    reader = read_flow_logs(f"s3://{bucket}/{key}", endpoint_override=endpoint,
                            region="us-east-1", progress=False)
    (row,) = reader.read_all().to_pylist()
    assert row["bytes"] == 4 and row["dstaddr"] == "52.216.58.42"
    assert region_from_path(reader.files[0]) == "ap-south-1"


def test_s3_empty_prefix_is_an_error(bucket: str, endpoint: str) -> None:
    with pytest.raises(FlowLogError, match="no objects"):
        read_flow_logs(f"s3://{bucket}/nothing-here/", endpoint_override=endpoint,
                       region="us-east-1")
