"""Arrow types written as text in the table contracts (schemas/<table>.yaml).

The grammar is pyarrow's own ``str(type)`` spelling for the types we use, so a contract
reads like what ``pyarrow`` prints: ``string``, ``bool``, ``int32``, ``int64``,
``float64``, ``date32``, ``timestamp[us, tz=UTC]``, ``list<T>``, ``map<K, V>`` and
``struct<name: T, ...>``.
"""
from __future__ import annotations

import pyarrow as pa

from chipwatch.errors import WarehouseError

_SCALARS: dict[str, pa.DataType] = {
    "string": pa.string(),
    "bool": pa.bool_(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "double": pa.float64(),
    "date32": pa.date32(),
    "date32[day]": pa.date32(),
    "timestamp[us, tz=UTC]": pa.timestamp("us", tz="UTC"),
}


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside ``<…>`` or ``[…]``."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<[":
            depth += 1
        elif ch in ">]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def parse_type(text: str) -> pa.DataType:
    """Parse a contract type string into a ``pyarrow.DataType``.

    Raises ``WarehouseError`` naming the text when it is not in the grammar.
    """
    t = text.strip()
    if t in _SCALARS:
        return _SCALARS[t]
    for prefix in ("list<", "map<", "struct<"):
        if t.startswith(prefix) and t.endswith(">"):
            inner = t[len(prefix):-1]
            break
    else:
        raise WarehouseError(f"unknown Arrow type {text!r}", subject="schemas")
    if prefix == "list<":
        return pa.list_(parse_type(inner))
    parts = _split_top(inner)
    if prefix == "map<":
        if len(parts) != 2:
            raise WarehouseError(f"map type needs a key and a value: {text!r}", subject="schemas")
        return pa.map_(parse_type(parts[0]), parse_type(parts[1]))
    fields = []
    for part in parts:
        name, sep, ftype = part.partition(":")
        if not sep or not name.strip():
            raise WarehouseError(f"struct field needs 'name: type': {part!r} in {text!r}", subject="schemas")
        fields.append(pa.field(name.strip(), parse_type(ftype)))
    return pa.struct(fields)
