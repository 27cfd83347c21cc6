"""SQL that answers like ``awsip lookup``, for engines awsip cannot run in (``awsip sql``).

:func:`to_sql` writes statements whose last one is a ``SELECT`` returning every row of a table
plus, per address column ``c``, the columns ``c_service``, ``c_region``,
``c_network_border_group`` and ``c_prefix`` under the primary service rule
(:mod:`awsip.ranges.model`): NULL for NULL, invalid and non-AWS values.

**How it stays linear.** The rule is resolved in Python, once per prefix (:meth:`Ranges.label`),
so SQL only has to find the longest published prefix that covers an address. An address is
four 32-bit words held in ``BIGINT`` (``w0..w3``; IPv4 is ``0, 0, 0, address``), the only
integer every dialect has. For every prefix length present in the publication the address is
truncated to that length (``w - w % 2^k`` per word) and the truncated words are joined, as an
**equi-join** on ``(family, prefixlen, k0, k1, k2, k3)``, with the prefixes. The longest match
per address wins. Every join is a hash join: the work is (rows × prefix lengths of the family),
with no ``BETWEEN`` range join. Addresses are classified once per distinct value and joined
back to the table by their text.

**Parsing in SQL** follows awsip's parser (:func:`awsip.addr.parse_address`): surrounding ASCII
whitespace is ignored, IPv4 is four decimal octets 0-255 without leading zeros, IPv6 is what
glibc's ``inet_pton`` accepts (checked by one generated regular expression: 1-4 hex digits per
group, at most one ``::`` standing for at least one group, an optional dotted IPv4 tail), an
IPv6 zone (``%eth0``) is dropped and IPv4-mapped IPv6 (``::ffff:a.b.c.d``) is IPv4. Anything
else is NULL. One difference remains: awsip also strips non-ASCII whitespace (Python's
``str.strip``); the SQL does not, so such values are NULL there.

**Ranges** travel inside the statement (a ``VALUES`` list with one row per prefix, its deciding
service, region and border group), or come from a table or Parquet file written by
``awsip ranges --output-format parquet`` (``ranges_table=``): its ``label`` rows are the
deciding entries, and the words come from ``first_hi``/``first_lo``.

Dialects differ only in a few functions (:class:`Dialect`). DuckDB, Spark SQL and ClickHouse
are run by the tests; Trino/Athena, Snowflake and BigQuery are only parsed (sqlglot).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..addr import format_address
from ..errors import UsageError

if TYPE_CHECKING:
    from ..ranges.model import Ranges

#: Dialects of :func:`to_sql`, as ``awsip sql --dialect`` spells them.
DIALECTS = ("duckdb", "trino", "athena", "spark", "clickhouse", "snowflake", "bigquery")
#: The label columns added per address column, in order (``<column>_<label>``).
LABELS = ("service", "region", "network_border_group", "prefix")
_WORD = 1 << 32
_ID_SCALE = 1_000_000  # best match per address = MAX(prefixlen * scale + prefix id)
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_V4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_HEX = "0123456789abcdef"


def ipv6_regex() -> str:
    """The IPv6 text forms ``inet_pton`` accepts, lower case, as one alternation (anchored by
    :meth:`Dialect.whole`).

    With ``::``: ``k`` groups before and ``m`` after, ``k + m <= 7`` (``::`` is at least one
    group), or ``k + m <= 5`` before a dotted IPv4 tail (which is two groups).
    """
    h = "[0-9a-f]{1,4}"

    def left(k: int) -> str:
        return "" if k == 0 else f"({h}:){{{k - 1}}}{h}" if k > 1 else h

    forms = [f"({h}:){{7}}{h}", f"({h}:){{6}}{_V4}"]
    for k in range(8):
        right = f"({h}(:{h}){{0,{6 - k}}})?" if k < 7 else ""
        forms.append(f"{left(k)}::{right}")
    for k in range(6):
        forms.append(f"{left(k)}::({h}:){{0,{5 - k}}}{_V4}")
    return "(" + "|".join(forms) + ")"


def ipv4_regex() -> str:
    """Four decimal octets 0-255, no leading zeros (glibc ``inet_pton(AF_INET)``)."""
    return f"({_V4})"


# ---------------------------------------------------------------------- dialects
@dataclass(frozen=True)
class Dialect:
    """The functions that differ between engines; everything else is common SQL."""

    name: str
    text_type: str = "VARCHAR"
    backslashes: bool = False  # string literals take backslash escapes
    quote: str = '"'
    whitespace: str = r"[\x09-\x0d\x1c-\x20]"
    match: Callable[[str, str], str] = lambda s, p: f"regexp_like({s}, {p})"
    replace_all: Callable[[str, str], str] = lambda s, p: f"regexp_replace({s}, {p}, '')"
    part: Callable[[str, str, int], str] = lambda s, sep, i: f"split_part({s}, {sep}, {i})"
    position: Callable[[str, str], str] = lambda sub, s: f"strpos({s}, {sub})"
    mod: Callable[[str, str], str] = lambda a, b: f"({a}) % ({b})"
    int_div: Callable[[str, str], str] = lambda a, b: f"({a}) / ({b})"
    lpad: str = "lpad"
    to_int: Callable[[str], str] = lambda s: f"CAST({s} AS BIGINT)"
    suffix: str = ""
    hex_to_int: Callable[[str], str] | None = None  # else digit by digit, in portable SQL
    preamble: str = ""  # statements before the SELECT, each ending with ";\n"
    lines: Callable[[str], str] = lambda text: (
        f"SELECT line FROM UNNEST(split({text}, '|')) AS u(line)")
    parquet: Callable[[str], str] | None = None

    def whole(self, pattern: str) -> str:
        """``pattern`` anchored to the whole string: ``\\A...\\z`` (``^``/``$`` would also
        match at a newline in Java's and Trino's engines); Snowflake's REGEXP_LIKE always
        matches the whole string."""
        start, end = self.anchors()
        return pattern if self.name == "snowflake" else f"{start}{pattern}{end}"

    def anchors(self) -> tuple[str, str]:
        """Start and end of the whole string in this dialect's regular expressions."""
        return ("^", "$") if self.name == "snowflake" else ("\\A", "\\z")

    def lit(self, text: str) -> str:
        """A string literal."""
        if self.backslashes:
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def text(self, expr: str) -> str:
        """An address column as text (the join key between the table and the answers)."""
        if self.name == "clickhouse":
            return f"toString(assumeNotNull({expr}))"
        return f"CAST({expr} AS {self.text_type})"

    def ident(self, name: str) -> str:
        """A column name: bare when simple (so Snowflake's upper-casing still finds it)."""
        if _SIMPLE.match(name):
            return name
        q = self.quote
        return q + name.replace(q, q + q) + q


