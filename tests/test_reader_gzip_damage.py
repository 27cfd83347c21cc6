"""After gzip damage the reader produces every complete line zlib can still read, then names
the file and the offset (issue 15); zlib fed one byte at a time is the independent oracle."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from awsip import AwsipError, FlowLogError, read_flow_logs
from flowlog_factory import record, text


def _zlib_readable(data: bytes) -> bytes:
    """What zlib decompresses from ``data`` (one gzip member) before it fails or ends."""
    d = zlib.decompressobj(31)
    out = bytearray()
    for i in range(len(data)):
        try:
            out += d.decompress(data[i:i + 1])
        except zlib.error:
            break
        if d.eof:
            break
    return bytes(out)


def _complete_lines(data: bytes) -> int:
    return data.count(b"\n")


def _read(path: Path) -> tuple[list[int], object, str]:
    reader = read_flow_logs(path, progress=False)
    got: list[int] = []
    with pytest.raises(FlowLogError) as err:
        for batch in reader:
            got.extend(batch.column("bytes").to_pylist())
    return got, reader.stats, str(err.value)


_BODY = text([record(bytes=i) for i in range(1000)])  # a small file: ~100 KB of text


@pytest.mark.parametrize("fraction", [0.1, 0.37, 0.5, 0.81, 0.99])
def test_a_truncated_small_file_gives_every_line_zlib_can_read(tmp_path: Path,
                                                               fraction: float) -> None:
    whole = gzip.compress(_BODY)
    cut = whole[: int(len(whole) * fraction)]
    path = tmp_path / "cut.log.gz"
    path.write_bytes(cut)
    got, stats, message = _read(path)
    lines = _complete_lines(_zlib_readable(cut))
    assert got == list(range(lines - 1))  # the header is the first line
    assert stats.lines == lines  # type: ignore[attr-defined]
    assert str(path) in message and "truncated" in message and f"byte {len(cut)}" in message


@pytest.mark.parametrize("where", [0.3, 0.6, 0.9])
def test_a_corrupt_deflate_block_gives_every_line_zlib_can_read_as_an_awsip_error(
        tmp_path: Path, where: float) -> None:
    whole = bytearray(gzip.compress(_BODY))
    at = int(len(whole) * where)
    whole[at:at + 64] = bytes(64)  # zeroed: a corrupt block for zlib
    path = tmp_path / "bad.log.gz"
    path.write_bytes(bytes(whole))
    reader = read_flow_logs(path, progress=False)
    with pytest.raises(AwsipError) as err:
        reader.read_all()
    readable = _zlib_readable(bytes(whole))
    # every complete line zlib produced was read (garbage ones are skipped by the line rule)
    assert reader.stats.lines == _complete_lines(readable)
    assert reader.stats.records >= _complete_lines(readable[: at // 2]) - 1
    assert str(path) in str(err.value)


def test_after_a_damaged_member_reading_resumes_at_the_next_member(tmp_path: Path) -> None:
    parts = [text([record(bytes=i) for i in range(k, k + 3000)], header=False)
             for k in (0, 3000, 6000)]
    members = [gzip.compress(p) for p in parts]
    bad = bytearray(members[1])
    bad[len(bad) // 2: len(bad) // 2 + 200] = bytes(200)
    path = tmp_path / "three.log.gz"
    path.write_bytes(members[0] + bytes(bad) + members[2])
    got, stats, message = _read(path)
    middle = _complete_lines(_zlib_readable(bytes(bad)))
    assert got[:3000] == list(range(3000))
    assert got[-3000:] == list(range(6000, 9000))
    assert stats.lines == 3000 + middle + 3000  # type: ignore[attr-defined]
    assert "reading went on at the next gzip member" in message and str(path) in message
