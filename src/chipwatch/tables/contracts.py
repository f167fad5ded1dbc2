"""Table contracts: ``schemas/<table>.yaml`` read into typed objects.

A contract is the single source of a table's columns (name, Arrow type, nullability,
description), its key, partitioning, replacement scope and expectations. Row builders
conform to it, validation generates its suites from it, the warehouse partitions by it,
and a test checks catalog.yaml against it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from chipwatch import yamlio
from chipwatch.errors import WarehouseError
from chipwatch.tables.arrow_types import parse_type

TABLES: tuple[str, ...] = ("repos", "snapshots", "evidence", "signals", "hardware", "trends", "runs")
REPLACE_SCOPES = ("run", "table")


@dataclass(frozen=True)
class Column:
    name: str
    type_text: str
    type: pa.DataType
    nullable: bool
    description: str
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Contract:
    table: str
    description: str
    one_row_per: str
    key: tuple[str, ...]
    partitioning: tuple[str, ...]
    replace: str
    freshness: str
    columns: tuple[Column, ...]
    table_expect: tuple[dict[str, Any], ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def arrow_schema(self) -> pa.Schema:
        """The full schema, partition columns included (what readers get)."""
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    def file_schema(self) -> pa.Schema:
        """The schema inside a Parquet file: partition columns live in the path."""
        return pa.schema(
            [pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns if c.name not in self.partitioning]
        )


def schemas_dir() -> Path:
    """``schemas/`` of the checkout (the repo is installed editable), or $CHIPWATCH_SCHEMAS."""
    env = os.environ.get("CHIPWATCH_SCHEMAS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "schemas"


def parse_contract(doc: dict[str, Any], *, source: str) -> Contract:
    """Build a Contract from one parsed YAML document; errors name the file and column."""
    try:
        columns = []
        for spec in doc["columns"]:
            columns.append(
                Column(
                    name=spec["name"],
                    type_text=str(spec["type"]),
                    type=parse_type(str(spec["type"])),
                    nullable=bool(spec["nullable"]),
                    description=str(spec["description"]).strip(),
                    expect=dict(spec.get("expect") or {}),
                )
            )
        contract = Contract(
            table=doc["table"],
            description=" ".join(str(doc["description"]).split()),
            one_row_per=str(doc["one_row_per"]),
            key=tuple(doc["key"]),
            partitioning=tuple(doc.get("partitioning") or ()),
            replace=str(doc.get("replace", "run")),
            freshness=str(doc.get("freshness", "")),
            columns=tuple(columns),
            table_expect=tuple(doc.get("table_expect") or ()),
        )
    except (KeyError, TypeError) as exc:
        raise WarehouseError(f"contract is missing or mistypes {exc}", subject=source) from exc
    names = set(contract.names)
    if len(names) != len(contract.columns):
        raise WarehouseError("duplicate column names", subject=source)
    for required in ("run_id", "ruleset_hash", "catalog_hash"):
        if required not in names:
            raise WarehouseError(f"every table carries {required}", subject=source)
    for col in (*contract.key, *contract.partitioning):
        if col not in names:
            raise WarehouseError(f"key or partition column {col!r} is not a column", subject=source)
    for col in contract.partitioning:
        if contract.column(col).type != pa.string() or contract.column(col).nullable:
            raise WarehouseError(f"partition column {col!r} must be a non-null string", subject=source)
    if contract.replace not in REPLACE_SCOPES:
        raise WarehouseError(f"replace must be one of {REPLACE_SCOPES}", subject=source)
    return contract


@lru_cache(maxsize=None)
def _load(directory: str) -> dict[str, Contract]:
    out = {}
    for table in TABLES:
        path = Path(directory) / f"{table}.yaml"
        if not path.is_file():
            raise WarehouseError(f"missing table contract {path}", subject="schemas")
        contract = parse_contract(yamlio.safe_load(path.read_text(encoding="utf-8")), source=str(path))
        if contract.table != table:
            raise WarehouseError(f"declares table {contract.table!r}, expected {table!r}", subject=str(path))
        out[table] = contract
    return out


def load_contracts(directory: Path | None = None) -> dict[str, Contract]:
    """All seven contracts, by table name (cached per directory)."""
    return _load(str(directory or schemas_dir()))


def contract(table: str) -> Contract:
    contracts = load_contracts()
    if table not in contracts:
        raise WarehouseError(f"unknown table {table!r}; tables are {', '.join(TABLES)}", subject="warehouse")
    return contracts[table]
