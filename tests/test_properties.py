"""Property tests (hypothesis, bounded so the file stays quick) of the address parsers and the
ranges loader, with the same checks as the fuzz harnesses (fuzz/checks.py).

* Address parsers: every spelling of an address the scalar parser accepts (IPv4-mapped, zone
  ids, leading zeros, surrounding whitespace of every kind) gives the same validity and the
  same value in the bulk parser, on every bulk path; random strings too. tests/test_classify.py
  and tests/test_parse_ipv6.py cover plain IPv4/IPv6 text, near misses and the numpy IPv6
  parser's forms; this file adds the decorated spellings and the values themselves.
* Ranges loader: random mutations of a small real publication, structured (keys, types,
  prefixes, tokens, dates) and byte-level (plain and gzip'd), either load as a consistent
  Ranges or raise RangesError; valid publications with tricky prefixes are looked up alike by
  the scalar index, the bulk engine and the oracle.
"""

from __future__ import annotations

import copy
import gzip
import ipaddress
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsip import InvalidAddressError
from awsip.addr import parse_address
from oracle import load_document
from test_fuzz_regressions import load_checks

checks = load_checks()

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
#: The address tests try every bulk path per example: fewer examples, the same time.
ADDRESS_SETTINGS = settings(SETTINGS, max_examples=70)


