"""The vectorized IPv6 parser answers exactly like ``socket.inet_pton(AF_INET6)`` (glibc).

``awsip.addr.columns.parse_strings`` parses hex-and-colon text with numpy (for large inputs) and
leaves every other string to the scalar parser; these tests compare both the raw parser and
``parse_strings`` with ``inet_pton`` / ``awsip.addr.parse_address`` on generated text forms,
valid and not. The size threshold is lowered to 0 here so that small inputs take the numpy path.
"""

from __future__ import annotations

import ipaddress
import socket

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import awsip.addr.columns as vindex
from awsip import InvalidAddressError, Ranges
from awsip.addr import parse_address
from awsip.addr.columns import parse_ipv6_hex, parse_strings
from awsip.classification.engine import classify
from oracle import NEWEST, load_document


@pytest.fixture(autouse=True)
def numpy_path_for_every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vindex, "_MIN_HEX6", 0)


def pton6(text: str) -> int | None:
    """The reference: glibc's inet_pton(AF_INET6) as an integer, None when it refuses."""
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
    except (OSError, ValueError):
        return None


def reference(text: str) -> tuple[int, int]:
    """What ``parse_strings`` must say for one string: ``(version, int)``, (0, 0) if invalid."""
    try:
        return parse_address(text)
    except InvalidAddressError:
        return 0, 0


def parsed_rows(texts: list[str]) -> list[tuple[int, int]]:
    p = parse_strings(pa.array(texts, type=pa.string()))
    out = []
    for ver, v4, hi, lo in zip(p.version.tolist(), p.v4.tolist(), p.hi.tolist(), p.lo.tolist(),
                               strict=True):
        out.append((ver, v4 if ver == 4 else (hi << 64 | lo) if ver == 6 else 0))
    return out


def text_forms(number: int, draw_style: int) -> str:
    """One of several spellings of an address: compressed, exploded, leading zeros dropped."""
    addr = ipaddress.IPv6Address(number)
    groups = [int(g, 16) for g in addr.exploded.split(":")]
    if draw_style == 0:
        return str(addr)
    if draw_style == 1:
        return addr.exploded
    return ":".join(f"{g:x}" for g in groups)  # uncompressed, no leading zeros


sparse = st.lists(st.sampled_from([0, 0, 0, 1, 0xFFFF, 0x10, 0xABCD]), min_size=8, max_size=8
                  ).map(lambda gs: sum(g << (16 * (7 - i)) for i, g in enumerate(gs)))
numbers = st.one_of(st.integers(0, 2**128 - 1), sparse,
                    st.integers(0, 2**32 - 1).map(lambda n: 0xFFFF << 32 | n))
valid_text = st.builds(text_forms, numbers, st.integers(0, 2)).flatmap(
    lambda s: st.sampled_from([s, s.upper(), s.lower()]))
pieces = ["0", "00", "000", "0000", "00000", "1", "a", "F", "ff", "abcd", "ABCD", "12345",
          "fffff", ":", ":", ":", "::", ":::", "1.2.3.4", "g", " ", "%eth0", "/64"]
