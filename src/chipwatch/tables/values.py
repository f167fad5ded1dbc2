"""Coercion of loose inputs (ISO strings, epoch numbers, platform metadata) to column values.

Bad values raise ``ValueError`` naming the field, so a row builder fails with a clear
message rather than writing a wrong date.
"""
from __future__ import annotations

import math
from datetime import date, datetime, timezone
from typing import Any, Mapping

TEXT_LIMIT = 500
MESSAGE_LIMIT = 1000


def to_utc(value: Any, *, field: str) -> datetime | None:
    """A timezone-aware UTC datetime from a datetime, an ISO 8601 string or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        dt = datetime.fromtimestamp(value, tz=timezone.utc)
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{field}: not an ISO 8601 date-time: {value!r}") from exc
    else:
        raise ValueError(f"{field}: cannot read a date-time from {type(value).__name__} {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)  # git and the platforms report UTC when naive
    return dt.astimezone(timezone.utc)


def to_date(value: Any, *, field: str) -> date:
    """A date from a date, a datetime (its UTC date) or an ISO string."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise ValueError(f"{field}: not an ISO date: {value!r}") from exc
    raise ValueError(f"{field}: cannot read a date from {type(value).__name__} {value!r}")


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def bounded(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when cut."""
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str | None, limit: int = MESSAGE_LIMIT) -> str | None:
    if text is None:
        return None
    return bounded(" ".join(str(text).split()), limit)


def first_of(meta: Mapping[str, Any], *names: str) -> Any:
    """The first non-None value among ``names`` in ``meta`` (sources differ in spelling)."""
    for name in names:
        value = meta.get(name)
        if value is not None:
            return value
    return None


def to_int(value: Any, *, field: str) -> int | None:
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field}: not an integer: {value!r}") from exc


def to_float(value: Any, *, field: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field}: not a number: {value!r}") from exc


def to_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value)


def license_id(value: Any) -> str | None:
    """License as a string: GitHub gives a dict (spdx_id, key, name), HF a string or list."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        spdx = value.get("spdx_id")
        if spdx and spdx != "NOASSERTION":
            return str(spdx)
        return str(value.get("key") or value.get("name") or "") or None
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or None
    return str(value)
