"""Rows (dicts) to an Arrow table of a contract's schema, with errors that name the column."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import pyarrow as pa

from chipwatch.errors import WarehouseError
from chipwatch.tables.contracts import Contract, contract


def to_arrow(table: str | Contract, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """An Arrow table with exactly the contract's columns, in order.

    Unknown keys are an error (a builder out of step with its contract); missing keys
    are null. Nullability is *not* enforced here: validation reports nulls in non-null
    columns, so a bad batch can still be quarantined whole.
    """
    c = table if isinstance(table, Contract) else contract(table)
    rows = list(rows)
    names = set(c.names)
    for i, row in enumerate(rows):
        extra = set(row) - names
        if extra:
            raise WarehouseError(f"row {i} has columns not in the contract: {sorted(extra)}", subject=c.table)
    schema = nullable_schema(c.arrow_schema())
    arrays = []
    for field in schema:
        values = [row.get(field.name) for row in rows]
        try:
            arrays.append(pa.array(values, type=field.type))
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            bad = _first_bad(values, field.type)
            raise WarehouseError(
                f"column {field.name} ({field.type}): cannot store {bad!r}: {exc}", subject=c.table
            ) from exc
    return pa.Table.from_arrays(arrays, schema=c.arrow_schema())


def _first_bad(values: list[Any], type_: pa.DataType) -> Any:
    for v in values:
        try:
            pa.array([v], type=type_)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return v
    return None


def nullable_schema(schema: pa.Schema) -> pa.Schema:
    """The same schema with every field nullable (to hold a batch that failed validation)."""
    return pa.schema([f.with_nullable(True) for f in schema])


def empty(table: str | Contract) -> pa.Table:
    c = table if isinstance(table, Contract) else contract(table)
    return c.arrow_schema().empty_table()


def concat_by_name(parts: Iterable[Mapping[str, pa.Table]]) -> dict[str, pa.Table]:
    """Each table's rows over several batches of tables (name → table), in batch order."""
    grouped: dict[str, list[pa.Table]] = {}
    for tables in parts:
        for name, tbl in tables.items():
            grouped.setdefault(name, []).append(tbl)
    return {name: ts[0] if len(ts) == 1 else pa.concat_tables(ts, promote_options="default")
            for name, ts in sorted(grouped.items())}