token_soup = st.lists(st.sampled_from(pieces), max_size=14).map("".join)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid form with a few characters inserted, deleted or replaced."""
    chars = list(draw(valid_text))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.integers(0, 2))
        pos = draw(st.integers(0, len(chars)))
        piece = draw(st.sampled_from(["0", "f", "F", ":", "::", "00"]))
        if op == 0 and pos < len(chars):
            del chars[pos]
        elif op == 1:
            chars.insert(pos, piece)
        elif pos < len(chars):
            chars[pos] = piece
    return "".join(chars)


any_text = st.one_of(valid_text, mutated(), token_soup)

EDGE_CASES = [
    "::", ":", ":::", "::::", "1::2::3", "::1", "1::", "1:", ":1", ":1::", "1:::2", "1::2:",
    "::1:2:3:4:5:6:7", "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4::5:6:7:8",
    "00001::", "0000:0000:0000:0000:0000:0000:0000:0000", "FFFF:ffff:FfFf:ffff:ffff:ffff:ffff:ffff",
    "12345::", "1:2:3:4:5:6:7:12345", "::ffff:102:304", "::FFFF:0:0", "::fffe:1:2",
    "::ffff:1.2.3.4", "1.2.3.4", "abcd", "1", "a:b", "fe80::1%eth0", " ::1 ", "2001:db8::/32",
]


def test_edge_cases_match_inet_pton() -> None:
    starts_ok = [t for t in EDGE_CASES if t and set(t) <= set("0123456789abcdefABCDEF:")]
    data = pa.array(starts_ok, type=pa.string())
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int32).astype(np.int64)
    raw = np.frombuffer(data.buffers()[2], dtype=np.uint8)
    ok, hi, lo, eligible = parse_ipv6_hex(raw, offsets[:-1], np.diff(offsets))
    assert eligible.all()
    for i, text in enumerate(starts_ok):
        want = pton6(text)
        assert bool(ok[i]) == (want is not None), text
        if want is not None:
            assert int(hi[i]) << 64 | int(lo[i]) == want, text


def test_edge_cases_through_parse_strings_match_the_scalar_parser() -> None:
    assert parsed_rows(EDGE_CASES) == [reference(t) for t in EDGE_CASES]


def test_characters_other_than_hex_and_colon_are_left_to_the_caller() -> None:
    texts = ["::ffff:1.2.3.4", "fe80::1%eth0", " ::1", "::1\n", "1::g", "::é"]
    data = pa.array(texts, type=pa.string())
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int32).astype(np.int64)
    raw = np.frombuffer(data.buffers()[2], dtype=np.uint8)
    ok, _, _, eligible = parse_ipv6_hex(raw, offsets[:-1], np.diff(offsets))
    assert not eligible.any() and not ok.any()


@settings(max_examples=200, deadline=None)
@given(st.lists(any_text, min_size=1, max_size=80))
def test_random_text_forms_parse_like_the_scalar_parser(texts: list[str]) -> None:
    assert parsed_rows(texts) == [reference(t) for t in texts]


@settings(max_examples=200, deadline=None)
@given(st.lists(valid_text, min_size=1, max_size=40))
def test_valid_forms_give_inet_pton_numbers_and_mapped_fold_to_ipv4(texts: list[str]) -> None:
    for text, (version, number) in zip(texts, parsed_rows(texts), strict=True):
        want = pton6(text)
        assert want is not None
        if want >> 32 == 0xFFFF:
            assert (version, number) == (4, want & 0xFFFFFFFF)
        else:
            assert (version, number) == (6, want)


def test_many_strings_span_several_chunks() -> None:
    rng = np.random.default_rng(7)
    numbers = [int(rng.integers(0, 2**63)) << 65 | int(rng.integers(0, 2**63)) for _ in range(9000)]
    texts = [text_forms(n, i % 3) for i, n in enumerate(numbers)]
    texts[::11] = [t + ":" for t in texts[::11]]  # some invalid ones in every chunk
    texts[5::13] = [t.replace(":", ":::", 1) for t in texts[5::13]]
    assert parsed_rows(texts) == [reference(t) for t in texts]


def test_sliced_arrays_are_read_at_their_offsets() -> None:
    texts = ["1.2.3.4", "::1", "2001:db8::1", "bogus", "fe80::1%eth0", "::ffff:102:304", "1:"]
    p = parse_strings(pa.array(texts, type=pa.string()).slice(2, 4))
    assert p.version.tolist() == [6, 0, 6, 4]
    assert (int(p.hi[0]) << 64 | int(p.lo[0])) == int(ipaddress.IPv6Address("2001:db8::1"))
    assert int(p.v4[3]) == 0x01020304


@pytest.fixture(scope="module")
def ranges() -> Ranges:
    return Ranges.from_json(load_document(NEWEST))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(any_text, st.ip_addresses(v=4).map(str)), min_size=1, max_size=60))
def test_classify_on_mixed_text_agrees_with_lookup(ranges: Ranges, texts: list[str]) -> None:
    table = classify(texts, ranges)
    for text, row in zip(texts, table.to_pylist(), strict=True):
        try:
            match = ranges.lookup(text)
        except InvalidAddressError:
            assert row["valid"] is False, text
            continue
        assert row["valid"] is True, text
        assert (row["aws"], row["prefix"], row["service"]) == (
            match.aws, match.prefix, match.service), text


def test_addresses_inside_aws_ipv6_prefixes_agree_with_lookup(ranges: Ranges) -> None:
    six = [p for p in ranges.prefixes if ":" in p][::5]
    texts = []
    for prefix in six:
        net = ipaddress.IPv6Network(prefix)
        for n in (int(net.network_address), int(net.broadcast_address),
                  int(net.network_address) + 0x1234):
            if n <= int(net.broadcast_address):
                texts += [str(ipaddress.IPv6Address(n)), ipaddress.IPv6Address(n).exploded.upper()]
    table = classify(texts, ranges)
    for text, row in zip(texts, table.to_pylist(), strict=True):
        assert row["prefix"] == ranges.lookup(text).prefix, text