def _dialects() -> dict[str, Dialect]:
    trino = Dialect("trino", int_div=lambda a, b: f"CAST(({a}) / ({b}) AS BIGINT)")
    return {
        "duckdb": Dialect(
            "duckdb", lines=lambda text: f"SELECT unnest(string_split({text}, '|')) AS line",
            match=lambda s, p: f"regexp_full_match({s}, {p})",
            replace_all=lambda s, p: f"regexp_replace({s}, {p}, '', 'g')",
            int_div=lambda a, b: f"({a}) // ({b})",
            parquet=lambda path: f"read_parquet({Dialect('duckdb').lit(path)})"),
        "trino": trino,
        "athena": Dialect("athena", int_div=trino.int_div),
        "spark": Dialect(
            "spark", text_type="STRING", backslashes=True, quote="`",
            match=lambda s, p: f"({s} RLIKE {p})",
            position=lambda sub, s: f"instr({s}, {sub})",
            int_div=lambda a, b: f"({a}) DIV ({b})",
            hex_to_int=lambda g: f"CAST(conv({g}, 16, 10) AS BIGINT)",
            lines=lambda text: f"SELECT explode(split({text}, '[|]')) AS line",
            parquet=lambda path: "parquet.`" + path.replace("`", "``") + "`"),
        "clickhouse": Dialect(
            "clickhouse", text_type="String", backslashes=True, quote="`",
            match=lambda s, p: f"match({s}, {p})",
            replace_all=lambda s, p: f"replaceRegexpAll({s}, {p}, '')",
            # ifNull: ClickHouse 24.8 (chdb 3.0.1) refuses to split a Nullable(String)
            # ("Nested type Array(String) cannot be inside Nullable type"); 26.x splits NULL
            # to an empty string, so this answers alike on both
            part=lambda s, sep, i: f"splitByString({sep}, ifNull({s}, ''))[{i}]",
            position=lambda sub, s: f"position({s}, {sub})",
            int_div=lambda a, b: f"intDiv({a}, {b})", lpad="leftPad",
            to_int=lambda s: f"toInt64OrNull({s})",
            suffix="\nSETTINGS join_use_nulls = 1",
            # the ranges literal is past the default max_query_size (256 KiB)
            preamble="SET max_query_size = 16777216;\n",
            lines=lambda text: f"SELECT arrayJoin(splitByChar('|', {text})) AS line",
            parquet=lambda path: f"file({Dialect('clickhouse', backslashes=True).lit(path)}, "
                                 "'Parquet')"),
        "snowflake": Dialect(
            "snowflake", backslashes=True, whitespace="[[:space:]]",
            lines=lambda text: f"SELECT value AS line FROM TABLE(SPLIT_TO_TABLE({text}, '|'))",
            position=lambda sub, s: f"POSITION({sub}, {s})",
            int_div=lambda a, b: f"CAST(TRUNC(({a}) / ({b})) AS BIGINT)"),
        "bigquery": Dialect(
            "bigquery", text_type="STRING", backslashes=True, quote="`",
            match=lambda s, p: f"REGEXP_CONTAINS({s}, {p})",
            part=lambda s, sep, i: f"SPLIT({s}, {sep})[SAFE_ORDINAL({i})]",
            mod=lambda a, b: f"MOD({a}, {b})", int_div=lambda a, b: f"DIV({a}, {b})",
            lines=lambda text: f"SELECT line FROM UNNEST(SPLIT({text}, '|')) AS line"),
    }


