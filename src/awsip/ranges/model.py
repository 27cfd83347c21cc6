"""The :class:`Ranges` value: one parsed, validated publication of AWS's ip-ranges.json.

``Ranges`` never touches the network or the disk; :mod:`awsip.loading` produces it. It also owns
the **primary service rule**, the one place that decides which service an address is reported as:

1. The most specific covering prefix decides (longest prefix match).
2. Among the services that tag that prefix, the *narrowest* wins: the service whose prefixes,
   merged, cover the fewest addresses in the same address family of this publication.
3. Ties (equal breadth) go to the service name that sorts first.

So a prefix tagged AMAZON, EC2 and S3 is S3 (S3 covers far fewer addresses than EC2, which covers
fewer than AMAZON); CLOUDFRONT_ORIGIN_FACING beats CLOUDFRONT; and a /32 tagged only AMAZON stays
AMAZON even inside an EC2 range, because the /32 is the most specific prefix. Region and network
border group are those of the deciding entry. The scalar lookup and the vectorized classifier both
take their answer from :meth:`Ranges.label`, so they cannot disagree.

This base type never imports the modules that consume it (the indexes, the diff, the exports):
they register the views they build with :func:`register_view`, and :meth:`Ranges.view` builds
one on first use and keeps it, as packaging's ``Version`` knows nothing of specifiers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal

from ..addr import collapse_networks, format_address, parse_cidr, span, union_size
from ..errors import RangesError

if TYPE_CHECKING:
    import pyarrow

    from ..index.scalar import Match, ScalarIndex
    from .diff import RangesDiff

SourceKind = Literal["network", "cache", "bundled", "file", "memory"]

_FAMILY_KEYS = {4: ("prefixes", "ip_prefix"), 6: ("ipv6_prefixes", "ipv6_prefix")}
_CREATE_DATE_FORMAT = "%Y-%m-%d-%H-%M-%S"


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of ip-ranges.json: a prefix with one service, region and border group."""

    prefix: str
    service: str
    region: str
    network_border_group: str

    @property
    def version(self) -> int:
        """4 or 6."""
        return 6 if ":" in self.prefix else 4

    def to_dict(self) -> dict[str, str]:
        return {
            "prefix": self.prefix,
            "service": self.service,
            "region": self.region,
            "network_border_group": self.network_border_group,
        }


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a :class:`Ranges` came from.

    ``kind`` is ``network`` (downloaded just now), ``cache`` (the on-disk cache), ``bundled``
    (the snapshot shipped inside the package), ``file`` (a path or URL the user named) or
    ``memory`` (built in code). ``checked_at`` is when the cached copy was last confirmed
    current with its server, when known.
    """

    kind: SourceKind
    location: str = ""
    checked_at: datetime | None = None
    #: ``(path, key)`` when this publication is the content of a cache file: data derived
    #: from it (the bulk index) may be kept at ``path`` plus a suffix, for content ``key``
    derived: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Publication:
    """Identity and size of one publication: syncToken, createDate and prefix counts."""

    sync_token: str
    create_date: datetime
    ipv4: int
    ipv6: int

    def to_dict(self) -> dict[str, Any]:
        from ..encoding import iso_utc

        return {"sync_token": self.sync_token, "create_date": iso_utc(self.create_date),
                "ipv4": self.ipv4, "ipv6": self.ipv6}


#: View builders registered by the modules that consume Ranges (see the module doc).
_VIEWS: dict[str, Callable[..., Any]] = {}
_VIEW_LOCK = threading.RLock()


def register_view(name: str, build: Callable[..., Any]) -> None:
    """Make ``ranges.view(name)`` build its value with ``build(ranges)`` (once per Ranges);
    a view taking more arguments is called each time (:meth:`Ranges.diff`)."""
    _VIEWS[name] = build


@dataclass(frozen=True, slots=True)
class _Parsed:
    """Integer form of a prefix, kept next to the entries for indexes and the rule."""

    version: int
    network: int
    prefixlen: int


def parse_create_date(text: object, where: str = "createDate") -> datetime:
    """Parse ip-ranges.json's ``YYYY-MM-DD-hh-mm-ss`` (UTC) into an aware datetime."""
    if not isinstance(text, str):
        raise RangesError(f"{where}: expected a string like '2026-08-22-15-17-05', got {text!r}")
    try:
        return datetime.strptime(text, _CREATE_DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise RangesError(
            f"{where}: {text!r} is not a date of the form YYYY-MM-DD-hh-mm-ss"
        ) from None


@dataclass(frozen=True, eq=False)
class Ranges:
    """A validated publication of ip-ranges.json (immutable).

    Build one with :meth:`from_json` (or :func:`awsip.load_ranges`, which also fetches and
    caches). ``entries`` holds every line of the document, IPv4 first, in document order.
    """

    sync_token: str
    create_date: datetime
    entries: tuple[Entry, ...]
    origin: Origin = Origin("memory")
    _breadth: Mapping[tuple[int, str], int] | None = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, Any], *, origin: Origin | None = None,
                  where: str = "ip-ranges.json") -> Ranges:
        """Parse and validate a document; raise :class:`RangesError` naming what and where."""
        if isinstance(data, (bytes, str)):
            try:
                doc = json.loads(data)
            except RecursionError:  # json's C scanner bounds the depth: [[[[... is an error
                raise RangesError(f"{where}: not valid ip-ranges.json (JSON nested too "
                                  "deeply)") from None
            except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, huge integers
                head = data[:60] if isinstance(data, str) else data[:60].decode("utf-8", "replace")
                raise RangesError(
                    f"{where}: not valid JSON ({_one_line(exc)}); starts with {head!r}") from None
        else:
            doc = data
        if not isinstance(doc, Mapping):
            raise RangesError(f"{where}: expected a JSON object, got {type(doc).__name__}")
        for key in ("syncToken", "createDate", "prefixes", "ipv6_prefixes"):
            if key not in doc:
                raise RangesError(f"{where}: missing key {key!r}")
        token = _sync_token(doc["syncToken"], where)
        created = parse_create_date(doc["createDate"], f"{where}: createDate")
        entries: list[Entry] = []
        parsed: dict[str, _Parsed] = {}
        for version, (list_key, prefix_key) in _FAMILY_KEYS.items():
            items = doc[list_key]
            if not isinstance(items, list):
                raise RangesError(
                    f"{where}: {list_key}: expected a list, got {type(items).__name__}")
            for i, item in enumerate(items):
                entry, p = _parse_item(item, version, f"{where}: {list_key}[{i}]", prefix_key)
                entries.append(entry)
                parsed[entry.prefix] = p
        ranges = cls(token, created, tuple(entries), origin or Origin("memory"))
        ranges._cache["parsed"] = parsed
        return ranges

    #: Version of the :meth:`to_compact` layout; bump when it changes.
    COMPACT_FORMAT = 1

    def to_compact(self) -> tuple[Any, ...]:
        """A marshal-friendly tuple of this publication's validated state (:meth:`from_compact`).

        The on-disk cache stores it next to the JSON so a warm start skips parsing and validation.
        """
        prefixes = self.prefixes
        parsed = tuple((p, *_astuple(self.parsed(p))) for p in prefixes)
        breadth = tuple((v, s, n) for (v, s), n in self.breadth_table().items())
        rows = tuple((e.prefix, e.service, e.region, e.network_border_group) for e in self.entries)
        created = self.create_date.strftime(_CREATE_DATE_FORMAT)
        return (self.COMPACT_FORMAT, self.sync_token, created, rows, parsed, breadth)

    @classmethod
    def from_compact(cls, state: tuple[Any, ...], *, origin: Origin | None = None) -> Ranges:
        """Rebuild from :meth:`to_compact` output without re-validating (trusted input only).

        Raises ``ValueError`` when ``state`` has another layout version or shape.
        """
        if not isinstance(state, tuple) or len(state) != 6 or state[0] != cls.COMPACT_FORMAT:
            raise ValueError("not a compact Ranges state of this version")
        _, token, created, rows, parsed, breadth = state
        ranges = cls(str(token), parse_create_date(created), tuple(Entry(*r) for r in rows),
                     origin or Origin("memory"), {(v, s): n for v, s, n in breadth})
        ranges._cache["parsed"] = {p: _Parsed(v, n, n_len) for p, v, n, n_len in parsed}
        return ranges

    def with_origin(self, origin: Origin) -> Ranges:
        """The same publication with another :class:`Origin`, sharing what was computed."""
        other = replace(self, origin=origin)
        other._cache.update(self._cache)
        return other

    def memo(self, name: str, build: Callable[[], Any]) -> Any:
        """A value derived from this publication, built once (threads asking while it is being
        built wait for it) and kept with it."""
        try:
            return self._cache[name]
        except KeyError:
            pass
        with _VIEW_LOCK:
            if name not in self._cache:
                self._cache[name] = build()
            return self._cache[name]

    def view(self, name: str) -> Any:
        """The view ``name`` registered by a consuming module (:func:`register_view`)."""
        build = _registered(name)
        return self.memo(name, lambda: build(self))

    @property
    def publication(self) -> Publication:
        """syncToken, createDate and prefix counts."""
        return Publication(self.sync_token, self.create_date, len(self.ipv4), len(self.ipv6))

    # ----------------------------------------------------------------- basic views
    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __repr__(self) -> str:
        return (f"<Ranges syncToken={self.sync_token}"
                f" createDate={self.create_date:%Y-%m-%d %H:%M:%S}"
                f" ipv4={len(self.ipv4)} ipv6={len(self.ipv6)} source={self.origin.kind}>")

    @property
    def source(self) -> SourceKind:
        """Where these ranges came from: network, cache, bundled, file or memory."""
        return self.origin.kind

    @property
    def age(self) -> timedelta:
        """Time since AWS published this document (now minus createDate)."""
        return datetime.now(timezone.utc) - self.create_date

    @property
    def ipv4(self) -> tuple[Entry, ...]:
        return self._family(4)

    @property
    def ipv6(self) -> tuple[Entry, ...]:
        return self._family(6)

    def _family(self, version: int) -> tuple[Entry, ...]:
        key = f"family{version}"
        if key not in self._cache:
            self._cache[key] = tuple(e for e in self.entries if e.version == version)
        result: tuple[Entry, ...] = self._cache[key]
        return result

    @property
    def services(self) -> frozenset[str]:
        return frozenset(e.service for e in self.entries)

    @property
    def regions(self) -> frozenset[str]:
        return frozenset(e.region for e in self.entries)

    @property
    def network_border_groups(self) -> frozenset[str]:
        return frozenset(e.network_border_group for e in self.entries)

    @property
    def prefixes(self) -> dict[str, tuple[Entry, ...]]:
        """Every distinct prefix with the entries that tag it, in document order."""
        if "by_prefix" not in self._cache:
            grouped: dict[str, list[Entry]] = {}
            for e in self.entries:
                grouped.setdefault(e.prefix, []).append(e)
            self._cache["by_prefix"] = {p: tuple(es) for p, es in grouped.items()}
        result: dict[str, tuple[Entry, ...]] = self._cache["by_prefix"]
        return result

    def filter(
        self,
        service: str | Iterable[str] | None = None,
        region: str | Iterable[str] | None = None,
        network_border_group: str | Iterable[str] | None = None,
        version: int | None = None,
    ) -> Ranges:
        """Entries matching every given criterion (values of one criterion are OR-ed).

        Matching is case-insensitive. The result keeps this publication's service breadths, so
        the primary service rule gives the same answers on a filtered view.
        """
        wanted = [(_as_upper_set(service), "service"), (_as_upper_set(region), "region"),
                  (_as_upper_set(network_border_group), "network_border_group")]
        if version not in (None, 4, 6):
            raise ValueError(f"version must be 4, 6 or None, not {version!r}")

        def keep(e: Entry) -> bool:
            if version is not None and e.version != version:
                return False
            return all(s is None or getattr(e, name).upper() in s for s, name in wanted)

        return Ranges(self.sync_token, self.create_date, tuple(e for e in self.entries if keep(e)),
                      self.origin, self.breadth_table())

    # ----------------------------------------------------------------- the rule
    def parsed(self, prefix: str) -> _Parsed:
        """Integer form of one of this publication's prefixes."""
        table: dict[str, _Parsed] | None = self._cache.get("parsed")
        if table is None:
            table = {}
            for p in self.prefixes:
                version, network, plen = parse_cidr(p)
                table[p] = _Parsed(version, network, plen)
            self._cache["parsed"] = table
        return table[prefix]

    def breadth_table(self) -> Mapping[tuple[int, str], int]:
        """Addresses covered by each service's merged prefixes, keyed by (version, service)."""
        if self._breadth is None:
            spans: dict[tuple[int, str], list[tuple[int, int]]] = {}
            for e in self.entries:
                p = self.parsed(e.prefix)
                spans.setdefault((p.version, e.service), []).append(
                    span(p.version, p.network, p.prefixlen))
            table = {key: union_size(iv) for key, iv in spans.items()}
            object.__setattr__(self, "_breadth", table)
            return table
        return self._breadth

    def breadth(self, service: str, version: int) -> int:
        """How many addresses of the given family ``service``'s prefixes cover (0 if none)."""
        return self.breadth_table().get((version, service), 0)

    def rank_services(self, services: Iterable[str], version: int) -> list[str]:
        """Services ordered narrowest first (the rule's order); duplicates removed."""
        return sorted(set(services), key=lambda s: (self.breadth(s, version), s))

    def label(self, prefix: str) -> Entry:
        """The entry that decides for addresses whose most specific prefix is ``prefix``."""
        labels: dict[str, Entry] | None = self._cache.get("labels")
        if labels is None:
            labels = {}
            for p, es in self.prefixes.items():
                version = self.parsed(p).version
                labels[p] = min(es, key=lambda e: (self.breadth(e.service, version), e.service))
            self._cache["labels"] = labels
        return labels[prefix]

    # ----------------------------------------------------------------- consumers' views
    def lookup(self, ip: object) -> Match:
        """Which AWS service and region ``ip`` belongs to (see the module doc for the rule);
        answered by the scalar index (:mod:`awsip.index.scalar`)."""
        result: Match = self.view("scalar_index").lookup(ip)
        return result

    def index(self) -> ScalarIndex:
        """The longest-prefix-match index behind :meth:`lookup` (built once, then reused)."""
        index: ScalarIndex = self.view("scalar_index")
        return index

    def __contains__(self, ip: object) -> bool:
        return self.lookup(ip).aws

    def to_arrow(self) -> pyarrow.Table:
        """Entries as an Arrow table with integer bounds, for SQL range joins
        (:func:`awsip.ranges.export.ranges_to_arrow`)."""
        table: pyarrow.Table = self.view("arrow")
        return table

    def collapse(self) -> list[str]:
        """The minimal CIDR set covering the same addresses (tags dropped), IPv4 first."""
        return [f"{format_address(v, n)}/{p}" for v, n, p in self.collapsed_networks()]

    def collapsed_networks(self) -> list[tuple[int, int, int]]:
        """:meth:`collapse` as ``(version, network, prefixlen)`` triples."""
        return collapse_networks(
            (q.version, q.network, q.prefixlen) for q in map(self.parsed, self.prefixes))

    def diff(self, other: Ranges) -> RangesDiff:
        """What changed from this publication (old) to ``other`` (new); see
        :mod:`awsip.ranges.diff`."""
        result: RangesDiff = _registered("diff")(self, other)
        return result

    # ----------------------------------------------------------------- serialisation
    def to_document(self) -> dict[str, Any]:
        """The ip-ranges.json document these ranges represent."""
        doc: dict[str, Any] = {
            "syncToken": self.sync_token,
            "createDate": self.create_date.strftime(_CREATE_DATE_FORMAT),
            "prefixes": [],
            "ipv6_prefixes": [],
        }
        for e in self.entries:
            key = "ip_prefix" if e.version == 4 else "ipv6_prefix"
            doc["prefixes" if e.version == 4 else "ipv6_prefixes"].append(
                {key: e.prefix, "region": e.region, "service": e.service,
                 "network_border_group": e.network_border_group})
        return doc


