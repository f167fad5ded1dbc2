"""Printing Arrow tables for people (an aligned text table) and programs (CSV, JSON, Parquet)."""
from __future__ import annotations

import csv
import json
from datetime import date, datetime
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = ("table", "csv", "json", "parquet")
CELL_LIMIT = 80


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # maps come back from Arrow as lists of (key, value) pairs
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return {str(k): _jsonable(v) for k, v in value}
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and value != value:
        return None
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_jsonable(value), ensure_ascii=False, default=str)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def write_text_table(table: pa.Table, out: IO[str], *, limit: int = CELL_LIMIT) -> None:
    names = table.column_names
    cells = [[_cell(r[n]).replace("\n", " ") for n in names] for r in _rows(table)]
    cells = [[c if len(c) <= limit else c[: limit - 1] + "…" for c in row] for row in cells]
    widths = [max([len(n)] + [len(row[i]) for row in cells]) for i, n in enumerate(names)]
    out.write("  ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
    out.write(f"({table.num_rows} row{'s' if table.num_rows != 1 else ''})\n")


def write_csv(table: pa.Table, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    for r in _rows(table):
        writer.writerow([_cell(r[n]) for n in table.column_names])


def write_json(table: pa.Table, out: IO[str]) -> None:
    json.dump([_jsonable(r) for r in _rows(table)], out, ensure_ascii=False, indent=1, default=str)
    out.write("\n")


def write_parquet(table: pa.Table, out: IO[bytes]) -> None:
    pq.write_table(table, out, compression="zstd")