DIALECT = _dialects()


def dialect(name: str) -> Dialect:
    """The :class:`Dialect` called ``name`` (case-insensitive); a :class:`UsageError` naming
    the choices otherwise."""
    found = DIALECT.get(str(name).lower())
    if found is None:
        raise UsageError(f"unknown SQL dialect {name!r}; choose one of {', '.join(DIALECTS)}")
    return found


# ---------------------------------------------------------------------- the ranges
_RANGE_COLUMNS = (("id", "BIGINT"), ("family", "BIGINT"), ("prefixlen", "BIGINT"),
                  ("k0", "BIGINT"), ("k1", "BIGINT"), ("k2", "BIGINT"), ("k3", "BIGINT"),
                  ("prefix", "TEXT"), ("service", "TEXT"), ("region", "TEXT"),
                  ("network_border_group", "TEXT"))


PrefixRow = tuple[int, int, int, int, int, int, int, str, str, str, str]


def prefix_rows(ranges: Ranges) -> list[PrefixRow]:
    """One row per distinct prefix: id, family, length, the network's four 32-bit words
    (IPv4: ``0, 0, 0, network``), the prefix and its deciding entry's tags (the rule, resolved
    here once per prefix by :meth:`Ranges.label`)."""
    rows: list[PrefixRow] = []
    keyed = sorted((ranges.parsed(p).version, ranges.parsed(p).network,
                    ranges.parsed(p).prefixlen, p) for p in ranges.prefixes)
    for i, (v, n, plen, prefix) in enumerate(keyed, start=1):
        w = (0, 0, 0, n) if v == 4 else tuple((n >> s) & (_WORD - 1) for s in (96, 64, 32, 0))
        label = ranges.label(prefix)
        rows.append((i, v, plen, w[0], w[1], w[2], w[3], f"{format_address(v, n)}/{plen}",
                     label.service, label.region, label.network_border_group))
    return rows


