-- The work of `awsip report FLOWS --by service,region`, in DuckDB SQL (benchmarks/bench_report.py).
-- {flows}: a gzip'd default-format flow-log file with a header line; {ranges}: the Parquet export
-- of the same ip-ranges publication (Ranges.to_arrow(): bounds, label). Same rules as awsip:
-- traffic records only (log-status OK), the peer is the side outside the VPC (private: RFC 1918,
-- RFC 6598, link-local, loopback, ULA), distinct public peers classified once by the primary
-- service rule (longest covering prefix, its label entry), non-AWS peers INTERNET, local PRIVATE.

CREATE OR REPLACE MACRO ipv4_int(a) AS
      (TRY_CAST(split_part(a, '.', 1) AS UBIGINT) << 24)
    + (TRY_CAST(split_part(a, '.', 2) AS UBIGINT) << 16)
    + (TRY_CAST(split_part(a, '.', 3) AS UBIGINT) << 8)
    +  TRY_CAST(split_part(a, '.', 4) AS UBIGINT);
CREATE OR REPLACE MACRO ipv6_pad(a) AS
    (CASE WHEN starts_with(a, '::') THEN '0' ELSE '' END) || a
    || (CASE WHEN ends_with(a, '::') THEN '0' ELSE '' END);
CREATE OR REPLACE MACRO ipv6_full(a) AS
    CASE WHEN strpos(a, '::') = 0 THEN a
         ELSE replace(ipv6_pad(a), '::', ':' || repeat('0:',
              8 - (length(ipv6_pad(a)) - length(replace(ipv6_pad(a), ':', ''))))) END;
CREATE OR REPLACE MACRO ipv6_group(a, i) AS
    TRY_CAST('0x' || split_part(ipv6_full(a), ':', i) AS UBIGINT);
CREATE OR REPLACE MACRO ipv6_int(a) AS
      (ipv6_group(a, 1)::UHUGEINT << 112) + (ipv6_group(a, 2)::UHUGEINT << 96)
    + (ipv6_group(a, 3)::UHUGEINT << 80)  + (ipv6_group(a, 4)::UHUGEINT << 64)
    + (ipv6_group(a, 5)::UHUGEINT << 48)  + (ipv6_group(a, 6)::UHUGEINT << 32)
    + (ipv6_group(a, 7)::UHUGEINT << 16)  +  ipv6_group(a, 8)::UHUGEINT;
CREATE OR REPLACE MACRO is_local(a) AS
    CASE WHEN strpos(a, ':') > 0 THEN
              (ipv6_group(a, 1) >> 9) = 126          -- fc00::/7
           OR (ipv6_group(a, 1) >> 6) = 1018         -- fe80::/10
           OR ipv6_int(a) = 1                        -- ::1
         ELSE (ipv4_int(a) >> 24) = 10 OR (ipv4_int(a) >> 20) = 2753      -- 10/8, 172.16/12
           OR (ipv4_int(a) >> 16) = 49320 OR (ipv4_int(a) >> 22) = 401    -- 192.168/16, 100.64/10
           OR (ipv4_int(a) >> 16) = 43518 OR (ipv4_int(a) >> 24) = 127    -- 169.254/16, 127/8
    END;

CREATE OR REPLACE VIEW aws_ranges AS
SELECT family, prefixlen, service, region,
       (first_hi::UHUGEINT << 64) + first_lo AS first_n,
       (last_hi::UHUGEINT << 64) + last_lo   AS last_n
FROM read_parquet('{ranges}') WHERE label;

WITH flows AS (
    SELECT * FROM read_csv('{flows}', delim = ' ', header = true, nullstr = '-',
        columns = {'version': 'INTEGER', 'account_id': 'VARCHAR', 'interface_id': 'VARCHAR',
                   'srcaddr': 'VARCHAR', 'dstaddr': 'VARCHAR', 'srcport': 'INTEGER',
                   'dstport': 'INTEGER', 'protocol': 'INTEGER', 'packets': 'BIGINT',
                   'bytes': 'BIGINT', 'start': 'BIGINT', 'end': 'BIGINT', 'action': 'VARCHAR',
                   'log_status': 'VARCHAR'})
),
t AS (
    SELECT srcaddr, dstaddr, bytes, packets, "start", "end",
           is_local(srcaddr) AS sl, is_local(dstaddr) AS dl
    FROM flows
    WHERE log_status = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL
),
v AS (
    SELECT CASE WHEN dl AND NOT sl THEN srcaddr ELSE dstaddr END AS peer,
           CASE WHEN dl AND NOT sl THEN sl ELSE dl END AS peer_local,
           bytes, packets, "start", "end"
    FROM t
),
parsed AS (
    SELECT peer, CASE WHEN strpos(peer, ':') > 0 THEN 6 ELSE 4 END AS family,
           CASE WHEN strpos(peer, ':') > 0 THEN ipv6_int(peer)
                ELSE ipv4_int(peer)::UHUGEINT END AS n
    FROM (SELECT DISTINCT peer FROM v WHERE NOT peer_local)
),
cls AS (
    SELECT p.peer, r.service, r.region
    FROM parsed p
    JOIN aws_ranges r ON r.family = p.family AND p.n BETWEEN r.first_n AND r.last_n
    QUALIFY row_number() OVER (PARTITION BY p.peer ORDER BY r.prefixlen DESC) = 1
)
SELECT CASE WHEN v.peer_local THEN 'PRIVATE' ELSE coalesce(c.service, 'INTERNET') END AS service,
       c.region AS region,
       sum(v.bytes) AS bytes, sum(v.packets) AS packets, count(*) AS flows,
       to_timestamp(min(v."start")) AS first_seen, to_timestamp(max(v."end")) AS last_seen
FROM v LEFT JOIN cls c ON c.peer = v.peer
GROUP BY ALL
ORDER BY bytes DESC, service, region;
