"""What of a scan may narrow the inference.

Only signals present at the scanned revision count (history-only signals are reported,
never used), only findings that are not negated (a feature turned off is not use), and
a requirement may ask for a strength (``used``: FP8 stored and upcast does not count).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from chipwatch.model import EvidenceRef, Finding, ScanResult

CODE_KINDS = frozenset({"code", "config", "script", "notebook"})


@dataclass(frozen=True)
class Evidence:
    """Usable findings by signal, and the signals seen only in history."""

    by_signal: dict[str, tuple[Finding, ...]] = field(compare=False, hash=False)
    history_only: tuple[str, ...] = ()

    @classmethod
    def from_scan(cls, scan: ScanResult) -> "Evidence":
        by_signal: dict[str, list[Finding]] = {}
        history: set[str] = set()
        for report in scan.signals:
            if not report.at_rev:
                history.add(report.signal)
                continue
            if report.negated_only:
                continue
            usable = [f for f in report.evidence if not f.negated]
            if usable:
                by_signal.setdefault(report.signal, []).extend(usable)
        present = set(by_signal)
        return cls(
            by_signal={s: tuple(sorted(fs, key=_order)) for s, fs in sorted(by_signal.items())},
            history_only=tuple(sorted(history - present)),
        )

    def present(self) -> set[str]:
        return set(self.by_signal)

    def of(self, signal: str, *, strength: str | None = None, pattern: str | None = None) -> tuple[Finding, ...]:
        """Usable findings of ``signal``; with ``strength``, only that strength; with
        ``pattern``, only those whose text matches it (case-insensitive)."""
        found = self.by_signal.get(signal, ())
        if strength is not None:
            found = tuple(f for f in found if f.strength == strength)
        if pattern is not None:
            rx = re.compile(pattern, re.IGNORECASE)
            found = tuple(f for f in found if rx.search(f.text) or rx.search(f.rule))
        return found

    def lines(self) -> list[Finding]:
        """One finding per (path, line), for reading statements off matched lines."""
        seen: dict[tuple[str, int], Finding] = {}
        for fs in self.by_signal.values():
            for f in fs:
                seen.setdefault((f.path, f.line), f)
        return [seen[k] for k in sorted(seen)]


def _order(f: Finding) -> tuple[str, int, int]:
    return (f.path, f.line, f.column)


def cite(findings: tuple[Finding, ...] | list[Finding], limit: int = 5) -> tuple[EvidenceRef, ...]:
    """The first ``limit`` findings as the references a step shows."""
    return tuple(EvidenceRef(f.signal, f.path, f.line, f.text, f.kind) for f in list(findings)[:limit])


def where(findings: tuple[Finding, ...] | list[Finding], limit: int = 2) -> str:
    """``path:line`` of the first findings, for sentences."""
    fs = list(findings)
    places = ", ".join(f"{f.path}:{f.line}" for f in fs[:limit])
    more = len(fs) - limit
    return places + (f" (+{more} more)" if more > 0 else "")