def _embedded_ranges(d: Dialect, ranges: Ranges) -> str:
    """The prefixes packed in one string literal (``|`` between rows, ``,`` between fields),
    cut into rows and fields in SQL: engines parse one long literal far faster than thousands
    of ``VALUES`` rows (DuckDB: 0.02 s against 3 s for today's publication)."""
    rows = prefix_rows(ranges) or [(0, 0, -1, 0, 0, 0, 0, "", "", "", "")]
    lines = [",".join(str(x) for x in row) for row in rows]
    if any("|" in line or line.count(",") != 10 for line in lines):
        raise UsageError("a service, region or border group name contains '|' or ','; "
                         "give the ranges as a table (--ranges-table)")
    fields = []
    for k, (name, kind) in enumerate(_RANGE_COLUMNS, start=1):
        value = d.part("line", d.lit(","), k)
        fields.append(d.to_int(value) + f" AS {name}" if kind == "BIGINT" else f"{value} AS {name}")
    return ("SELECT " + ", ".join(fields) + "\n  FROM (" + d.lines(d.lit("|".join(lines)))
            + ") AS packed")


def _table_ranges(d: Dialect, source: str) -> str:
    """The deciding (``label``) rows of an ``awsip ranges`` Parquet export, keyed by words."""
    if source.lower().endswith(".parquet"):
        if d.parquet is None:
            raise UsageError(f"{d.name} cannot read a Parquet file from SQL; load "
                             f"{source} as a table and give its name to --ranges-table")
        source = d.parquet(source)
    words = []
    for name, half in (("0", "first_hi"), ("2", "first_lo")):
        words.append(f"CAST({d.int_div(half, str(_WORD))} AS BIGINT) AS k{name}")
        words.append(f"CAST({d.mod(half, str(_WORD))} AS BIGINT) AS k{int(name) + 1}")
    return ("SELECT CAST(ROW_NUMBER() OVER (ORDER BY family, first_hi, first_lo, prefixlen) "
            "AS BIGINT) AS id,\n    CAST(family AS BIGINT) AS family, "
            "CAST(prefixlen AS BIGINT) AS prefixlen,\n    " + ", ".join(words)
            + ",\n    prefix, service, region, network_border_group\n"
            f"  FROM {source} AS src WHERE label")


def _lengths(d: Dialect) -> str:
    """Each (family, prefix length) present, with the divisor that truncates each word."""
    divisors = []
    for k in range(4):
        kept4 = "prefixlen" if k == 3 else "32"
        kept = (f"CASE WHEN family = 4 THEN {kept4} "
                f"ELSE LEAST(GREATEST(prefixlen - {32 * k}, 0), 32) END")
        divisors.append(f"CAST(POWER(2, 32 - ({kept})) AS BIGINT) AS d{k}")
    return ("SELECT DISTINCT family, prefixlen,\n    " + ",\n    ".join(divisors)
            + "\n  FROM awsip_ranges")


def _ranges_ctes(d: Dialect, ranges: Ranges | None, ranges_table: str | None) -> list[str]:
    if ranges_table:
        body = _table_ranges(d, ranges_table)
    else:
        assert ranges is not None
        body = _embedded_ranges(d, ranges)
    return [f"awsip_ranges AS (\n  {body}\n)", f"awsip_lengths AS (\n  {_lengths(d)}\n)"]


# ---------------------------------------------------------------------- parsing
def _octets(d: Dialect, text: str) -> str:
    """The 32-bit value of validated dotted-quad ``text``."""
    parts = [f"{d.to_int(d.part(text, d.lit('.'), i + 1))} * {1 << (24 - 8 * i)}"
             for i in range(4)]
    return " + ".join(parts)


def _hex_word(d: Dialect, high: str, low: str) -> str:
    """The 32-bit value of two validated, zero-padded 4-digit hex groups."""
    if d.hex_to_int is not None:
        return f"{d.hex_to_int(high)} * 65536 + {d.hex_to_int(low)}"
    digits = []
    for g, scale in ((high, 1 << 16), (low, 1)):
        for k in range(4):
            where = d.position(f"substr({g}, {k + 1}, 1)", d.lit(_HEX))
            digit = f"(CAST({where} AS BIGINT) - 1)"
            digits.append(f"{digit} * {scale << (4 * (3 - k))}")
    return " + ".join(digits)


