"""Without the isal package the reader falls back to the standard library's zlib, same results."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from awsip import FlowLogError
from awsip.flowlogs import read_flow_logs
from flowlog_factory import record, text, truncate, write


@pytest.fixture(autouse=True)
def no_isal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "isal" or m.startswith("isal.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "isal", None)  # makes `import isal...` raise ImportError
    from awsip.flowlogs import decompress

    monkeypatch.setattr(decompress, "_isal", None)  # as if imported without isal


def test_reads_gzip_with_the_standard_library(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log.gz", text([record(bytes=i) for i in range(3000)]))
    got = read_flow_logs(path, progress=False).read_all().column("bytes").to_pylist()
    assert got == list(range(3000))


def test_truncated_gzip_still_yields_records_then_names_the_file(tmp_path: Path) -> None:
    path = truncate(write(tmp_path / "cut.log.gz", text([record(bytes=i) for i in range(20000)])),
                    0.5)
    got: list[int] = []
    with pytest.raises(FlowLogError) as err:
        for batch in read_flow_logs(path, progress=False):
            got.extend(batch.column("bytes").to_pylist())
    assert str(path) in str(err.value) and "truncated or corrupt" in str(err.value)
    assert len(got) > 1000 and got == list(range(len(got)))
