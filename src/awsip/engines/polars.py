"""awsip's engine for Polars: a Series or an expression in, a struct of labels out.

:func:`classify` maps a Series of address strings to a struct Series with the fields
``aws`` (bool; null when not an address), ``service``, ``region``, ``network_border_group``
and ``prefix`` (null unless ``aws``), exactly :func:`awsip.classify`'s columns; on an
expression it returns the expression that does so, batch by batch (``map_batches``), in
lazy and eager frames alike. Every batch goes through
:func:`awsip.classification.engine.classify` and the one bulk index of ``ranges``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..ranges.model import Ranges

#: The struct's fields, in order.
FIELDS = ("aws", "service", "region", "network_border_group", "prefix")


def struct_type() -> Any:
    """The Polars dtype of :func:`classify`'s result."""
    import polars as pl

    return pl.Struct([pl.Field(name, pl.Boolean if name == "aws" else pl.String)
                      for name in FIELDS])


def classify_series(series: Any, ranges: Ranges) -> Any:
    """A struct Series of labels, one row per value of ``series``, same name."""
    import polars as pl
    import pyarrow as pa

    from ..classification.engine import classify

    table = classify(series.to_arrow(), ranges)
    fields = {}
    for name in FIELDS:
        column = table[name].combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        fields[name] = column
    struct = pa.StructArray.from_arrays(list(fields.values()), names=list(FIELDS))
    return pl.Series(series.name, struct, dtype=struct_type())


def classify(values: Any, ranges: Ranges) -> Any:
    """:func:`classify_series` for a Series; for an expression, the expression computing it."""
    import polars as pl

    if isinstance(values, pl.Series):
        return classify_series(values, ranges)
    if isinstance(values, pl.Expr):
        return values.map_batches(lambda s: classify_series(s, ranges),
                                  return_dtype=struct_type())
    from ..classification.engine import InputTypeError

    raise InputTypeError(f"awsip.polars.classify takes a polars Series or expression, "
                         f"not {type(values).__name__}")


__all__ = ["FIELDS", "classify", "classify_series", "struct_type"]