@pytest.fixture(autouse=True, scope="module")
def fuzz_workdir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The checks write their input files here, not on /dev/shm."""
    old = getattr(checks, "_workdir")  # noqa: B009
    setattr(checks, "_workdir", tmp_path_factory.mktemp("fuzz"))  # noqa: B010
    yield
    setattr(checks, "_workdir", old)  # noqa: B010


# --------------------------------------------------------------------------- address spellings
#: Whitespace the scalar parser strips (``str.strip``), ASCII and not.
WHITESPACE = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2003",
              "\u3000"]
ZONES = ["%eth0", "%1", "%", "%en0%x", "%\u00e9"]
padding = st.lists(st.sampled_from(WHITESPACE), max_size=2).map("".join)


@st.composite
def ipv4_spelling(draw: st.DrawFn) -> tuple[str, tuple[int, int] | None]:
    """An IPv4 address spelled some way, with the value the parsers must give (None:
    invalid): plain, an octet with a leading zero (invalid, as inet_pton), or IPv4-mapped
    IPv6 (dotted or hex, with or without a zone id; the value is the IPv4 address)."""
    address = draw(st.ip_addresses(v=4))
    value = (4, int(address))
    octets = str(address).split(".")
    style = draw(st.sampled_from(["plain", "leading-zero", "mapped", "mapped-hex",
                                  "mapped-long", "zone-on-ipv4"]))
    if style == "plain":
        return str(address), value
    if style == "leading-zero":
        i = draw(st.integers(0, 3))
        octets[i] = "0" + octets[i]
        return ".".join(octets), None
    if style == "zone-on-ipv4":  # a zone id is dropped only from IPv6 text
        return str(address) + draw(st.sampled_from(ZONES)), None
    n = int(address)
    tail = f"{n >> 16:x}:{n & 0xFFFF:x}" if style == "mapped-hex" else str(address)
    head = "0:0:0:0:0:ffff:" if style == "mapped-long" else draw(
        st.sampled_from(["::ffff:", "::FFFF:", "0::ffff:"]))
    zone = draw(st.sampled_from(["", *ZONES]))
    return head + tail + zone, value


def _groups(number: int) -> list[str]:
    return [f"{number >> (16 * (7 - i)) & 0xFFFF:x}" for i in range(8)]


@st.composite
def ipv6_spelling(draw: st.DrawFn) -> tuple[str, tuple[int, int] | None]:
    """An IPv6 address compressed, exploded or with extra leading zeros (up to four digits a
    group: valid; five: invalid), in any case, with or without a zone id."""
    address = draw(st.ip_addresses(v=6))
    number = int(address)
    mapped = ipaddress.IPv6Address(number).ipv4_mapped is not None
    value: tuple[int, int] | None = (4, number & 0xFFFFFFFF) if mapped else (6, number)
    style = draw(st.sampled_from(["compressed", "exploded", "padded", "too-long-group"]))
    if style == "compressed":
        text = str(address)
    elif style == "exploded":
        text = address.exploded
    else:
        groups = _groups(number)
        i = draw(st.integers(0, 7))
        width = 5 if style == "too-long-group" else draw(st.integers(len(groups[i]), 4))
        groups[i] = groups[i].rjust(width, "0")
        text = ":".join(groups)
        if style == "too-long-group":
            value = None
    text = text.upper() if draw(st.booleans()) else text
    return text + draw(st.sampled_from(["", *ZONES])), value


spellings = st.tuples(st.one_of(ipv4_spelling(), ipv6_spelling()), padding, padding).map(
    lambda t: (t[1] + t[0][0] + t[2], t[0][1]))


def scalar_value(text: str) -> tuple[int, int] | None:
    try:
        return parse_address(text)
    except InvalidAddressError:
        return None


@ADDRESS_SETTINGS
@given(st.lists(spellings, min_size=1, max_size=25))
def test_every_spelling_has_its_value_in_the_scalar_and_the_bulk_parser(
        ranges: Any, cases: list[tuple[str, tuple[int, int] | None]]) -> None:
    texts = [text for text, _ in cases]
    for text, value in cases:
        assert scalar_value(text) == value, text
    checks.check_strings_agree(ranges, texts)  # validity, value, labels on every bulk path


address_characters = st.sampled_from(
    list("0123456789abcdefABCDEF:.%/-xX ") + WHITESPACE + ["\x00", "\u0661", "\uff11", "\u00e9"])
random_text = st.one_of(st.text(address_characters, max_size=45), st.text(max_size=16))


@ADDRESS_SETTINGS
@given(st.lists(random_text, min_size=1, max_size=25))
def test_random_strings_get_the_same_answer_from_the_scalar_and_the_bulk_parser(
        ranges: Any, texts: list[str]) -> None:
    checks.check_strings_agree(ranges, texts)


# --------------------------------------------------------------------------- the ranges loader
def small_publication() -> dict[str, Any]:
    """A real publication cut down: its first prefixes of each family, and some of the
    nested S3/EC2 prefixes of 52.216.0.0/15."""
    doc = load_document()
    nested = [p for p in doc["prefixes"] if p["ip_prefix"].startswith("52.216.")][:6]
    return {"syncToken": doc["syncToken"], "createDate": doc["createDate"],
            "prefixes": doc["prefixes"][:8] + nested, "ipv6_prefixes": doc["ipv6_prefixes"][:5]}


BASE = small_publication()
KEYS = ("syncToken", "createDate", "prefixes", "ipv6_prefixes")
ENTRY_KEYS = ("service", "region", "network_border_group")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=6)


@st.composite
def cidr_text(draw: st.DrawFn) -> str:
    """Prefix text near the valid forms: random networks and lengths (host bits often set),
    lengths out of range or oddly written, IPv4-mapped, /0, the other family."""
    version = draw(st.sampled_from([4, 6]))
    bits = 32 if version == 4 else 128
    number = draw(st.integers(0, 2**bits - 1))
    length = draw(st.integers(0, bits + 2))
    if draw(st.booleans()) and length <= bits:  # a valid prefix: host bits cleared
        number &= ((1 << bits) - 1) ^ ((1 << (bits - length)) - 1)
    address = str(ipaddress.ip_address(number) if version == 6 else ipaddress.IPv4Address(number))
    written = draw(st.sampled_from([str(length), f"0{length}", f"+{length}", f" {length}",
                                    str(length).translate(str.maketrans("0123456789",
                                                                        "０１２３４５６７８９"))]))
    return draw(st.sampled_from([f"{address}/{written}", f"{address}/{length}",
                                 f"::ffff:{ipaddress.IPv4Address(number >> (bits - 32))}/"
                                 f"{96 + length % 33}",
                                 "0.0.0.0/0", "::/0", address]))


@st.composite
def mutated_document(draw: st.DrawFn) -> dict[str, Any]:
    """BASE with one to three structural changes."""
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        family = draw(st.sampled_from(["prefixes", "ipv6_prefixes"]))
        items = doc.get(family)
        op = draw(st.sampled_from(["key-value", "drop-key", "entry-field", "drop-entry-field",
                                   "prefix", "other-family", "duplicate", "token", "date"]))
        if op == "key-value":
            doc[draw(st.sampled_from(KEYS))] = draw(json_values)
        elif op == "drop-key":
            doc.pop(draw(st.sampled_from(KEYS)), None)
        elif op == "token":
            doc["syncToken"] = draw(st.one_of(
                st.integers(-5, 10**25), st.text("0123456789١２", max_size=22),
                st.booleans(), st.floats()))
        elif op == "date":
            doc["createDate"] = draw(st.one_of(
                st.from_regex(r"\A\s?\d{1,5}-\d{1,2}-\d{1,2}-\d{1,2}-\d{1,2}-\d{1,2}\s?\Z"),
                st.text(max_size=20)))
        elif not isinstance(items, list) or not items:
            continue
        else:
            i = draw(st.integers(0, len(items) - 1))
            entry = items[i]
            if not isinstance(entry, dict):  # an earlier change put another value there
                continue
            prefix_key = "ip_prefix" if family == "prefixes" else "ipv6_prefix"
            if op == "entry-field":
                key = draw(st.sampled_from([prefix_key, *ENTRY_KEYS]))
                entry[key] = draw(st.one_of(json_values, st.text(max_size=10)))
            elif op == "drop-entry-field":
                entry.pop(draw(st.sampled_from([prefix_key, *ENTRY_KEYS])), None)
            elif op == "prefix":
                entry[prefix_key] = draw(cidr_text())
            elif op == "other-family":
                other = "ipv6_prefixes" if family == "prefixes" else "prefixes"
                if isinstance(doc.get(other), list):
                    doc[other].append(items.pop(i))
            elif op == "duplicate":
                items.append({**entry, "service": draw(st.sampled_from(["S3", "EC2", "ZZ"]))})
    return doc


def encoded(doc: dict[str, Any], ascii_only: bool) -> bytes:
    return json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@SETTINGS
@given(mutated_document(), st.booleans())
def test_structurally_mutated_documents_load_consistently_or_raise_ranges_error(
        doc: dict[str, Any], ascii_only: bool) -> None:
    with checks.patched(checks, ENGINE_CHECK_PREFIXES=0):
        checks.check_ranges(encoded(doc, ascii_only))  # as a download, gzip'd, and as a file


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    """BASE as JSON (or gzip'd JSON) with bytes flipped, inserted, deleted, or cut short."""
    data = bytearray(encoded(BASE, True))
    if draw(st.booleans()):
        data = bytearray(gzip.compress(bytes(data), mtime=0))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif pos < len(data):
            if op == "delete":
                del data[pos]
            else:
                data[pos] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


@SETTINGS
@given(mutated_bytes())
def test_byte_mutations_load_consistently_or_raise_ranges_error(data: bytes) -> None:
    with checks.patched(checks, ENGINE_CHECK_PREFIXES=0):
        checks.check_ranges(data)


@st.composite
def tricky_publication(draw: st.DrawFn) -> dict[str, Any]:
    """A valid publication of a few prefixes that nest, repeat with other services, are
    /0, /32, /128 or IPv4-mapped: the cases where the engines could differ."""
    doc = copy.deepcopy(BASE)
    doc["prefixes"], doc["ipv6_prefixes"] = doc["prefixes"][:4], doc["ipv6_prefixes"][:2]
    for _ in range(draw(st.integers(1, 8))):
        version = draw(st.sampled_from([4, 6]))
        bits = 32 if version == 4 else 128
        parent = draw(st.sampled_from(doc["prefixes"] if version == 4 else doc["ipv6_prefixes"]))
        net = ipaddress.ip_network(parent["ip_prefix" if version == 4 else "ipv6_prefix"])
        length = draw(st.integers(net.prefixlen, bits))
        offset = draw(st.integers(0, net.num_addresses - 1))
        # the family given, not guessed from the number (under ::/0 a small one reads as IPv4)
        family_network = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
        sub: Any = family_network((int(net.network_address) + offset, length), strict=False)
        if draw(st.integers(0, 9)) == 0:
            sub = ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")
        if version == 6 and draw(st.integers(0, 4)) == 0:
            sub = ipaddress.ip_network(f"::ffff:{draw(st.ip_addresses(v=4))}/128")
        key, family = ("ip_prefix", "prefixes") if version == 4 else ("ipv6_prefix",
                                                                       "ipv6_prefixes")
        doc[family].append({key: str(sub), "region": draw(st.sampled_from(["us-east-1", "GLOBAL"])),
                            "service": draw(st.sampled_from(["AMAZON", "EC2", "S3", "ZZ"])),
                            "network_border_group": "us-east-1"})
    return doc


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tricky_publication())
def test_tricky_publications_are_looked_up_alike_by_index_engine_and_oracle(
        doc: dict[str, Any]) -> None:
    ranges = checks.downloaded(encoded(doc, True))
    assert ranges is not None
    checks.check_engines_agree(ranges)


def test_the_base_publication_loads() -> None:
    ranges = checks.downloaded(encoded(BASE, True))
    assert ranges is not None and len(ranges) == len(BASE["prefixes"]) + len(
        BASE["ipv6_prefixes"])


@pytest.mark.parametrize("prefix", ["::20:0/107", "::102:304/128", "::ffff:0/112"])
def test_an_ipv4_compatible_ipv6_prefix_is_written_as_the_publication_writes_it(
        prefix: str) -> None:
    # glibc's inet_ntop writes ::/96 addresses as ::a.b.c.d; AWS and ipaddress write hex (a
    # falsifying example of the tricky-publication test above)
    doc = copy.deepcopy(BASE)
    doc["ipv6_prefixes"] = [{"ipv6_prefix": prefix, "region": "us-east-1", "service": "EC2",
                             "network_border_group": "us-east-1"}]
    ranges = checks.downloaded(encoded(doc, True))
    assert ranges is not None
    address = prefix.split("/")[0]
    match = ranges.lookup(address)
    assert (match.ip, match.prefix) == (str(ipaddress.IPv6Address(address)), prefix)
    checks.check_engines_agree(ranges)