#: Longest syncToken accepted (AWS's are 10 digits, seconds since 1970).
_MAX_TOKEN_DIGITS = 20


def _sync_token(value: object, where: str) -> str:
    """The syncToken as a string of at most 20 ASCII digits (an int is accepted as such)."""
    token = value
    if isinstance(value, int) and not isinstance(value, bool):
        token = str(value) if 0 <= value < 10 ** _MAX_TOKEN_DIGITS else None
    if not isinstance(token, str) or not (token.isascii() and token.isdigit()) or \
            len(token) > _MAX_TOKEN_DIGITS:
        shown = repr(value)[:40] if not isinstance(value, int) or len(repr(value)) < 40 else \
            f"an integer of {value.bit_length()} bits"
        raise RangesError(f"{where}: syncToken: expected a string of at most "
                          f"{_MAX_TOKEN_DIGITS} ASCII digits, got {shown}")
    return token


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:200] + "..."


def _parse_item(item: object, version: int, where: str, prefix_key: str) -> tuple[Entry, _Parsed]:
    if not isinstance(item, Mapping):
        raise RangesError(f"{where}: expected an object, got {type(item).__name__}")
    values: list[str] = []
    for key in (prefix_key, "service", "region", "network_border_group"):
        if key not in item:
            raise RangesError(f"{where}: missing key {key!r}")
        value = item[key]
        if not isinstance(value, str) or not value:
            raise RangesError(f"{where}.{key}: expected a non-empty string, got {value!r}")
        if not value.isascii() and not _is_unicode(value):
            raise RangesError(f"{where}.{key}: {value!r} is not Unicode text (a lone "
                              "surrogate escape such as \\ud800)")
        values.append(value)
    text = values[0]
    try:
        got_version, network, plen = parse_cidr(text)
    except ValueError as exc:
        raise RangesError(f"{where}.{prefix_key}: {exc}") from None
    if got_version != version:
        raise RangesError(f"{where}.{prefix_key}: {text!r} is not an IPv{version} prefix")
    canonical = f"{format_address(version, network)}/{plen}"
    return Entry(canonical, values[1], values[2], values[3]), _Parsed(version, network, plen)


def _is_unicode(text: str) -> bool:
    """Whether ``text`` is valid Unicode (JSON's ``\\ud800`` escapes give strings that are not,
    and that no UTF-8 writer, Arrow's included, accepts)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _astuple(p: _Parsed) -> tuple[int, int, int]:
    return (p.version, p.network, p.prefixlen)


def _registered(name: str) -> Callable[..., Any]:
    try:
        return _VIEWS[name]
    except KeyError:
        raise LookupError(f"no view {name!r} is registered; import awsip first") from None


def _as_upper_set(value: str | Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset({value.upper()})
    return frozenset(v.upper() for v in value)


__all__ = ["Entry", "Origin", "Publication", "Ranges", "parse_create_date", "register_view"]
