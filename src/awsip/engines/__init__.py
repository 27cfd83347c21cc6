"""The same engine elsewhere: generated SQL for other engines, Spark, DuckDB and Polars helpers.

Each module answers with the primary service rule of :mod:`awsip.ranges.model`, through the one
bulk engine (:mod:`awsip.classification.engine`) or SQL that reproduces it row for row.
"""
