"""ScanResult to and from plain JSON values (the snapshot cache stores them)."""
from __future__ import annotations

from dataclasses import fields
from operator import attrgetter

from chipwatch.model import CommitRef, Finding, ScanResult, SignalReport, Skipped

_FINDING_FIELDS = [f.name for f in fields(Finding)]
_finding_row = attrgetter(*_FINDING_FIELDS)
_RESULT_FIELDS = [f.name for f in fields(ScanResult)]
_SIGNAL_FIELDS = [f.name for f in fields(SignalReport)]
_COMMIT_FIELDS = ("first_seen", "last_seen", "removed_by")
_new = object.__new__


def _finding(row: list) -> Finding:
    """A Finding back from the row ``result_to_doc`` wrote (every field, in order).

    The frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``;
    filling the instance dict at once is 3× faster, and rebuilding evidence was most of
    a cached scan's time on a small repository."""
    f = _new(Finding)
    f.__dict__.update(zip(_FINDING_FIELDS, row))
    return f


def _signal_doc(s: SignalReport) -> dict:
    doc = {name: getattr(s, name) for name in _SIGNAL_FIELDS}
    # Findings as rows, not objects: a third of the size, and faster to read back.
    doc["evidence"] = [list(_finding_row(e)) for e in s.evidence]
    for name in _COMMIT_FIELDS:
        if (c := doc[name]) is not None:
            doc[name] = {"commit": c.commit, "committed_at": c.committed_at}
    return doc


def result_to_doc(result: ScanResult) -> dict:
    """``dataclasses.asdict``'s document, built field by field: asdict walks (and
    deep-copies) every finding only for them to become rows, a fifth of a batch's CPU
    on the sample corpus once git objects were read in process."""
    doc = {name: getattr(result, name) for name in _RESULT_FIELDS}
    doc["signals"] = [_signal_doc(s) for s in result.signals]
    doc["skipped"] = [[k.path, k.reason, k.oid] for k in result.skipped]
    return doc


def _commit(d: dict | None) -> CommitRef | None:
    return CommitRef(**d) if d else None


def result_from_doc(doc: dict, *, repository: str) -> ScanResult:
    signals = tuple(
        SignalReport(
            signal=s["signal"],
            at_rev=s["at_rev"],
            evidence=tuple(map(_finding, s["evidence"])),
            first_seen=_commit(s["first_seen"]),
            last_seen=_commit(s["last_seen"]),
            removed_by=_commit(s["removed_by"]),
            negated_only=s["negated_only"],
            evidence_count=s.get("evidence_count", 0),
        )
        for s in doc["signals"]
    )
    rest = {k: v for k, v in doc.items() if k not in ("signals", "skipped", "repository")}
    return ScanResult(
        repository=repository,
        signals=signals,
        skipped=tuple(Skipped(*row) for row in doc["skipped"]),
        **rest,
    )