def _parse_ctes(d: Dialect, i: int, table: str, column: str) -> list[str]:
    """CTEs ``awsip_<step><i>`` taking the distinct values of ``column`` to
    ``(ip, family, w0, w1, w2, w3)`` for the valid ones (see the module doc for the rules).
    One piece because each CTE is one step of one parser, in order."""
    ws, c = d.whitespace, d.ident(column)
    start, end = d.anchors()
    zone = (f"CASE WHEN {d.position(d.lit('%'), 's')} > 0 THEN {d.part('s', d.lit('%'), 1)} "
            "ELSE s END")
    v4, v6 = d.lit(d.whole(ipv4_regex())), d.lit(d.whole(ipv6_regex()))
    family = (f"CASE WHEN {d.match('s', v4)} THEN 4 "
              f"WHEN {d.position(d.lit(':'), 'z')} > 0 AND {d.match('z', v6)} "
              "THEN 6 END")
    tail = (f"CASE WHEN family = 6 AND {d.position(d.lit('.'), 'z')} > 0 THEN "
            f"reverse({d.part('reverse(z)', d.lit(':'), 1)}) END")
    head = ("CASE WHEN family = 6 THEN (CASE WHEN tail IS NULL THEN z "
            "ELSE substr(z, 1, length(z) - length(tail)) || '0:0' END) END")
    pad = "(CASE WHEN h LIKE '::%' THEN '0' ELSE '' END) || h || (CASE WHEN h LIKE '%::' " \
          "THEN '0' ELSE '' END)"
    n = "coalesce(p, '')"  # never NULL: ClickHouse's CAST to INTEGER refuses NULL
    zeros = (f"{d.lpad}('', CAST(2 * (8 - (length({n}) - length(replace({n}, ':', '')))) AS "
             "INTEGER), '0:')")
    full = (f"CASE WHEN {d.position(d.lit('::'), 'p')} > 0 THEN replace(p, '::', ':' || {zeros}) "
            "ELSE p END")
    groups = ", ".join(f"{d.lpad}({d.part('f', d.lit(':'), g)}, 4, '0') AS g{g}"
                       for g in range(1, 9))
    words = [f"CASE WHEN family = 6 THEN {_hex_word(d, f'g{2 * k + 1}', f'g{2 * k + 2}')} "
             f"ELSE 0 END AS u{k}" for k in range(3)]
    words.append(f"CASE WHEN family = 6 THEN {_hex_word(d, 'g7', 'g8')} + (CASE WHEN tail IS "
                 f"NULL THEN 0 ELSE {_octets(d, 'tail')} END) ELSE {_octets(d, 's')} END AS u3")
    # new names for new columns: ClickHouse lets an alias shadow a column in its own SELECT
    mapped = "kind = 6 AND u0 = 0 AND u1 = 0 AND u2 = 65535"
    steps = [
        ("a", f"SELECT DISTINCT {d.text(c)} AS ip FROM {table} WHERE {c} IS NOT NULL"),
        ("s", f"SELECT ip, lower({d.replace_all('ip', d.lit(f'{start}{ws}+|{ws}+{end}'))}) AS s "
              "FROM awsip_a{i}"),
        ("z", f"SELECT ip, s, {zone} AS z FROM awsip_s{{i}}"),
        ("f", f"SELECT ip, s, z, {family} AS family FROM awsip_z{{i}}"),
        ("t", f"SELECT ip, s, z, family, {tail} AS tail FROM awsip_f{{i}}"),
        ("h", f"SELECT ip, s, family, tail, {head} AS h FROM awsip_t{{i}}"),
        ("p", f"SELECT ip, s, family, tail, {pad} AS p FROM awsip_h{{i}}"),
        ("e", f"SELECT ip, s, family, tail, {full} AS f FROM awsip_p{{i}}"),
        ("g", f"SELECT ip, s, family, tail, {groups} FROM awsip_e{{i}}"),
        ("w", "SELECT ip, family AS kind, " + ", ".join(words) + " FROM awsip_g{i} "
              "WHERE family IS NOT NULL"),
        ("v", f"SELECT ip, CAST(CASE WHEN {mapped} THEN 4 ELSE kind END AS BIGINT) AS family, "
              f"u0 AS w0, u1 AS w1, CASE WHEN {mapped} THEN 0 ELSE u2 END AS w2, u3 AS w3 "
              "FROM awsip_w{i}"),
    ]
    return [f"awsip_{name}{i} AS (\n  {sql.replace('{i}', str(i))}\n)" for name, sql in steps]


