"""``awsip.polars``: Polars Series and expressions answering like ``awsip.classify``."""

from __future__ import annotations

import gzip

import polars as pl
import pytest

import awsip
import awsip.polars
from awsip import Ranges
from oracle import NEWEST, boundary_addresses, load_document
from test_sql import INVALID, ODD_VALID

FIELDS = ["aws", "service", "region", "network_border_group", "prefix"]


@pytest.fixture(scope="module")
def ranges() -> Ranges:
    return Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))


@pytest.fixture(scope="module")
def values() -> list[str | None]:
    return [*boundary_addresses(load_document(NEWEST)), *ODD_VALID, *INVALID, None]


def expected(values: list[str | None], ranges: Ranges) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = awsip.classify(values, ranges).select(FIELDS).to_pylist()
    return rows


def test_series_agrees_with_classify_on_every_prefix_boundary(
        ranges: Ranges, values: list[str | None]) -> None:
    result = awsip.polars.classify(pl.Series("ip", values), ranges)
    assert result.name == "ip" and result.dtype == pl.Struct
    assert result.to_list() == expected(values, ranges)


def test_expression_in_a_lazy_frame_agrees_with_classify(
        ranges: Ranges, values: list[str | None]) -> None:
    frame = pl.LazyFrame({"n": range(len(values)), "ip": values})
    out = frame.with_columns(awsip.polars.classify(pl.col("ip"), ranges).alias("aws")) \
        .unnest("aws").sort("n").collect()
    assert out.select(FIELDS).to_dicts() == expected(values, ranges)


def test_namespace_gives_each_label(ranges: Ranges) -> None:
    df = pl.DataFrame({"dst": ["52.216.58.42", "2600:1f18::1", "8.8.8.8", "bad", None]})
    out = df.select(pl.col("dst").aws.service(ranges).alias("service"),
                    pl.col("dst").aws.region(ranges).alias("region"),
                    pl.col("dst").aws.network_border_group(ranges).alias("nbg"),
                    pl.col("dst").aws.prefix(ranges).alias("prefix"),
                    pl.col("dst").aws.is_aws(ranges).alias("aws"))
    assert out.rows() == [("S3", "us-east-1", "us-east-1", "52.216.0.0/15", True),
                          ("EC2", "us-east-1", "us-east-1", "2600:1f18::/33", True),
                          (None, None, None, None, False),
                          (None, None, None, None, None),
                          (None, None, None, None, None)]


def test_something_else_is_a_type_error(ranges: Ranges) -> None:
    with pytest.raises(TypeError, match="polars Series or expression"):
        awsip.polars.classify(["52.216.58.42"], ranges)
