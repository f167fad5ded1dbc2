"""Expectation suites generated from the table contracts, as plain data.

This module does not import Great Expectations: it turns a contract into frames (the
table's scalar columns, and one frame per nested column whose elements, map keys or map
values have expectations) and, for each, a list of ``Expectation(type, kwargs)`` named
after the GX expectation they become. ``runner`` hands them to GX.

Required columns (``nullable: false`` and the key) are checked together: the table frame
carries a derived column, the count of required columns that are null in each row, and
one expectation wants it to be 0. Great Expectations spends ~10 ms of fixed work per
expectation whatever the row count, and one not-null expectation per column was half of
every validation (99 of 187 expectations); ``runner`` names the offending columns.

Contract vocabulary (under a column's ``expect:``): ``in_set``, ``in_vocabulary`` (a set
of chipwatch.tables.vocabulary), ``in_catalog: chips``, ``between: {min, max}`` (dates
and times as ISO strings; ``today`` / ``now`` mean one day from now, to allow for time
zones), ``regex``, ``max_length``, and for nested columns ``elements`` (``fields`` for
structs), ``keys`` and ``values`` (maps). Non-null columns and the key (not null,
unique) come from ``nullable`` and ``key``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Any, Collection

import pyarrow as pa

from chipwatch.errors import WarehouseError
from chipwatch.tables.contracts import Column, Contract
from chipwatch.tables.vocabulary import EXPORT_ID, Vocabulary, load_vocabulary


@dataclass(frozen=True)
class Expectation:
    type: str  # GX class name, e.g. ExpectColumnValuesToBeInSet
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class FrameSpec:
    """A dataframe to validate: ``source`` is the column it comes from (None = the table),
    ``part`` what of it (``elements``, ``keys``, ``values``)."""

    name: str
    source: str | None
    part: str | None
    expectations: list[Expectation] = field(default_factory=list)
    # columns that must not be null, counted per row into REQUIRED_NULLS
    required: tuple[str, ...] = ()


#: The derived column of a table frame: how many of its required columns are null.
REQUIRED_NULLS = "__required_nulls__"


@dataclass(frozen=True)
class Sets:
    """The sets membership expectations refer to."""

    vocabulary: Vocabulary
    chip_ids: frozenset[str]

    def named(self, kind: str, name: str) -> frozenset[str]:
        if kind == "in_catalog":
            if name != "chips":
                raise WarehouseError(f"unknown catalog set {name!r}", subject="schemas")
            return self.chip_ids
        sets = self.vocabulary.sets()
        if name not in sets:
            raise WarehouseError(f"unknown vocabulary {name!r}; known: {sorted(sets)}", subject="schemas")
        return sets[name]


@lru_cache(maxsize=1)
def catalog_chip_names() -> frozenset[str]:
    """Every name the chip catalog allows for a chip (ids, and model names of chips with
    several variants), from the packaged catalog."""
    from chipwatch.catalog import load_catalog

    return frozenset(load_catalog().chip_names())


def default_sets(chip_ids: Collection[str] | None = None) -> Sets:
    """Sets from data/signals.yaml; chip names from the caller or else the packaged
    catalog (``Catalog.chip_names()``: ids plus ambiguous model names)."""
    return Sets(load_vocabulary(), frozenset(chip_ids) if chip_ids is not None else catalog_chip_names())


def _bound(value: Any, type_: pa.DataType, now: datetime) -> Any:
    if value is None:
        return None
    if pa.types.is_date(type_) or pa.types.is_timestamp(type_):
        if value in ("today", "now"):
            moment = now + timedelta(days=1)
        else:
            moment = datetime.fromisoformat(str(value))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
        return moment.date() if pa.types.is_date(type_) else moment
    return value


def _member_regex(values: frozenset[str], extra: re.Pattern[str] | None) -> str:
    alternatives = "|".join(re.escape(v) for v in sorted(values))
    regex = f"^(?:{alternatives})$"
    return f"{regex}|{extra.pattern}" if extra else regex


def _value_expectations(column: str, type_: pa.DataType, rules: dict[str, Any], sets: Sets, now: datetime):
    for kind, arg in rules.items():
        if kind == "in_set":
            yield Expectation("ExpectColumnValuesToBeInSet", {"column": column, "value_set": list(arg)})
        elif kind in ("in_vocabulary", "in_catalog"):
            members = sets.named(kind, arg)
            if arg == "trend_ids":  # export.<rule>.<status> is open in the rule version
                yield Expectation(
                    "ExpectColumnValuesToMatchRegex",
                    {"column": column, "regex": _member_regex(members, EXPORT_ID)},
                )
            else:
                yield Expectation("ExpectColumnValuesToBeInSet", {"column": column, "value_set": sorted(members)})
        elif kind == "between":
            yield Expectation(
                "ExpectColumnValuesToBeBetween",
                {
                    "column": column,
                    "min_value": _bound(arg.get("min"), type_, now),
                    "max_value": _bound(arg.get("max"), type_, now),
                },
            )
        elif kind == "regex":
            yield Expectation("ExpectColumnValuesToMatchRegex", {"column": column, "regex": arg})
        elif kind == "max_length":
            yield Expectation("ExpectColumnValueLengthsToBeBetween", {"column": column, "max_value": int(arg)})
        elif kind in ("elements", "keys", "values", "fields"):
            continue  # nested: handled by nested_frames
        else:
            raise WarehouseError(f"unknown expectation {kind!r} on column {column}", subject="schemas")


def _nested_frames(table: str, col: Column, sets: Sets, now: datetime) -> list[FrameSpec]:
    frames = []
    for part in ("elements", "keys", "values"):
        rules = col.expect.get(part)
        if not rules:
            continue
        if part == "elements":
            item = col.type.value_type
        else:
            item = col.type.key_type if part == "keys" else col.type.item_type
        spec = FrameSpec(f"{table}.{col.name}.{part}", col.name, part)
        if pa.types.is_struct(item):
            for fname, frules in (rules.get("fields") or {}).items():
                ftype = item.field(fname).type
                spec.expectations.extend(_value_expectations(fname, ftype, frules, sets, now))
        else:
            spec.expectations.extend(_value_expectations("value", item, rules, sets, now))
        frames.append(spec)
    return frames


def suite_for(contract: Contract, sets: Sets, *, now: datetime | None = None) -> list[FrameSpec]:
    """The frames and expectations that validate a batch of ``contract``'s table."""
    now = now or datetime.now(timezone.utc)
    required = tuple(c.name for c in contract.columns if not c.nullable or c.name in contract.key)
    main = FrameSpec(contract.table, None, None, required=required)
    frames = [main]
    if len(contract.key) == 1:
        main.expectations.append(Expectation("ExpectColumnValuesToBeUnique", {"column": contract.key[0]}))
    else:
        main.expectations.append(Expectation("ExpectCompoundColumnsToBeUnique", {"column_list": list(contract.key)}))
    if required:
        main.expectations.append(
            Expectation("ExpectColumnValuesToBeBetween", {"column": REQUIRED_NULLS, "min_value": 0, "max_value": 0}))
    for col in contract.columns:
        main.expectations.extend(_value_expectations(col.name, col.type, col.expect, sets, now))
        if pa.types.is_list(col.type) or pa.types.is_map(col.type):
            frames.extend(_nested_frames(contract.table, col, sets, now))
    for rule in contract.table_expect:
        for kind, arg in rule.items():
            if kind == "pair_greater_or_equal":
                a, b = arg
                main.expectations.append(
                    Expectation(
                        "ExpectColumnPairValuesAToBeGreaterThanB",
                        {"column_A": a, "column_B": b, "or_equal": True},
                    )
                )
            else:
                raise WarehouseError(f"unknown table expectation {kind!r}", subject=contract.table)
    return frames