# ---------------------------------------------------------------------- matching
def _match_ctes(d: Dialect, i: int) -> list[str]:
    """Truncate each address to every prefix length of its family, equi-join with the
    prefixes, keep the longest match, and fetch its labels: ``awsip_l<i>(ip, labels...)``."""
    # COALESCE: keys that cannot be NULL keep Spark from inferring IS NOT NULL filters and
    # pushing them (the whole parser, inlined) below the projections: 86 s -> seconds
    keys = ", ".join(f"COALESCE(CAST(v.w{k} - {d.mod(f'v.w{k}', f'l.d{k}')} AS BIGINT), -1) "
                     f"AS k{k}" for k in range(4))
    on = " AND ".join(f"r.k{k} = x.k{k}" for k in range(4))
    best = d.mod(f"MAX(r.prefixlen * {_ID_SCALE} + r.id)", str(_ID_SCALE))
    labels = ", ".join(f"r.{name}" for name in LABELS)
    steps = [
        ("x", f"SELECT v.ip, v.family, l.prefixlen, {keys}\n  FROM awsip_v{i} AS v "
              "JOIN awsip_lengths AS l ON l.family = v.family"),
        ("m", f"SELECT x.ip, {best} AS id\n  FROM awsip_x{i} AS x JOIN awsip_ranges AS r\n"
              f"    ON r.family = x.family AND r.prefixlen = x.prefixlen AND {on}\n"
              "  GROUP BY x.ip"),
        ("l", f"SELECT m.ip, {labels}\n  FROM awsip_m{i} AS m JOIN awsip_ranges AS r "
              "ON r.id = m.id"),
    ]
    return [f"awsip_{name}{i} AS (\n  {sql}\n)" for name, sql in steps]


def _final_select(d: Dialect, table: str, columns: Sequence[str]) -> str:
    picks, joins = ["t.*"], []
    for i, column in enumerate(columns):
        for name in LABELS:
            picks.append(f"awsip_l{i}.{name} AS {d.ident(f'{column}_{name}')}")
        joins.append(f"LEFT JOIN awsip_l{i} ON awsip_l{i}.ip = {d.text('t.' + d.ident(column))}")
    return (f"SELECT {', '.join(picks)}\nFROM {table} AS t\n" + "\n".join(joins) + d.suffix)


def _check(table: str, columns: str | Iterable[str]) -> list[str]:
    if not isinstance(table, str) or not table.strip():
        raise UsageError("to_sql needs the name of the table to classify")
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if not columns or not all(isinstance(c, str) and c for c in columns):
        raise UsageError("to_sql needs at least one address column name")
    if len(set(columns)) != len(columns):
        raise UsageError(f"an address column is named twice: {', '.join(columns)}")
    return columns


def to_sql(dialect_name: str, table: str, columns: str | Iterable[str], ranges: Ranges | None,
           *, ranges_table: str | None = None) -> str:
    """SQL for ``dialect_name`` classifying ``columns`` of ``table`` (see the module doc).

    Statements are separated by ``;`` and a newline; the last is the ``SELECT``. With
    ``ranges_table`` (a table name, or a ``.parquet`` path for DuckDB, Spark and ClickHouse,
    holding ``awsip ranges --output-format parquet``) the prefixes are read from there and
    ``ranges`` is not used; otherwise ``ranges`` travel inside the statement.
    """
    d = dialect(dialect_name)
    cols = _check(table, columns)
    if ranges is None and not ranges_table:
        raise UsageError("to_sql needs ranges or ranges_table")
    ctes = _ranges_ctes(d, ranges, ranges_table)
    for i, column in enumerate(cols):
        ctes += _parse_ctes(d, i, table, column) + _match_ctes(d, i)
    sql = d.preamble + "WITH " + ",\n".join(ctes) + "\n" + _final_select(d, table, cols) + ";\n"
    _warn_if_too_long_for_athena(d.name, sql)
    return sql


