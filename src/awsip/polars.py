"""awsip in Polars (``pip install 'awsip[polars]'``): labels answering like ``awsip lookup``,
computed by awsip's own engine, as a function and as the ``aws`` expression namespace.

    import polars as pl, awsip.polars
    df.with_columns(awsip.polars.classify(pl.col("dstaddr")).alias("dst"))   # a struct
    df.with_columns(pl.col("dstaddr").aws.service(), pl.col("dstaddr").aws.region())

The struct has the fields ``aws``, ``service``, ``region``, ``network_border_group`` and
``prefix`` (see :mod:`awsip.engines.polars`). ``ranges`` defaults to
:func:`awsip.default_ranges`, resolved when the expression is built. Importing this module
registers the ``aws`` namespace (``pl.col(...).aws``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from .loading import default_ranges

if TYPE_CHECKING:
    from .ranges.model import Ranges


def classify(values: Any, ranges: Ranges | None = None) -> Any:
    """A struct Series (for a Series) or expression (for an expression) of labels, one row
    per address: :func:`awsip.classify`'s answers."""
    from .engines.polars import classify as run

    return run(values, ranges if ranges is not None else default_ranges())


@pl.api.register_expr_namespace("aws")
class AwsNamespace:
    """``pl.col("ip").aws.service()`` and friends; each method takes ``ranges=`` too."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def classify(self, ranges: Ranges | None = None) -> pl.Expr:
        """The whole struct (``aws``, ``service``, ``region``, ``network_border_group``,
        ``prefix``)."""
        result: pl.Expr = classify(self._expr, ranges)
        return result

    def _field(self, name: str, ranges: Ranges | None) -> pl.Expr:
        return self.classify(ranges).struct.field(name)

    def service(self, ranges: Ranges | None = None) -> pl.Expr:
        """Primary service, null when not AWS or not an address."""
        return self._field("service", ranges)

    def region(self, ranges: Ranges | None = None) -> pl.Expr:
        """Region of the deciding entry."""
        return self._field("region", ranges)

    def network_border_group(self, ranges: Ranges | None = None) -> pl.Expr:
        """Border group of the deciding entry."""
        return self._field("network_border_group", ranges)

    def prefix(self, ranges: Ranges | None = None) -> pl.Expr:
        """Most specific covering prefix."""
        return self._field("prefix", ranges)

    def is_aws(self, ranges: Ranges | None = None) -> pl.Expr:
        """True inside a published prefix, false outside, null when not an address."""
        return self._field("aws", ranges)


__all__ = ["AwsNamespace", "classify"]
