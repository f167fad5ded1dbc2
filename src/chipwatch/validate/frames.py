"""Arrow batches to the pandas frames the expectation suites run on.

The table frame holds every column; nested columns (lists, maps) are replaced by their
length (null stays null) so not-null checks still apply to them. Nested expectations run
on frames of the flattened elements, map keys or map values.
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from chipwatch.validate.spec import REQUIRED_NULLS, FrameSpec


def _is_nested(type_: pa.DataType) -> bool:
    return pa.types.is_list(type_) or pa.types.is_map(type_) or pa.types.is_struct(type_)


def required_nulls(table: pa.Table, required: tuple[str, ...]) -> pa.Array:
    """Per row, how many of the ``required`` columns are null."""
    total = pa.array([0] * table.num_rows, pa.int64())
    for name in required:
        total = pc.add(total, pc.cast(pc.is_null(table[name]), pa.int64()))
    return total


def table_frame(table: pa.Table, required: tuple[str, ...] = ()) -> pd.DataFrame:
    columns = {}
    for field in table.schema:
        col = table[field.name]
        if pa.types.is_list(field.type):
            col = pc.list_value_length(col)
        elif _is_nested(field.type):
            col = pc.if_else(pc.is_valid(col), pa.scalar(1, pa.int64()), pa.scalar(None, pa.int64()))
        columns[field.name] = col
    if required:
        columns[REQUIRED_NULLS] = required_nulls(table, required)
    flat = pa.table(columns)
    return flat.to_pandas(types_mapper=None, date_as_object=True)


def nested_frame(table: pa.Table, spec: FrameSpec) -> pd.DataFrame:
    col = table[spec.source].combine_chunks() if table.num_rows else pa.array([], table.schema.field(spec.source).type)
    if spec.part == "elements":
        values = pc.list_flatten(col)
    else:
        # MapArray.keys ignores slicing: go through list<struct<key, value>> instead.
        mtype = col.type
        entries_type = pa.struct([pa.field("key", mtype.key_type), pa.field("value", mtype.item_type)])
        entries = pc.list_flatten(col.cast(pa.list_(entries_type)))
        values = entries.field(0) if spec.part == "keys" else entries.field(1)
    if pa.types.is_struct(values.type):
        return pa.Table.from_struct_array(values).to_pandas(date_as_object=True)
    return pa.table({"value": values}).to_pandas(date_as_object=True)


def frames_for(table: pa.Table, specs: list[FrameSpec]) -> dict[str, pd.DataFrame]:
    return {s.name: table_frame(table, s.required) if s.source is None else nested_frame(table, s) for s in specs}