#: Athena's query string limit (bytes), a quota that cannot be raised: AWS Knowledge Center,
#: "Athena query string length" (https://repost.aws/knowledge-center/athena-query-string-length).
ATHENA_MAX_QUERY_BYTES = 262_144


def _warn_if_too_long_for_athena(name: str, sql: str) -> None:
    """Say so when Athena would refuse ``sql`` for its length, and what to do instead."""
    import warnings

    size = len(sql.encode())
    if name == "athena" and size > ATHENA_MAX_QUERY_BYTES:
        warnings.warn(
            f"this Athena query is {size:,} bytes, over Athena's limit of "
            f"{ATHENA_MAX_QUERY_BYTES:,}: load `awsip ranges --output-format parquet` as a "
            "table and pass its name with --ranges-table (ranges_table=)", UserWarning,
            stacklevel=3)


# ---------------------------------------------------------------------- ClickHouse ip_trie
def clickhouse_dictionary_sql(table: str, columns: str | Iterable[str], ranges: Ranges) -> str:
    """The ClickHouse alternative: the prefixes in a table behind an ``ip_trie`` dictionary
    (ClickHouse's longest-prefix lookup), then a ``SELECT`` using ``dictGetOrNull``.

    Parsing is the same strict parser as :func:`to_sql`; the trie replaces the equi-join.
    The statements drop (if they exist) and create ``awsip_prefixes`` and ``awsip_trie`` in
    the current database: DROP and CREATE, not CREATE OR REPLACE, which ClickHouse 24.8 allows
    only in an Atomic database (chdb's default database is not one).
    """
    d = dialect("clickhouse")
    cols = _check(table, columns)
    attrs = ", ".join(f"{name} String" for name in ("prefix", "cidr", *LABELS[:3]))
    rows = ",\n  ".join(
        "(" + ", ".join(d.lit(x) for x in (row[7], row[7], row[8], row[9], row[10])) + ")"
        for row in prefix_rows(ranges))
    statements = [
        d.preamble.rstrip().rstrip(";"),
        "DROP DICTIONARY IF EXISTS awsip_trie",
        "DROP TABLE IF EXISTS awsip_prefixes",
        f"CREATE TABLE awsip_prefixes ({attrs}) ENGINE = Memory",
        f"INSERT INTO awsip_prefixes VALUES\n  {rows}" if rows else "",
        f"CREATE DICTIONARY awsip_trie ({attrs}) PRIMARY KEY prefix "
        "SOURCE(CLICKHOUSE(TABLE 'awsip_prefixes')) LAYOUT(IP_TRIE) LIFETIME(0)",
    ]
    ctes = []
    hex32 = "concat(" + ", ".join(f"leftPad(hex(toUInt32(assumeNotNull(w{k}))), 8, '0')"
                                  for k in range(4)) + ")"
    key4 = "tuple(toUInt32(assumeNotNull(w3)))"
    key6 = f"tuple(CAST(unhex({hex32}) AS FixedString(16)))"
    for i, column in enumerate(cols):
        ctes += _parse_ctes(d, i, table, column)
        gets = ", ".join(
            f"if(family = 4, dictGetOrNull('awsip_trie', '{n}', {key4}), "
            f"dictGetOrNull('awsip_trie', '{n}', {key6})) AS {n}"
            for n in ("service", "region", "network_border_group", "cidr"))
        ctes.append(f"awsip_l{i} AS (\n  SELECT ip, {gets.replace(' AS cidr', ' AS prefix')}"
                    f"\n  FROM awsip_v{i}\n)")
    select = "WITH " + ",\n".join(ctes) + "\n" + _final_select(d, table, cols)
    return ";\n".join(s for s in [*statements, select] if s) + ";\n"
