"""``chipwatch query``: SQL over the warehouse with DuckDB.

Every table of the catalog is a view over its committed files, read through Arrow, so
no DuckDB extension is needed (httpfs cannot be downloaded offline) and readers never
see a half-published partition.
"""
from __future__ import annotations

import argparse
import sys

NAME = "query"
HELP = "run SQL (DuckDB) over the warehouse tables"
DESCRIPTION = (
    "Run one SQL statement with DuckDB over the warehouse. Tables: repos, snapshots, "
    "evidence, signals, hardware, trends, runs (committed data only)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", help='SQL, e.g. "select signal_id, count(*) from evidence group by 1"')
    parser.add_argument("--warehouse", help="folder or s3://bucket/prefix (default $CHIPWATCH_WAREHOUSE or ./warehouse)")
    parser.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table")
    parser.add_argument("--output", "-o", help="write to this file instead of stdout (required for parquet on a terminal)")


def connect(warehouse):
    """A DuckDB connection with every table registered as a view of committed files."""
    import duckdb

    from chipwatch.tables.contracts import TABLES

    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    manifest = warehouse.manifest()
    for table in TABLES:
        con.register(table, warehouse.dataset(table, manifest))
    return con


def execute(warehouse, sql: str):
    """The result of ``sql`` as an Arrow table (empty for statements without a result)."""
    import duckdb
    import pyarrow as pa

    from chipwatch.errors import WarehouseError

    con = connect(warehouse)
    try:
        rel = con.sql(sql)
        return rel.to_arrow_table() if rel is not None else pa.table({})
    except duckdb.Error as exc:
        raise WarehouseError(str(exc).splitlines()[0], subject="query") from exc
    finally:
        con.close()


def emit(table, fmt: str, output: str | None) -> None:
    """Write ``table`` in ``fmt`` to ``output`` (a path) or stdout."""
    from chipwatch.errors import ChipwatchError
    from chipwatch.tables import output as out

    if fmt == "parquet":
        if output:
            with open(output, "wb") as fh:
                out.write_parquet(table, fh)
        elif sys.stdout.isatty():
            raise ChipwatchError("parquet output needs --output FILE or a pipe", subject="query")
        else:
            out.write_parquet(table, sys.stdout.buffer)
        return
    writer = {"table": out.write_text_table, "csv": out.write_csv, "json": out.write_json}[fmt]
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            writer(table, fh)
    else:
        writer(table, sys.stdout)


def run(args: argparse.Namespace) -> int:
    from chipwatch.storage import Warehouse

    warehouse = Warehouse(args.warehouse)
    emit(execute(warehouse, args.sql), args.format, args.output)
    return 0
