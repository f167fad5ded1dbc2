"""Numbers that may be unknown or known only within a range.

The catalog writes a value as a number, as ``{min, max}`` (variants of one part, or
sources that disagree), or as ``null`` (unknown). Comparisons against a threshold are
three-valued: ``True`` or ``False`` when the whole range lies on one side, ``None`` when
the range straddles it or the value is unknown — so an unknown input can never turn
into a classification.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipwatch.errors import CatalogError


@dataclass(frozen=True)
class Quantity:
    """A closed range ``[lo, hi]``; both ``None`` when unknown."""

    lo: float | None = None
    hi: float | None = None

    @classmethod
    def parse(cls, raw: Any, *, subject: str) -> "Quantity":
        if raw is None:
            return UNKNOWN
        if isinstance(raw, bool):
            raise CatalogError(f"expected a number or {{min, max}}, got {raw!r}", subject=subject)
        if isinstance(raw, (int, float)):
            return cls(float(raw), float(raw))
        if isinstance(raw, dict) and set(raw) == {"min", "max"}:
            lo, hi = raw["min"], raw["max"]
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)):
                raise CatalogError(f"min and max must be numbers, got {raw!r}", subject=subject)
            if lo > hi:
                raise CatalogError(f"min {lo} is above max {hi}", subject=subject)
            return cls(float(lo), float(hi))
        raise CatalogError(f"expected a number, {{min, max}} or null, got {raw!r}", subject=subject)

    @property
    def known(self) -> bool:
        return self.lo is not None and self.hi is not None

    def scale(self, factor: float) -> "Quantity":
        if not self.known:
            return UNKNOWN
        return Quantity(self.lo * factor, self.hi * factor)  # type: ignore[operator]

    def divide(self, other: "Quantity") -> "Quantity":
        """This range divided by a positive range (the extremes pair crosswise)."""
        if not (self.known and other.known) or not other.lo:
            return UNKNOWN
        return Quantity(self.lo / other.hi, self.hi / other.lo)  # type: ignore[operator]

    def at_least(self, threshold: float) -> bool | None:
        if not self.known:
            return None
        if self.lo >= threshold:  # type: ignore[operator]
            return True
        if self.hi < threshold:  # type: ignore[operator]
            return False
        return None

    def below(self, threshold: float) -> bool | None:
        at_least = self.at_least(threshold)
        return None if at_least is None else not at_least

    def to_json(self) -> float | dict[str, float] | None:
        if not self.known:
            return None
        if self.lo == self.hi:
            return _tidy(self.lo)
        return {"min": _tidy(self.lo), "max": _tidy(self.hi)}

    def __str__(self) -> str:
        if not self.known:
            return "unknown"
        if self.lo == self.hi:
            return f"{_tidy(self.lo):g}"
        return f"{_tidy(self.lo):g}–{_tidy(self.hi):g}"


def maximum(values: list[Quantity]) -> Quantity:
    """The range of the maximum of several ranges, ignoring unknown ones."""
    known = [v for v in values if v.known]
    if not known:
        return UNKNOWN
    return Quantity(max(v.lo for v in known), max(v.hi for v in known))  # type: ignore[type-var]


def _tidy(x: float | None) -> float:
    assert x is not None  # callers check .known first
    return round(x, 4)


UNKNOWN = Quantity()
