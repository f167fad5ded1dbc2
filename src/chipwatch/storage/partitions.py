"""Splitting a table into hive partitions (``col=value/`` folders)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def safe_name(text: str) -> str:
    """A file-name-safe form of a run id or batch name."""
    return _SAFE.sub("_", text) or "_"


def hive_dir(partition: dict[str, str]) -> str:
    return "/".join(f"{k}={quote(v, safe='')}" for k, v in partition.items())


def split(table: pa.Table, columns: tuple[str, ...]) -> list[tuple[dict[str, str], pa.Table]]:
    """(partition values, rows without the partition columns) for each distinct value tuple."""
    if not columns:
        return [({}, table)] if table.num_rows else []
    keys = table.select(list(columns)).group_by(list(columns)).aggregate([]).to_pylist()
    out = []
    for key in sorted(keys, key=lambda k: tuple(k[c] for c in columns)):
        mask = None
        for c in columns:
            cond = pc.equal(table[c], pa.scalar(key[c], table.schema.field(c).type))
            mask = cond if mask is None else pc.and_(mask, cond)
        out.append(({c: str(key[c]) for c in columns}, table.filter(mask).drop_columns(list(columns))))
    return out
